//! Orders as the paper broker keeps them, ticket validation (IB's rejection codes) and the
//! matching rules: MKT at the touch; LMT at once when marketable, else resting until the market
//! crosses; STP and STP LMT triggered by the last price; IOC cancels what does not fill at once.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::market::Quote;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// Execution side as IB prints it.
    pub fn exec_side(self) -> &'static str {
        match self {
            Side::Buy => "BOT",
            Side::Sell => "SLD",
        }
    }

    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => -Decimal::ONE,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderKind {
    Market,
    Limit { limit: Decimal },
    Stop { stop: Decimal },
    StopLimit { stop: Decimal, limit: Decimal },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tif {
    Day,
    Gtc,
    Ioc,
}

impl Tif {
    pub fn as_str(self) -> &'static str {
        match self {
            Tif::Day => "DAY",
            Tif::Gtc => "GTC",
            Tif::Ioc => "IOC",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    PreSubmitted,
    Submitted,
    Filled,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::PreSubmitted => "PreSubmitted",
            Status::Submitted => "Submitted",
            Status::Filled => "Filled",
            Status::Cancelled => "Cancelled",
        }
    }

    pub fn is_working(self) -> bool {
        matches!(self, Status::PreSubmitted | Status::Submitted)
    }
}

/// An order held by the paper broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimOrder {
    pub client_id: i32,
    pub order_id: i32,
    pub perm_id: i64,
    pub account: String,
    pub con_id: i32,
    pub action: String,
    pub side: Side,
    pub quantity: Decimal,
    pub kind: OrderKind,
    pub tif: Tif,
    pub order_ref: String,
    pub filled: Decimal,
    pub avg_fill_price: Decimal,
    pub last_fill_price: Decimal,
    pub status: Status,
    pub triggered: bool,
    pub completed_time: Option<String>,
    pub completed_status: Option<String>,
    /// Commission charged so far (the schedule's minimum applies per order).
    #[serde(default)]
    pub commission_paid: Decimal,
}

impl SimOrder {
    pub fn remaining(&self) -> Decimal {
        self.quantity - self.filled
    }

    pub fn order_type(&self) -> &'static str {
        match self.kind {
            OrderKind::Market => "MKT",
            OrderKind::Limit { .. } => "LMT",
            OrderKind::Stop { .. } => "STP",
            OrderKind::StopLimit { .. } => "STP LMT",
        }
    }

    pub fn limit_price(&self) -> Option<Decimal> {
        match self.kind {
            OrderKind::Limit { limit } | OrderKind::StopLimit { limit, .. } => Some(limit),
            _ => None,
        }
    }

    pub fn stop_price(&self) -> Option<Decimal> {
        match self.kind {
            OrderKind::Stop { stop } | OrderKind::StopLimit { stop, .. } => Some(stop),
            _ => None,
        }
    }

    /// Status of a working order before any fill: stops wait untriggered as PreSubmitted.
    pub fn working_status(&self) -> Status {
        match self.kind {
            OrderKind::Stop { .. } | OrderKind::StopLimit { .. } if !self.triggered => Status::PreSubmitted,
            _ => Status::Submitted,
        }
    }

    /// The price at which this order fills against `q` now, if it does. Triggers stops on the
    /// last price as a side effect.
    pub fn fill_price(&mut self, q: &Quote) -> Option<Decimal> {
        if !self.status.is_working() || self.remaining() <= Decimal::ZERO {
            return None;
        }
        if let Some(stop) = self.stop_price() {
            if !self.triggered {
                let hit = match self.side {
                    Side::Buy => q.last >= stop,
                    Side::Sell => q.last <= stop,
                };
                if !hit {
                    return None;
                }
                self.triggered = true;
            }
        }
        let touch = match self.side {
            Side::Buy => q.ask,
            Side::Sell => q.bid,
        };
        match self.limit_price() {
            None => Some(touch),
            Some(limit) => {
                let marketable = match self.side {
                    Side::Buy => touch <= limit,
                    Side::Sell => touch >= limit,
                };
                marketable.then_some(touch)
            }
        }
    }
}

/// A refused order: IB's code and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub code: i32,
    pub text: String,
}

impl Reject {
    fn new(code: i32, text: impl Into<String>) -> Self {
        Self { code, text: text.into() }
    }
}

/// The order fields as they came over the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ticket {
    pub action: String,
    pub quantity: String,
    pub order_type: String,
    pub limit: Option<f64>,
    pub aux: Option<f64>,
    pub tif: String,
}

/// A validated ticket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidTicket {
    pub side: Side,
    pub quantity: Decimal,
    pub kind: OrderKind,
    pub tif: Tif,
}

fn price(v: Option<f64>) -> Option<Decimal> {
    let v = v?;
    if !v.is_finite() || v == f64::MAX {
        return None;
    }
    Decimal::from_str(&format!("{v}")).ok()
}

/// Largest quantity an order may carry (keeps every money figure far from `Decimal`'s range).
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// Largest price an order may carry.
pub const MAX_PRICE: i64 = 10_000_000;

fn check_price(p: Decimal, tick: Decimal, what: &str) -> Result<Decimal, Reject> {
    if p > Decimal::from(MAX_PRICE) {
        return Err(Reject::new(201, format!("Order rejected - reason:The {what} price {p} is out of range.")));
    }
    if p <= Decimal::ZERO {
        return Err(Reject::new(
            110,
            format!("The price does not conform to the minimum price variation for this contract. ({what} price {p} must be positive)"),
        ));
    }
    if !(p % tick).is_zero() {
        return Err(Reject::new(110, "The price does not conform to the minimum price variation for this contract."));
    }
    Ok(p)
}

/// Checks a ticket the way IB does, in IB's order of checks.
pub fn validate(t: &Ticket, tick: Decimal) -> Result<ValidTicket, Reject> {
    let side = match t.action.to_ascii_uppercase().as_str() {
        "BUY" => Side::Buy,
        "SELL" | "SSHORT" | "SLONG" => Side::Sell,
        other => return Err(Reject::new(201, format!("Order rejected - reason:Invalid action '{other}'."))),
    };
    let raw_qty = if t.quantity.trim().is_empty() { "0" } else { t.quantity.trim() };
    let quantity = Decimal::from_str(raw_qty)
        .map_err(|_| Reject::new(201, format!("Order rejected - reason:Invalid order quantity '{}'.", t.quantity)))?;
    if quantity.is_zero() {
        return Err(Reject::new(434, "The order size cannot be zero."));
    }
    if quantity < Decimal::ZERO {
        return Err(Reject::new(201, "Order rejected - reason:The order quantity must be positive."));
    }
    if quantity > Decimal::from(MAX_QUANTITY) {
        return Err(Reject::new(201, format!("Order rejected - reason:The order quantity {quantity} is too large.")));
    }
    if !quantity.fract().is_zero() {
        return Err(Reject::new(
            10243,
            "Fractional-sized order cannot be placed via API. Please use a whole number of shares.",
        ));
    }
    let tif = match t.tif.to_ascii_uppercase().as_str() {
        "" | "DAY" => Tif::Day,
        "GTC" => Tif::Gtc,
        "IOC" => Tif::Ioc,
        other => return Err(Reject::new(201, format!("Order rejected - reason:Invalid time in force '{other}'."))),
    };
    let missing = |what: &str| {
        Reject::new(201, format!("Order rejected - reason:{what} price must be specified for this order type."))
    };
    let kind = match t.order_type.to_ascii_uppercase().as_str() {
        "MKT" => OrderKind::Market,
        "LMT" => {
            let limit = price(t.limit).ok_or_else(|| missing("Limit"))?;
            OrderKind::Limit { limit: check_price(limit, tick, "limit")? }
        }
        "STP" => {
            let stop = price(t.aux).ok_or_else(|| missing("Stop"))?;
            OrderKind::Stop { stop: check_price(stop, tick, "stop")? }
        }
        "STP LMT" => {
            let stop = price(t.aux).ok_or_else(|| missing("Stop"))?;
            let limit = price(t.limit).ok_or_else(|| missing("Limit"))?;
            OrderKind::StopLimit { stop: check_price(stop, tick, "stop")?, limit: check_price(limit, tick, "limit")? }
        }
        other => {
            return Err(Reject::new(
                387,
                format!("Unsupported order type '{other}' for this exchange and security type."),
            ))
        }
    };
    Ok(ValidTicket { side, quantity, kind, tif })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(action: &str, qty: &str, ty: &str, lmt: Option<f64>, aux: Option<f64>, tif: &str) -> Ticket {
        Ticket { action: action.into(), quantity: qty.into(), order_type: ty.into(), limit: lmt, aux, tif: tif.into() }
    }

    fn tick() -> Decimal {
        Decimal::new(1, 2)
    }

    #[test]
    fn rejections_carry_ib_codes() {
        let code = |t: Ticket| validate(&t, tick()).err().map(|r| r.code);
        assert_eq!(code(ticket("BUY", "0", "MKT", None, None, "DAY")), Some(434));
        assert_eq!(code(ticket("BUY", "-5", "MKT", None, None, "DAY")), Some(201));
        assert_eq!(code(ticket("BUY", "1.5", "MKT", None, None, "DAY")), Some(10243));
        assert_eq!(code(ticket("BUY", "10", "LMT", Some(100.005), None, "DAY")), Some(110));
        assert_eq!(code(ticket("BUY", "10", "LMT", Some(-1.0), None, "DAY")), Some(110));
        assert_eq!(code(ticket("BUY", "10", "LMT", None, None, "DAY")), Some(201));
        assert_eq!(code(ticket("BUY", "10", "STP", None, None, "DAY")), Some(201));
        assert_eq!(code(ticket("BUY", "10", "FOO", None, None, "DAY")), Some(387));
        assert_eq!(code(ticket("BUY", "10", "MKT", None, None, "FOK")), Some(201));
        assert_eq!(code(ticket("BUY", "10", "LMT", Some(150.12), None, "GTC")), None);
        assert_eq!(code(ticket("BUY", "79228162514264337593543950335", "MKT", None, None, "DAY")), Some(201));
        assert_eq!(code(ticket("BUY", "10", "LMT", Some(1e20), None, "DAY")), Some(201));
        assert_eq!(code(ticket("BUY", "10", "LMT", Some(1e300), None, "DAY")), Some(201));
    }

    fn quote(bid: i64, ask: i64, last: i64) -> Quote {
        let d = |c: i64| Decimal::new(c, 2);
        Quote {
            bid: d(bid),
            ask: d(ask),
            bid_size: Decimal::ONE,
            ask_size: Decimal::ONE,
            last: d(last),
            last_size: Decimal::ONE,
            last_time_ms: 0,
            volume: Decimal::ZERO,
            high: d(last),
            low: d(last),
            open: d(last),
            close: d(last),
            trade_seq: 0,
            quote_seq: 0,
        }
    }

    fn order(side: Side, kind: OrderKind) -> SimOrder {
        SimOrder {
            client_id: 1,
            order_id: 1,
            perm_id: 1,
            account: "DU1".into(),
            con_id: 1,
            action: "BUY".into(),
            side,
            quantity: Decimal::from(10),
            kind,
            tif: Tif::Day,
            order_ref: String::new(),
            filled: Decimal::ZERO,
            avg_fill_price: Decimal::ZERO,
            last_fill_price: Decimal::ZERO,
            status: Status::Submitted,
            triggered: false,
            completed_time: None,
            completed_status: None,
            commission_paid: Decimal::ZERO,
        }
    }

    #[test]
    fn market_fills_at_touch_and_limits_only_when_marketable() {
        let q = quote(10000, 10002, 10001);
        assert_eq!(order(Side::Buy, OrderKind::Market).fill_price(&q), Some(Decimal::new(10002, 2)));
        assert_eq!(order(Side::Sell, OrderKind::Market).fill_price(&q), Some(Decimal::new(10000, 2)));
        let lim = |c| OrderKind::Limit { limit: Decimal::new(c, 2) };
        assert_eq!(order(Side::Buy, lim(10001)).fill_price(&q), None);
        assert_eq!(order(Side::Buy, lim(10005)).fill_price(&q), Some(Decimal::new(10002, 2)));
        assert_eq!(order(Side::Sell, lim(10001)).fill_price(&q), None);
        assert_eq!(order(Side::Sell, lim(9990)).fill_price(&q), Some(Decimal::new(10000, 2)));
    }

    #[test]
    fn stops_trigger_on_last_price() {
        let mut o = order(Side::Buy, OrderKind::Stop { stop: Decimal::new(10010, 2) });
        assert_eq!(o.fill_price(&quote(10000, 10002, 10001)), None);
        assert!(!o.triggered);
        assert_eq!(o.fill_price(&quote(10010, 10012, 10010)), Some(Decimal::new(10012, 2)));
        let mut o =
            order(Side::Sell, OrderKind::StopLimit { stop: Decimal::new(9990, 2), limit: Decimal::new(9985, 2) });
        assert_eq!(o.fill_price(&quote(9980, 9982, 9990)), None, "triggered but bid below limit");
        assert!(o.triggered);
        assert_eq!(o.fill_price(&quote(9986, 9988, 9987)), Some(Decimal::new(9986, 2)));
    }
}
