//! What the strategy task consumes: real-time bars and (optionally) ticks from the broker.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// The largest price a bar may carry. Anything above is a feed error (IB uses `f64::MAX` for
/// "unset"), and keeping prices below it keeps every indicator sum far from `Decimal`'s range.
pub const MAX_PRICE: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 1e12

/// One real-time bar (IB sends 5-second bars); `time` is the bar's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub symbol: String,
    pub time: DateTime<Utc>,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
}

/// One last-trade price.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub symbol: String,
    pub time: DateTime<Utc>,
    pub price: Decimal,
}

/// The strategy task's input.
#[derive(Debug, Clone, PartialEq)]
pub enum MarketData {
    Bar(Bar),
    Tick(Tick),
}

impl MarketData {
    pub fn symbol(&self) -> &str {
        match self {
            MarketData::Bar(bar) => &bar.symbol,
            MarketData::Tick(tick) => &tick.symbol,
        }
    }
}

impl From<Bar> for MarketData {
    fn from(bar: Bar) -> Self {
        MarketData::Bar(bar)
    }
}

impl From<Tick> for MarketData {
    fn from(tick: Tick) -> Self {
        MarketData::Tick(tick)
    }
}

/// Whether `price` is one the indicators can take: positive and at most [`MAX_PRICE`].
pub fn is_usable_price(price: Decimal) -> bool {
    price > Decimal::ZERO && price <= MAX_PRICE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::d;

    #[test]
    fn max_price_is_one_trillion() {
        assert_eq!(MAX_PRICE, d("1000000000000"));
    }

    #[test]
    fn usable_prices() {
        assert!(is_usable_price(d("0.0001")));
        assert!(is_usable_price(MAX_PRICE));
        assert!(!is_usable_price(Decimal::ZERO));
        assert!(!is_usable_price(d("-1")));
        assert!(!is_usable_price(MAX_PRICE + Decimal::ONE));
    }
}
