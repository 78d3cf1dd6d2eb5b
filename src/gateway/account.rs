//! The paper account model: cash, positions with average cost (commission included), realized
//! and unrealized P&L, daily P&L and Reg-T style margin. All money is `Decimal`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Initial margin as a fraction of gross stock value (Reg-T).
pub const INIT_MARGIN_RATE: Decimal = Decimal::from_parts(5, 0, 0, false, 1);
/// Maintenance margin as a fraction of gross stock value.
pub const MAINT_MARGIN_RATE: Decimal = Decimal::from_parts(25, 0, 0, false, 2);
/// Buying power as a multiple of excess liquidity.
pub const BUYING_POWER_MULTIPLE: Decimal = Decimal::from_parts(4, 0, 0, false, 0);

/// One position (possibly flat after trading today).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holding {
    pub quantity: Decimal,
    /// Per share, commission included; for shorts the net proceeds per share.
    pub avg_cost: Decimal,
    pub realized_today: Decimal,
    /// Value of the position at the start of the day plus net cash spent on it today:
    /// daily P&L = market value - baseline.
    pub day_baseline: Decimal,
}

impl Holding {
    fn flat() -> Self {
        Self {
            quantity: Decimal::ZERO,
            avg_cost: Decimal::ZERO,
            realized_today: Decimal::ZERO,
            day_baseline: Decimal::ZERO,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub account_type: String,
    pub cash: Decimal,
    pub positions: BTreeMap<i32, Holding>,
    pub commissions_today: Decimal,
}

/// Everything derived from an account and a set of marks.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub cash: Decimal,
    pub net_liquidation: Decimal,
    pub gross_position_value: Decimal,
    pub long_value: Decimal,
    pub short_value: Decimal,
    pub init_margin: Decimal,
    pub maint_margin: Decimal,
    pub equity_with_loan: Decimal,
    pub available_funds: Decimal,
    pub excess_liquidity: Decimal,
    pub buying_power: Decimal,
    pub cushion: Decimal,
    pub leverage: Decimal,
    pub unrealized_pnl: Decimal,
    pub realized_pnl: Decimal,
    pub daily_pnl: Decimal,
}

impl Account {
    /// A new account; `positions` are (con_id, quantity, avg cost), valued at `close` for the
    /// start-of-day baseline.
    pub fn new(id: &str, account_type: &str, cash: Decimal, positions: &[(i32, Decimal, Decimal, Decimal)]) -> Self {
        let mut map = BTreeMap::new();
        for &(con_id, qty, avg, close) in positions {
            map.insert(
                con_id,
                Holding { quantity: qty, avg_cost: avg, realized_today: Decimal::ZERO, day_baseline: qty * close },
            );
        }
        Self {
            id: id.to_string(),
            account_type: account_type.to_string(),
            cash,
            positions: map,
            commissions_today: Decimal::ZERO,
        }
    }

    pub fn quantity(&self, con_id: i32) -> Decimal {
        self.positions.get(&con_id).map(|h| h.quantity).unwrap_or(Decimal::ZERO)
    }

    /// Applies one fill: `signed_qty` > 0 buys, < 0 sells. Returns the realized P&L of this fill
    /// (net of the part of the commission that closes).
    pub fn apply_fill(&mut self, con_id: i32, signed_qty: Decimal, price: Decimal, commission: Decimal) -> Decimal {
        self.cash -= signed_qty * price + commission;
        self.commissions_today += commission;
        let h = self.positions.entry(con_id).or_insert_with(Holding::flat);
        h.day_baseline += signed_qty * price + commission;
        if signed_qty.is_zero() {
            return Decimal::ZERO;
        }
        let total = signed_qty.abs();
        let same_direction = h.quantity.is_zero() || h.quantity.is_sign_negative() == signed_qty.is_sign_negative();
        let mut realized = Decimal::ZERO;
        let mut opening = signed_qty;
        let mut opening_commission = commission;
        if !same_direction {
            let closed = total.min(h.quantity.abs());
            let closing_commission = commission * closed / total;
            let direction = if h.quantity.is_sign_positive() { Decimal::ONE } else { -Decimal::ONE };
            realized = closed * (price - h.avg_cost) * direction - closing_commission;
            h.realized_today += realized;
            h.quantity -= closed * direction;
            opening = signed_qty + closed * direction;
            opening_commission = commission - closing_commission;
            if h.quantity.is_zero() {
                h.avg_cost = Decimal::ZERO;
            }
        }
        if !opening.is_zero() {
            let basis = h.quantity * h.avg_cost + opening * price + opening_commission;
            h.quantity += opening;
            h.avg_cost = basis / h.quantity;
        }
        realized
    }

    /// Derived figures, marking each position with `mark(con_id)`.
    pub fn metrics(&self, mark: &dyn Fn(i32) -> Decimal) -> Metrics {
        let mut long_value = Decimal::ZERO;
        let mut short_value = Decimal::ZERO;
        let mut unrealized = Decimal::ZERO;
        let mut realized = Decimal::ZERO;
        let mut daily = Decimal::ZERO;
        for (&con_id, h) in &self.positions {
            let px = mark(con_id);
            let value = h.quantity * px;
            if value.is_sign_negative() {
                short_value += value;
            } else {
                long_value += value;
            }
            unrealized += h.quantity * (px - h.avg_cost);
            realized += h.realized_today;
            daily += value - h.day_baseline;
        }
        let gross = long_value - short_value;
        let net_liq = self.cash + long_value + short_value;
        let init = (gross * INIT_MARGIN_RATE).round_dp(2);
        let maint = (gross * MAINT_MARGIN_RATE).round_dp(2);
        let ewl = net_liq;
        let available = ewl - init;
        let excess = ewl - maint;
        let cushion = if net_liq.is_zero() { Decimal::ZERO } else { (excess / net_liq).round_dp(6) };
        let leverage = if net_liq.is_zero() { Decimal::ZERO } else { (gross / net_liq).round_dp(4) };
        Metrics {
            cash: self.cash,
            net_liquidation: net_liq,
            gross_position_value: gross,
            long_value,
            short_value,
            init_margin: init,
            maint_margin: maint,
            equity_with_loan: ewl,
            available_funds: available,
            excess_liquidity: excess,
            buying_power: (excess * BUYING_POWER_MULTIPLE).max(Decimal::ZERO),
            cushion,
            leverage,
            unrealized_pnl: unrealized,
            realized_pnl: realized,
            daily_pnl: daily,
        }
    }

    /// Per-position figures for PnL single / portfolio: (unrealized, realized today, daily).
    pub fn position_pnl(&self, con_id: i32, mark: Decimal) -> (Decimal, Decimal, Decimal) {
        match self.positions.get(&con_id) {
            Some(h) => (h.quantity * (mark - h.avg_cost), h.realized_today, h.quantity * mark - h.day_baseline),
            None => (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
        }
    }
}

/// IBKR fixed US stock schedule: USD 0.005 a share, USD 1.00 minimum, 1% of trade value maximum.
pub fn commission(quantity: Decimal, price: Decimal) -> Decimal {
    let per_share = Decimal::new(5, 3) * quantity.abs();
    let minimum = Decimal::ONE;
    let maximum = (quantity.abs() * price * Decimal::new(1, 2)).round_dp(2);
    per_share.max(minimum).min(maximum.max(Decimal::new(1, 2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn commission_follows_fixed_schedule() {
        assert_eq!(commission(d("100"), d("50")), d("1.00"));
        assert_eq!(commission(d("1000"), d("50")), d("5.000"));
        // 1% cap: 10 shares at 5.00 = 50.00 value, cap 0.50 < 1.00 minimum.
        assert_eq!(commission(d("10"), d("5")), d("0.50"));
    }

    #[test]
    fn buy_then_sell_realizes_and_includes_commission_in_cost() {
        let mut a = Account::new("DU1", "INDIVIDUAL", d("10000"), &[]);
        a.apply_fill(1, d("100"), d("50"), d("1"));
        let h = &a.positions[&1];
        assert_eq!(h.avg_cost, d("50.01"));
        assert_eq!(a.cash, d("4999"));
        let r = a.apply_fill(1, d("-100"), d("51"), d("1"));
        assert_eq!(r, d("98"));
        assert_eq!(a.quantity(1), Decimal::ZERO);
        assert_eq!(a.cash, d("10098"));
    }

    #[test]
    fn short_then_cover_and_flip() {
        let mut a = Account::new("DU1", "INDIVIDUAL", d("10000"), &[]);
        a.apply_fill(1, d("-100"), d("50"), d("1"));
        assert_eq!(a.positions[&1].avg_cost, d("49.99"));
        // buy 150: covers 100 at 48 and opens 50 long
        let r = a.apply_fill(1, d("150"), d("48"), d("1.5"));
        assert_eq!(r, d("198"));
        assert_eq!(a.quantity(1), d("50"));
        assert_eq!(a.positions[&1].avg_cost, d("48.01"));
    }

    #[test]
    fn net_liquidation_changes_by_commission_only_when_marked_at_fill_price() {
        let mut a = Account::new("DU1", "INDIVIDUAL", d("100000"), &[(7, d("10"), d("90"), d("100"))]);
        let before = a.metrics(&|_| d("100")).net_liquidation;
        a.apply_fill(7, d("20"), d("100"), d("1.25"));
        let after = a.metrics(&|_| d("100")).net_liquidation;
        assert_eq!(before - after, d("1.25"));
        let m = a.metrics(&|_| d("100"));
        assert_eq!(m.gross_position_value, d("3000"));
        assert_eq!(m.init_margin, d("1500.00"));
        assert_eq!(m.maint_margin, d("750.00"));
        assert_eq!(m.buying_power, (m.net_liquidation - d("750")) * d("4"));
        assert_eq!(m.daily_pnl, d("-1.25"));
    }
}
