//! Positions: one row per (account, contract).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// Positions are keyed by account and contract id so several accounts never mix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PositionKey {
    pub account: String,
    pub con_id: i32,
}

/// A position as the gateway reported it. Each optional value is `None` until its one owning
/// source sent it: positions own quantity and average cost, portfolio updates own market
/// price and value, `reqPnLSingle` owns the P&L figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionRow {
    pub symbol: String,
    pub currency: String,
    pub quantity: Decimal,
    pub average_cost: Option<Decimal>,
    pub market_price: Option<Decimal>,
    pub market_value: Option<Decimal>,
    pub unrealized_pnl: Option<Decimal>,
    pub realized_pnl: Option<Decimal>,
    pub daily_pnl: Option<Decimal>,
    pub updated_at: DateTime<Utc>,
}

impl PositionRow {
    /// A position of which only the quantity is known yet.
    pub fn new(symbol: &str, currency: &str, quantity: Decimal, at: DateTime<Utc>) -> Self {
        PositionRow {
            symbol: symbol.to_string(),
            currency: currency.to_string(),
            quantity,
            average_cost: None,
            market_price: None,
            market_value: None,
            unrealized_pnl: None,
            realized_pnl: None,
            daily_pnl: None,
            updated_at: at,
        }
    }
}
