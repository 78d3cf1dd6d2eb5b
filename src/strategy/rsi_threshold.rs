//! RSI thresholds: buy when the RSI falls below the oversold level, sell when it rises above the
//! overbought level.

use super::indicators::Rsi;
use super::market_data::Bar;
use super::strategy::{checked_close, reading, SignalDraft, Strategy, StrategyError};
use crate::store::SignalSide;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Oversold,
    Neutral,
    Overbought,
}

/// Signals on entering a zone from another: a first reading that is already oversold only sets
/// the zone (nothing was crossed), and leaving a zone for neutral is not a signal.
pub struct RsiThreshold {
    name: String,
    rsi: Rsi,
    oversold: Decimal,
    overbought: Decimal,
    zone: Option<Zone>,
}

impl RsiThreshold {
    pub fn new(period: usize, oversold: Decimal, overbought: Decimal) -> Self {
        let (oversold, overbought) = (oversold.normalize(), overbought.normalize());
        RsiThreshold {
            name: format!("rsi({period},{oversold},{overbought})"),
            rsi: Rsi::new(period),
            oversold,
            overbought,
            zone: None,
        }
    }

    fn zone_of(&self, rsi: Decimal) -> Zone {
        if rsi < self.oversold {
            Zone::Oversold
        } else if rsi > self.overbought {
            Zone::Overbought
        } else {
            Zone::Neutral
        }
    }
}

impl Strategy for RsiThreshold {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_bar(&mut self, bar: &Bar) -> Result<Option<SignalDraft>, StrategyError> {
        let close = checked_close(bar)?;
        let Some(rsi) = self.rsi.update(close) else {
            return Ok(None);
        };
        let zone = self.zone_of(rsi);
        let before = self.zone.replace(zone);
        if before.is_none() || before == Some(zone) {
            return Ok(None);
        }
        let period = self.rsi.period();
        let draft = match zone {
            Zone::Neutral => None,
            Zone::Oversold => Some(SignalDraft {
                side: SignalSide::Buy,
                strength: (self.oversold - rsi).round_dp(2),
                reason: format!(
                    "RSI{period} at {} fell below {}",
                    reading(rsi, |shown| shown < self.oversold),
                    self.oversold
                ),
            }),
            Zone::Overbought => Some(SignalDraft {
                side: SignalSide::Sell,
                strength: (rsi - self.overbought).round_dp(2),
                reason: format!(
                    "RSI{period} at {} rose above {}",
                    reading(rsi, |shown| shown > self.overbought),
                    self.overbought
                ),
            }),
        };
        Ok(draft)
    }

    fn is_ready(&self) -> bool {
        self.rsi.value().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::{bar, d};

    fn run(strategy: &mut RsiThreshold, closes: &[&str]) -> Vec<Option<SignalDraft>> {
        closes
            .iter()
            .enumerate()
            .map(|(i, close)| strategy.on_bar(&bar("QQQ", i as u32, close)).expect("a usable bar"))
            .collect()
    }

    #[test]
    fn buys_entering_oversold_and_sells_entering_overbought() {
        let mut rsi = RsiThreshold::new(2, d("30"), d("70.0"));
        assert_eq!(rsi.name(), "rsi(2,30,70)");
        // The RSI(2) values are worked out in indicators::rsi's `small_period_by_hand`:
        // bar 2: 100 (first reading, overbought: sets the zone, no signal)
        // bar 3: 50 (neutral: leaving a zone is no signal)
        // bar 4: 16.67 (oversold from neutral -> BUY, 30 - 16.67 = 13.33 past the threshold)
        // bar 5: 10 (still oversold)
        // bar 6: 78.57 (overbought from oversold -> SELL, 8.57 past)
        let got = run(&mut rsi, &["10", "11", "12", "11", "9", "8", "12"]);
        let buy =
            SignalDraft { side: SignalSide::Buy, strength: d("13.33"), reason: "RSI2 at 16.7 fell below 30".into() };
        let sell =
            SignalDraft { side: SignalSide::Sell, strength: d("8.57"), reason: "RSI2 at 78.6 rose above 70".into() };
        assert_eq!(got, vec![None, None, None, None, Some(buy), None, Some(sell)]);
    }

    #[test]
    fn the_threshold_itself_is_neutral() {
        // RSI(2) of 10 11 12 11 is 50 (see above); with oversold = 50 that is not below it.
        let mut rsi = RsiThreshold::new(2, d("50"), d("80"));
        let got = run(&mut rsi, &["10", "11", "12", "11", "9"]);
        // bar 4 (16.67) is the first reading below 50.
        assert_eq!(got.iter().position(Option::is_some), Some(4));
        assert_eq!(got[4].as_ref().map(|s| s.reason.as_str()), Some("RSI2 at 16.7 fell below 50"));
    }

    #[test]
    fn ready_after_period_plus_one_closes() {
        let mut rsi = RsiThreshold::new(3, d("30"), d("70"));
        run(&mut rsi, &["1", "2", "3"]);
        assert!(!rsi.is_ready());
        run(&mut rsi, &["4"]);
        assert!(rsi.is_ready());
    }
}
