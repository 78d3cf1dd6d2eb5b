//! Quotes for the watchlist: the latest ticks per symbol, the market data type the gateway
//! reported, and a short history of 5-second bar closes for the sparkline.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::VecDeque;

/// How many bar closes a quote keeps for its sparkline (10 minutes of 5-second bars).
pub const BAR_HISTORY: usize = 120;

/// What the gateway says about the data (reqMarketDataType / MarketDataType messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MarketDataKind {
    Live,
    Frozen,
    Delayed,
    DelayedFrozen,
}

impl MarketDataKind {
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(MarketDataKind::Live),
            2 => Some(MarketDataKind::Frozen),
            3 => Some(MarketDataKind::Delayed),
            4 => Some(MarketDataKind::DelayedFrozen),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MarketDataKind::Live => "LIVE",
            MarketDataKind::Frozen => "FROZEN",
            MarketDataKind::Delayed => "DELAYED",
            MarketDataKind::DelayedFrozen => "DELAYED-FROZEN",
        }
    }
}

/// Which value a tick carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TickField {
    Bid,
    Ask,
    Last,
    Close,
    High,
    Low,
    Open,
    Volume,
    BidSize,
    AskSize,
    LastSize,
}

/// One symbol's market data. `None` until that value has arrived.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Quote {
    pub bid: Option<Decimal>,
    pub ask: Option<Decimal>,
    pub last: Option<Decimal>,
    pub close: Option<Decimal>,
    pub high: Option<Decimal>,
    pub low: Option<Decimal>,
    pub open: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub bid_size: Option<Decimal>,
    pub ask_size: Option<Decimal>,
    pub last_size: Option<Decimal>,
    pub kind: Option<MarketDataKind>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Closes of the latest 5-second bars, oldest first.
    pub bars: VecDeque<Decimal>,
    /// Why the subscription failed or is limited (e.g. 200 no security definition, 10167).
    pub problem: Option<String>,
}

impl Quote {
    pub fn set(&mut self, field: TickField, value: Decimal, at: DateTime<Utc>) {
        let slot = match field {
            TickField::Bid => &mut self.bid,
            TickField::Ask => &mut self.ask,
            TickField::Last => &mut self.last,
            TickField::Close => &mut self.close,
            TickField::High => &mut self.high,
            TickField::Low => &mut self.low,
            TickField::Open => &mut self.open,
            TickField::Volume => &mut self.volume,
            TickField::BidSize => &mut self.bid_size,
            TickField::AskSize => &mut self.ask_size,
            TickField::LastSize => &mut self.last_size,
        };
        *slot = Some(value);
        self.updated_at = Some(at);
    }

    pub fn push_bar(&mut self, close: Decimal) {
        if self.bars.len() == BAR_HISTORY {
            self.bars.pop_front();
        }
        self.bars.push_back(close);
    }

    /// Change since the previous close, when both are known.
    pub fn change(&self) -> Option<Decimal> {
        Some(self.last? - self.close?)
    }

    /// Change in percent of the previous close.
    pub fn change_pct(&self) -> Option<Decimal> {
        let close = self.close?;
        if close.is_zero() {
            return None;
        }
        Some(self.change()? / close * Decimal::ONE_HUNDRED)
    }

    /// The best reference price: last, else the midpoint, else bid or ask.
    pub fn reference(&self) -> Option<Decimal> {
        self.last.or(match (self.bid, self.ask) {
            (Some(bid), Some(ask)) => Some((bid + ask) / Decimal::TWO),
            (bid, ask) => bid.or(ask),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("literal")
    }

    #[test]
    fn change_needs_both_last_and_close() {
        let at = Utc::now();
        let mut quote = Quote::default();
        assert_eq!(quote.change(), None);
        quote.set(TickField::Last, d("101"), at);
        assert_eq!(quote.change(), None);
        quote.set(TickField::Close, d("100"), at);
        assert_eq!(quote.change(), Some(d("1")));
        assert_eq!(quote.change_pct(), Some(d("1")));
    }

    #[test]
    fn reference_prefers_last_then_mid() {
        let at = Utc::now();
        let mut quote = Quote::default();
        assert_eq!(quote.reference(), None);
        quote.set(TickField::Bid, d("10.00"), at);
        assert_eq!(quote.reference(), Some(d("10.00")));
        quote.set(TickField::Ask, d("10.02"), at);
        assert_eq!(quote.reference(), Some(d("10.01")));
        quote.set(TickField::Last, d("10.05"), at);
        assert_eq!(quote.reference(), Some(d("10.05")));
    }

    #[test]
    fn bar_history_is_bounded() {
        let mut quote = Quote::default();
        for i in 0..(BAR_HISTORY as i64 + 3) {
            quote.push_bar(Decimal::from(i));
        }
        assert_eq!(quote.bars.len(), BAR_HISTORY);
        assert_eq!(quote.bars.front(), Some(&Decimal::from(3)));
    }
}
