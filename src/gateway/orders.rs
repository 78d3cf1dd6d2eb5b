//! Orders as the paper broker keeps them, ticket validation (IB's rejection codes) and the
//! matching rules: MKT at the touch; LMT at once when marketable, else resting until the market
//! crosses; STP, STP LMT, TRAIL and TRAIL LIMIT triggered by the last price; IOC cancels what
//! does not fill at once. Parent/child and OCA links live in `groups`, trailing in `trail`,
//! expiry times in `tif`.

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

/// How far a trailing stop stays from the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrailBy {
    /// A price amount (`auxPrice`).
    Amount(Decimal),
    /// A percentage of the last price (`trailingPercent`).
    Percent(Decimal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderKind {
    Market,
    Limit {
        limit: Decimal,
    },
    Stop {
        stop: Decimal,
    },
    StopLimit {
        stop: Decimal,
        limit: Decimal,
    },
    /// `stop` is the current stop price; it follows the market until triggered.
    Trail {
        trail: TrailBy,
        stop: Decimal,
    },
    /// As `Trail`; once triggered a limit at `stop` minus `offset` (a sell) or plus (a buy).
    TrailLimit {
        trail: TrailBy,
        stop: Decimal,
        offset: Decimal,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tif {
    Day,
    Gtc,
    Ioc,
    Gtd,
}

impl Tif {
    pub fn as_str(self) -> &'static str {
        match self {
            Tif::Day => "DAY",
            Tif::Gtc => "GTC",
            Tif::Ioc => "IOC",
            Tif::Gtd => "GTD",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Staged (sent with `transmit=false`): kept, not working.
    Inactive,
    PreSubmitted,
    Submitted,
    Filled,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Inactive => "Inactive",
            Status::PreSubmitted => "PreSubmitted",
            Status::Submitted => "Submitted",
            Status::Filled => "Filled",
            Status::Cancelled => "Cancelled",
        }
    }

    pub fn is_working(self) -> bool {
        matches!(self, Status::PreSubmitted | Status::Submitted)
    }

    /// Working or staged: not done, can be cancelled or modified.
    pub fn is_open(self) -> bool {
        self.is_working() || self == Status::Inactive
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
    /// The parent's order id (0: none).
    #[serde(default)]
    pub parent_id: i32,
    /// The OCA group the client named ("" = none).
    #[serde(default)]
    pub oca_group: String,
    #[serde(default)]
    pub oca_type: i32,
    /// Sent with `transmit=false` and not transmitted since.
    #[serde(default)]
    pub staged: bool,
    /// A child waiting for its parent to fill.
    #[serde(default)]
    pub held: bool,
    /// `goodTillDate` as the client sent it.
    #[serde(default)]
    pub good_till: String,
    /// When a DAY or GTD order expires, simulated epoch ms.
    #[serde(default)]
    pub expires_ms: Option<i64>,
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
            OrderKind::Trail { .. } => "TRAIL",
            OrderKind::TrailLimit { .. } => "TRAIL LIMIT",
        }
    }

    pub fn limit_price(&self) -> Option<Decimal> {
        match self.kind {
            OrderKind::Limit { limit } | OrderKind::StopLimit { limit, .. } => Some(limit),
            OrderKind::TrailLimit { stop, offset, .. } => Some(match self.side {
                Side::Buy => stop + offset,
                Side::Sell => stop - offset,
            }),
            _ => None,
        }
    }

    pub fn stop_price(&self) -> Option<Decimal> {
        match self.kind {
            OrderKind::Stop { stop }
            | OrderKind::StopLimit { stop, .. }
            | OrderKind::Trail { stop, .. }
            | OrderKind::TrailLimit { stop, .. } => Some(stop),
            _ => None,
        }
    }

    pub fn is_trailing(&self) -> bool {
        matches!(self.kind, OrderKind::Trail { .. } | OrderKind::TrailLimit { .. })
    }

    /// Status of an order before any fill: staged orders are Inactive; held children and
    /// untriggered stops wait as PreSubmitted.
    pub fn working_status(&self) -> Status {
        if self.staged {
            return Status::Inactive;
        }
        if self.held {
            return Status::PreSubmitted;
        }
        match self.kind {
            OrderKind::Stop { .. }
            | OrderKind::StopLimit { .. }
            | OrderKind::Trail { .. }
            | OrderKind::TrailLimit { .. }
                if !self.triggered =>
            {
                Status::PreSubmitted
            }
            _ => Status::Submitted,
        }
    }

    /// IB's `whyHeld` for this order's status ("child" while it waits for its parent).
    pub fn why_held(&self) -> Option<&'static str> {
        (self.held && self.status == Status::PreSubmitted).then_some("child")
    }

    /// The price at which this order fills against `q` now, if it does. Triggers stops on the
    /// last price as a side effect.
    pub fn fill_price(&mut self, q: &Quote) -> Option<Decimal> {
        if !self.status.is_working() || self.held || self.staged || self.remaining() <= Decimal::ZERO {
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
    pub trailing_percent: Option<f64>,
    pub trail_stop_price: Option<f64>,
    pub lmt_price_offset: Option<f64>,
    pub good_till_date: String,
    pub algo_strategy: String,
}

/// A validated ticket. A trailing kind's `stop` is the client's `trailStopPrice`, or zero when
/// the engine is to start it from the market.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTicket {
    pub side: Side,
    pub quantity: Decimal,
    pub kind: OrderKind,
    pub tif: Tif,
    /// GTD: when it expires (epoch ms).
    pub good_till_ms: Option<i64>,
}

/// Order types the engine serves, as contract details list them (with the TIFs and features).
pub const SERVED_ORDER_TYPES: &str = "DAY,GTC,GTD,IOC,LMT,MKT,OCA,STP,STPLMT,TRAIL,TRAILLMT,WHATIF";

const UNSUPPORTED_TYPE: &str = "Unsupported order type for this exchange and security type.";

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
    if !t.algo_strategy.trim().is_empty() {
        return Err(Reject::new(387, UNSUPPORTED_TYPE));
    }
    let tif = match t.tif.to_ascii_uppercase().as_str() {
        "" | "DAY" => Tif::Day,
        "GTC" => Tif::Gtc,
        "IOC" => Tif::Ioc,
        "GTD" => Tif::Gtd,
        other => return Err(Reject::new(201, format!("Order rejected - reason:Invalid time in force '{other}'."))),
    };
    let good_till_ms = match tif {
        Tif::Gtd => Some(super::tif::parse_good_till(&t.good_till_date).ok_or_else(|| {
            Reject::new(
                201,
                format!(
                    "Order rejected - reason:Invalid good till date '{}' (YYYYMMDD HH:MM:SS [time zone]).",
                    t.good_till_date
                ),
            )
        })?),
        _ => None,
    };
    let missing = |what: &str| {
        Reject::new(201, format!("Order rejected - reason:{what} price must be specified for this order type."))
    };
    let trail = || -> Result<TrailBy, Reject> {
        match (price(t.aux), t.trailing_percent.filter(|p| p.is_finite() && *p != f64::MAX)) {
            (Some(amount), None) => Ok(TrailBy::Amount(check_price(amount, tick, "trailing amount")?)),
            (None, Some(pct)) if pct > 0.0 && pct < 100.0 => {
                Ok(TrailBy::Percent(Decimal::from_str(&format!("{pct}")).map_err(|_| missing("Trailing"))?))
            }
            (None, Some(pct)) => Err(Reject::new(
                201,
                format!("Order rejected - reason:The trailing percent {pct} must be between 0 and 100."),
            )),
            (Some(_), Some(_)) => Err(Reject::new(
                201,
                "Order rejected - reason:Specify either a trailing amount or a trailing percent, not both.",
            )),
            (None, None) => Err(missing("Trailing amount or percent")),
        }
    };
    let initial_stop = || -> Result<Decimal, Reject> {
        match price(t.trail_stop_price) {
            Some(p) => check_price(p, tick, "trail stop"),
            None => Ok(Decimal::ZERO),
        }
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
        "TRAIL" => OrderKind::Trail { trail: trail()?, stop: initial_stop()? },
        "TRAIL LIMIT" => {
            let trail = trail()?;
            let stop = initial_stop()?;
            let offset = match (price(t.lmt_price_offset), price(t.limit)) {
                (Some(offset), _) => check_price(offset, tick, "limit offset")?,
                // A limit price with an initial stop: the offset is their distance.
                (None, Some(limit)) if !stop.is_zero() => {
                    let limit = check_price(limit, tick, "limit")?;
                    let off = match side {
                        Side::Buy => limit - stop,
                        Side::Sell => stop - limit,
                    };
                    if off < Decimal::ZERO {
                        return Err(Reject::new(
                            201,
                            "Order rejected - reason:The limit price is on the wrong side of the trail stop price.",
                        ));
                    }
                    off
                }
                _ => return Err(missing("Limit offset")),
            };
            OrderKind::TrailLimit { trail, stop, offset }
        }
        _ => return Err(Reject::new(387, UNSUPPORTED_TYPE)),
    };
    Ok(ValidTicket { side, quantity, kind, tif, good_till_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(action: &str, qty: &str, ty: &str, lmt: Option<f64>, aux: Option<f64>, tif: &str) -> Ticket {
        Ticket {
            action: action.into(),
            quantity: qty.into(),
            order_type: ty.into(),
            limit: lmt,
            aux,
            tif: tif.into(),
            ..Default::default()
        }
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
            parent_id: 0,
            oca_group: String::new(),
            oca_type: 0,
            staged: false,
            held: false,
            good_till: String::new(),
            expires_ms: None,
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
