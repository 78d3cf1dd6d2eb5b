//! Relative strength index with Wilder's smoothing.

use rust_decimal::Decimal;

/// Wilder's RSI over `period` changes.
///
/// The first averages are the simple means of the first `period` gains and losses (so the first
/// value needs `period + 1` closes); after that each average is smoothed as
/// `avg = (avg * (period - 1) + current) / period`. RSI is `100 * avg_gain / (avg_gain +
/// avg_loss)`, which equals `100 - 100 / (1 + RS)` and is 100 when there were no losses. A
/// series that has not moved at all (both averages 0) reads 50: neither overbought nor oversold.
#[derive(Debug, Clone, PartialEq)]
pub struct Rsi {
    period: usize,
    previous: Option<Decimal>,
    /// Changes seen while seeding the first averages.
    seeded: usize,
    gain: Decimal,
    loss: Decimal,
    value: Option<Decimal>,
}

impl Rsi {
    /// An RSI over `period` changes (a period of 0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Rsi { period: period.max(1), previous: None, seeded: 0, gain: Decimal::ZERO, loss: Decimal::ZERO, value: None }
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// Add a close; the RSI once `period + 1` closes have arrived.
    pub fn update(&mut self, close: Decimal) -> Option<Decimal> {
        let previous = self.previous.replace(close)?;
        let change = close - previous;
        let gain = change.max(Decimal::ZERO);
        let loss = (-change).max(Decimal::ZERO);
        let period = Decimal::from(self.period);
        if self.seeded < self.period {
            self.gain += gain;
            self.loss += loss;
            self.seeded += 1;
            if self.seeded < self.period {
                return None;
            }
            self.gain /= period;
            self.loss /= period;
        } else {
            let keep = Decimal::from(self.period - 1);
            self.gain = (self.gain * keep + gain) / period;
            self.loss = (self.loss * keep + loss) / period;
        }
        let total = self.gain + self.loss;
        let rsi = if total.is_zero() { Decimal::from(50) } else { Decimal::ONE_HUNDRED * self.gain / total };
        self.value = Some(rsi);
        self.value
    }

    /// The current RSI, `None` while warming up.
    pub fn value(&self) -> Option<Decimal> {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::d;
    use proptest::prelude::*;

    fn feed(rsi: &mut Rsi, closes: &str) -> Vec<Option<Decimal>> {
        closes.split_whitespace().map(|c| rsi.update(d(c)).map(|v| v.round_dp(2))).collect()
    }

    /// The classic 14-period series from Wilder's method as StockCharts tabulates it.
    ///
    /// The 14 changes of the first 15 closes: gains 0.06+0.72+0.50+0.27+0.32+0.42+0.24+0.14+0.67
    /// = 3.34, losses 0.25+0.54+0.19+0.42 = 1.40 (the last change, 46.28 -> 46.28, is 0).
    /// First averages 3.34/14 = 0.238571.., 1.40/14 = 0.1: RSI = 100 * 0.238571/0.338571 = 70.46.
    /// Next close 46.00 (-0.28): gain 0.238571*13/14 = 0.221531, loss (0.1*13 + 0.28)/14 =
    /// 0.112857: RSI = 100 * 0.221531/0.334388 = 66.25. The later values were checked with exact
    /// fractions; StockCharts' table shows 70.53, 66.32, 66.55, 69.41, 66.36, 57.97 because it
    /// rounds the averages at every step.
    #[test]
    fn wilder_on_the_classic_series() {
        let mut rsi = Rsi::new(14);
        let got = feed(
            &mut rsi,
            "44.34 44.09 44.15 43.61 44.33 44.83 45.10 45.42 45.84 46.08 45.89 46.03 45.61 46.28 \
             46.28 46.00 46.03 46.41 46.22 45.64",
        );
        let mut expected = vec![None; 14];
        expected.extend(["70.46", "66.25", "66.48", "69.35", "66.29", "57.92"].map(|v| Some(d(v))));
        assert_eq!(got, expected);
        assert_eq!(rsi.value().map(|v| v.round_dp(2)), Some(d("57.92")));
    }

    #[test]
    fn small_period_by_hand() {
        let mut rsi = Rsi::new(2);
        // 10 -> 11 -> 12: gains 1, 1; losses 0, 0. avg gain 1, avg loss 0 -> 100.
        // 11 (-1): gain (1*1 + 0)/2 = 0.5, loss (0*1 + 1)/2 = 0.5 -> 50.
        // 9 (-2): gain 0.25, loss (0.5 + 2)/2 = 1.25 -> 100 * 0.25/1.5 = 16.67.
        // 8 (-1): gain 0.125, loss (1.25 + 1)/2 = 1.125 -> 100 * 0.125/1.25 = 10.
        // 12 (+4): gain (0.125 + 4)/2 = 2.0625, loss 0.5625 -> 100 * 2.0625/2.625 = 78.57.
        let got = feed(&mut rsi, "10 11 12 11 9 8 12");
        let expected =
            [None, None, Some("100"), Some("50"), Some("16.67"), Some("10"), Some("78.57")].map(|v| v.map(d)).to_vec();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_flat_series_reads_fifty_not_zero() {
        let mut rsi = Rsi::new(3);
        assert_eq!(feed(&mut rsi, "5 5 5 5 5"), vec![None, None, None, Some(d("50")), Some(d("50"))]);
    }

    proptest! {
        #[test]
        fn stays_between_0_and_100_and_warms_up_after_period_changes(
            period in 1usize..20,
            cents in proptest::collection::vec(1i64..10_000_000, 0..80),
        ) {
            let mut rsi = Rsi::new(period);
            for (i, cents) in cents.iter().enumerate() {
                let value = rsi.update(Decimal::new(*cents, 2));
                prop_assert_eq!(value.is_some(), i >= period, "after {} closes", i + 1);
                if let Some(value) = value {
                    prop_assert!(value >= Decimal::ZERO && value <= Decimal::ONE_HUNDRED, "{}", value);
                }
            }
        }
    }
}
