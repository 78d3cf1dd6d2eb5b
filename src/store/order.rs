//! Orders and executions as the gateway reports them, each order with its life cycle.

use crate::orders::OrderLifecycle;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// How long an order may go without any acknowledgement before it shows as UNCONFIRMED.
pub const ACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The contract and order terms of one order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderTerms {
    pub account: String,
    pub symbol: String,
    pub con_id: i32,
    /// BUY or SELL.
    pub action: String,
    pub quantity: Decimal,
    /// MKT, LMT, STP, STP LMT.
    pub order_type: String,
    pub limit_price: Option<Decimal>,
    /// The stop price, or a TRAIL's trailing amount (IB's `aux_price`).
    pub stop_price: Option<Decimal>,
    /// A trailing stop's current stop price, as the gateway last reported it (it moves with
    /// the market); `None` for other types and until reported.
    pub trail_stop_price: Option<Decimal>,
    pub tif: String,
    pub outside_rth: bool,
    /// robo-tui puts the intent id here.
    pub order_ref: String,
}

/// One order: its terms, who placed it, and everything that happened to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRow {
    pub order_id: i32,
    pub client_id: i32,
    pub perm_id: Option<i64>,
    /// Placed by this session's client id (only those can be modified or cancelled here).
    pub own: bool,
    pub terms: Option<OrderTerms>,
    pub lifecycle: OrderLifecycle,
    pub updated_at: DateTime<Utc>,
}

/// One execution of the trading day, with its commission once that arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionRow {
    pub exec_id: String,
    pub order_id: i32,
    pub client_id: i32,
    pub account: String,
    pub symbol: String,
    /// BOT or SLD.
    pub side: String,
    pub shares: Decimal,
    pub price: Decimal,
    pub time: String,
    pub commission: Option<Decimal>,
    pub commission_currency: Option<String>,
    pub realized_pnl: Option<Decimal>,
    pub at: DateTime<Utc>,
}
