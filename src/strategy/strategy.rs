//! The interface every strategy implements, and what it hands back.

use super::market_data::{is_usable_price, Bar, Tick};
use crate::store::{Signal, SignalSide};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// One strategy instance on one symbol. It sees only its symbol's data, in order, and answers
/// with a signal only when its state changes (a crossover, a threshold crossing), never on every
/// bar. An `Err` (or a panic) stops the instance: diagnostics mark it Failed and it is restarted
/// with fresh state.
pub trait Strategy: Send {
    /// A short name with its parameters, such as `sma_cross(20,50)`; it is the signal's
    /// `strategy` field.
    fn name(&self) -> &str;

    fn on_bar(&mut self, bar: &Bar) -> Result<Option<SignalDraft>, StrategyError>;

    /// Ticks reach a strategy only when [`Strategy::wants_ticks`] says so.
    fn on_tick(&mut self, _tick: &Tick) -> Result<Option<SignalDraft>, StrategyError> {
        Ok(None)
    }

    fn wants_ticks(&self) -> bool {
        false
    }

    /// True once the indicators have warmed up and a signal can come.
    fn is_ready(&self) -> bool;
}

/// A signal without the parts the task fills in (time, symbol, strategy name).
///
/// `strength` is how far past its trigger the indicator was, in the strategy's own units:
/// the fast/slow gap in percent of the slow average for `sma_cross`, RSI points past the
/// threshold for `rsi`, and the absolute z-score for `zscore`.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalDraft {
    pub side: SignalSide,
    pub strength: Decimal,
    pub reason: String,
}

impl SignalDraft {
    pub fn into_signal(self, at: DateTime<Utc>, symbol: &str, strategy: &str) -> Signal {
        Signal {
            at,
            symbol: symbol.to_string(),
            strategy: strategy.to_string(),
            side: self.side,
            strength: self.strength,
            reason: self.reason,
        }
    }
}

/// Why a strategy instance stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StrategyError {
    #[error(
        "{symbol} bar at {time}: close {close} is not a usable price (expected above 0 and at most 1000000000000)"
    )]
    UnusablePrice { symbol: String, time: DateTime<Utc>, close: Decimal },
}

/// The bar's close, if the indicators can take it.
pub fn checked_close(bar: &Bar) -> Result<Decimal, StrategyError> {
    if is_usable_price(bar.close) {
        Ok(bar.close)
    } else {
        Err(StrategyError::UnusablePrice { symbol: bar.symbol.clone(), time: bar.time, close: bar.close })
    }
}

/// `value` with at least one decimal place, as reasons show thresholds and readings ("2.0",
/// "27.4", "-2.35").
pub(crate) fn one_place(value: Decimal) -> String {
    let value = value.normalize();
    if value.scale() == 0 {
        format!("{value}.0")
    } else {
        value.to_string()
    }
}

/// `value` rounded to as few places as keep it on the side of its threshold that `holds` checks
/// (at least one place, at most six): RSI 27.43 shows as "27.4", but 29.96 against 30 as
/// "29.96", never as a "30.0 fell below 30".
pub(crate) fn reading(value: Decimal, holds: impl Fn(Decimal) -> bool) -> String {
    (1..=6).map(|places| value.round_dp(places)).find(|shown| holds(*shown)).map_or_else(|| one_place(value), one_place)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::{bar, d};

    #[test]
    fn bad_closes_are_errors_naming_the_bar() {
        let error = checked_close(&bar("SPY", 3, "0")).expect_err("zero is not a price");
        assert_eq!(
            error.to_string(),
            "SPY bar at 2026-01-05 14:30:15 UTC: close 0 is not a usable price (expected above 0 and at most \
             1000000000000)"
        );
        assert!(checked_close(&bar("SPY", 0, "-3")).is_err());
        assert_eq!(checked_close(&bar("SPY", 0, "450.25")), Ok(d("450.25")));
    }

    #[test]
    fn one_place_keeps_at_least_a_decimal() {
        assert_eq!(one_place(d("2")), "2.0");
        assert_eq!(one_place(d("2.00")), "2.0");
        assert_eq!(one_place(d("-2.3")), "-2.3");
        assert_eq!(one_place(d("0.25")), "0.25");
    }

    #[test]
    fn readings_stay_on_their_side_of_the_threshold() {
        let below_30 = |v: Decimal| v < d("30");
        assert_eq!(reading(d("27.43"), below_30), "27.4");
        assert_eq!(reading(d("29.96"), below_30), "29.96");
        assert_eq!(reading(d("29.9999"), below_30), "29.9999");
        assert_eq!(reading(d("29.99999999"), below_30), "29.99999999");
        assert_eq!(reading(d("-1.507557"), |v| v < d("-1.5")), "-1.51");
        assert_eq!(reading(d("0.46"), |v| v.abs() < d("0.5")), "0.46");
        assert_eq!(reading(d("0.0"), |v| v.abs() < d("0.5")), "0.0");
    }
}
