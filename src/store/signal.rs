//! Strategy signals as the strategy task reports them.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SignalSide {
    Buy,
    Sell,
    Flat,
}

impl SignalSide {
    pub fn label(self) -> &'static str {
        match self {
            SignalSide::Buy => "BUY",
            SignalSide::Sell => "SELL",
            SignalSide::Flat => "FLAT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub at: DateTime<Utc>,
    pub symbol: String,
    pub strategy: String,
    pub side: SignalSide,
    pub strength: Decimal,
    pub reason: String,
}
