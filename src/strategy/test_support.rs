//! Helpers shared by the strategy tests.

use super::market_data::Bar;
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

/// A `Decimal` from a literal.
pub fn d(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|_| panic!("{text:?} is not a decimal"))
}

/// The start of the `n`th 5-second bar of a session.
pub fn bar_time(n: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 14, 30, 0).single().expect("a valid time")
        + chrono::Duration::seconds(5 * i64::from(n))
}

/// The `n`th bar of `symbol`, with every price at `close`.
pub fn bar(symbol: &str, n: u32, close: &str) -> Bar {
    let close = d(close);
    Bar {
        symbol: symbol.to_string(),
        time: bar_time(n),
        open: close,
        high: close,
        low: close,
        close,
        volume: Decimal::from(100),
    }
}
