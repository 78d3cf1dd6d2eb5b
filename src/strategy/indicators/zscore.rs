//! Rolling z-score.

use super::sqrt::sqrt;
use rust_decimal::Decimal;
use std::collections::VecDeque;

/// How far the newest value lies from the mean of the last `window` values (the newest
/// included), in **population** standard deviations (divided by `window`, not `window - 1`).
///
/// `None` while warming up, and also when the window has not moved at all (a standard deviation
/// of 0 leaves the z-score undefined). The deviations are summed over the window on each update
/// rather than kept as a running sum of squares, so a flat window is exactly 0 and the variance
/// can never come out negative.
#[derive(Debug, Clone, PartialEq)]
pub struct ZScore {
    window: usize,
    values: VecDeque<Decimal>,
    sum: Decimal,
    value: Option<Decimal>,
}

impl ZScore {
    /// A z-score over `window` values (a window below 2 is treated as 2).
    pub fn new(window: usize) -> Self {
        let window = window.max(2);
        ZScore { window, values: VecDeque::with_capacity(window + 1), sum: Decimal::ZERO, value: None }
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// Add a value; its z-score once `window` values have arrived.
    pub fn update(&mut self, value: Decimal) -> Option<Decimal> {
        self.values.push_back(value);
        self.sum += value;
        if self.values.len() > self.window {
            if let Some(oldest) = self.values.pop_front() {
                self.sum -= oldest;
            }
        }
        self.value = self.compute(value);
        self.value
    }

    /// The current z-score, `None` while warming up or while the window is flat.
    pub fn value(&self) -> Option<Decimal> {
        self.value
    }

    fn compute(&self, newest: Decimal) -> Option<Decimal> {
        if self.values.len() < self.window {
            return None;
        }
        let count = Decimal::from(self.window);
        let mean = self.sum / count;
        let squares: Decimal = self.values.iter().map(|v| (*v - mean) * (*v - mean)).sum();
        let deviation = sqrt(squares / count)?;
        (!deviation.is_zero()).then(|| (newest - mean) / deviation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::d;
    use proptest::prelude::*;

    fn feed(z: &mut ZScore, values: &str) -> Vec<Option<Decimal>> {
        values.split_whitespace().map(|v| z.update(d(v)).map(|z| z.round_dp(6))).collect()
    }

    #[test]
    fn population_z_score_by_hand() {
        let mut z = ZScore::new(3);
        // 1 2 3: mean 2, squared deviations 1 + 0 + 1 = 2, variance 2/3, std 0.816497;
        //   z(3) = 1 / 0.816497 = 1.224745 (= sqrt(1.5)).
        // 2 3 1: mean 2, same spread; z(1) = -1.224745.
        // 3 1 8: mean 4, squared deviations 1 + 9 + 16 = 26, variance 8.666667, std 2.943920;
        //   z(8) = 4 / 2.943920 = 1.358732.
        let got = feed(&mut z, "1 2 3 1 8");
        let expected = [None, None, Some("1.224745"), Some("-1.224745"), Some("1.358732")].map(|v| v.map(d)).to_vec();
        assert_eq!(got, expected);
        assert_eq!(z.value().map(|v| v.round_dp(6)), Some(d("1.358732")));
    }

    #[test]
    fn population_not_sample_deviation() {
        let mut z = ZScore::new(4);
        // 10 10 10 13: mean 10.75, squared deviations 3 * 0.5625 + 5.0625 = 6.75.
        // Population: variance 6.75/4 = 1.6875, std 1.299038, z = 2.25/1.299038 = 1.732051.
        // (A sample deviation would give 6.75/3 = 2.25, std 1.5, z = 1.5.)
        assert_eq!(feed(&mut z, "10 10 10 13"), vec![None, None, None, Some(d("1.732051"))]);
    }

    #[test]
    fn a_flat_window_is_undefined_not_zero() {
        let mut z = ZScore::new(3);
        assert_eq!(feed(&mut z, "450.13 450.13 450.13 450.13"), vec![None; 4]);
        // Moving again: 450.13 450.13 451.13, mean 450.463333, z = 1.414214 (= sqrt(2)).
        assert_eq!(feed(&mut z, "451.13"), vec![Some(d("1.414214"))]);
    }

    proptest! {
        /// A population z-score of a window's own member is at most sqrt(window - 1) in size
        /// (all the others equal, one apart), and it is undefined exactly when the window is
        /// not full or flat.
        #[test]
        fn is_bounded_and_undefined_only_when_warming_up_or_flat(
            window in 2usize..25,
            cents in proptest::collection::vec(1i64..2_000, 0..80),
        ) {
            let mut z = ZScore::new(window);
            let bound = sqrt(Decimal::from(window - 1)).expect("a root") + d("0.000000001");
            for (i, c) in cents.iter().enumerate() {
                let value = z.update(Decimal::new(*c, 2));
                let full = i + 1 >= window;
                let flat = full && cents[i + 1 - window..=i].iter().all(|x| x == c);
                prop_assert_eq!(value.is_some(), full && !flat, "after {} values", i + 1);
                if let Some(value) = value {
                    prop_assert!(value.abs() <= bound, "|{}| > {}", value, bound);
                }
            }
        }
    }
}
