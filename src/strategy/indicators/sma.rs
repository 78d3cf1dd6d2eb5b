//! Simple moving average.

use rust_decimal::Decimal;
use std::collections::VecDeque;

/// The mean of the last `period` values, kept as a running sum (exact in `Decimal` for prices).
#[derive(Debug, Clone, PartialEq)]
pub struct Sma {
    period: usize,
    window: VecDeque<Decimal>,
    sum: Decimal,
}

impl Sma {
    /// An average over `period` values (a period of 0 is treated as 1).
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Sma { period, window: VecDeque::with_capacity(period + 1), sum: Decimal::ZERO }
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// Add a value; the average once `period` values have arrived.
    pub fn update(&mut self, value: Decimal) -> Option<Decimal> {
        self.window.push_back(value);
        self.sum += value;
        if self.window.len() > self.period {
            if let Some(oldest) = self.window.pop_front() {
                self.sum -= oldest;
            }
        }
        self.value()
    }

    /// The current average, `None` while warming up.
    pub fn value(&self) -> Option<Decimal> {
        (self.window.len() == self.period).then(|| self.sum / Decimal::from(self.period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::d;
    use proptest::prelude::*;

    #[test]
    fn warms_up_then_averages_the_last_period_values() {
        let mut sma = Sma::new(3);
        // 1, 2 -> not enough data yet.
        assert_eq!(sma.update(d("1")), None);
        assert_eq!(sma.update(d("2")), None);
        assert_eq!(sma.value(), None);
        // (1 + 2 + 6) / 3 = 3
        assert_eq!(sma.update(d("6")), Some(d("3")));
        // (2 + 6 + 10) / 3 = 6
        assert_eq!(sma.update(d("10")), Some(d("6")));
        // (6 + 10 + 0.5) / 3 = 5.5
        assert_eq!(sma.update(d("0.5")), Some(d("5.5")));
        // (10 + 0.5 + 0.25) / 3 = 3.583333...
        assert_eq!(sma.update(d("0.25")).map(|v| v.round_dp(6)), Some(d("3.583333")));
        assert_eq!(sma.period(), 3);
    }

    #[test]
    fn a_zero_period_is_a_period_of_one() {
        let mut sma = Sma::new(0);
        assert_eq!(sma.update(d("7.5")), Some(d("7.5")));
        assert_eq!(sma.update(d("8")), Some(d("8")));
    }

    /// Prices with up to 6 decimal places below 10 million, as a feed would send them.
    fn price() -> impl Strategy<Value = Decimal> {
        (1i64..10_000_000_000_000, 0u32..=6).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
    }

    proptest! {
        #[test]
        fn equals_the_naive_mean_of_the_last_period_values(
            period in 1usize..30,
            series in proptest::collection::vec(price(), 0..120),
        ) {
            let mut sma = Sma::new(period);
            for (i, value) in series.iter().enumerate() {
                let got = sma.update(*value);
                let expected = (i + 1 >= period).then(|| {
                    let window = &series[i + 1 - period..=i];
                    window.iter().copied().sum::<Decimal>() / Decimal::from(period)
                });
                prop_assert_eq!(got, expected, "after {} values", i + 1);
            }
        }
    }
}
