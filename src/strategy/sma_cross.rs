//! SMA crossover: buy when the fast average crosses above the slow one, sell when it crosses
//! below.

use super::indicators::Sma;
use super::market_data::Bar;
use super::strategy::{checked_close, SignalDraft, Strategy, StrategyError};
use crate::store::SignalSide;
use rust_decimal::Decimal;
use std::cmp::Ordering;

pub struct SmaCross {
    name: String,
    fast: Sma,
    slow: Sma,
    /// Whether fast was last strictly above (`Greater`) or below (`Less`) slow. Bars where the
    /// averages are equal leave it alone, so below -> equal -> above is one crossing, signalled
    /// on the bar that is above.
    side: Option<Ordering>,
}

impl SmaCross {
    pub fn new(fast: usize, slow: usize) -> Self {
        SmaCross { name: format!("sma_cross({fast},{slow})"), fast: Sma::new(fast), slow: Sma::new(slow), side: None }
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_bar(&mut self, bar: &Bar) -> Result<Option<SignalDraft>, StrategyError> {
        let close = checked_close(bar)?;
        let (Some(fast), Some(slow)) = (self.fast.update(close), self.slow.update(close)) else {
            return Ok(None);
        };
        let now = fast.cmp(&slow);
        if now == Ordering::Equal {
            return Ok(None);
        }
        let before = self.side.replace(now);
        if before.is_none() || before == Some(now) {
            return Ok(None);
        }
        let (side, direction) =
            if now == Ordering::Greater { (SignalSide::Buy, "above") } else { (SignalSide::Sell, "below") };
        let gap = ((fast - slow) / slow * Decimal::ONE_HUNDRED).abs().round_dp(4);
        Ok(Some(SignalDraft {
            side,
            strength: gap,
            reason: format!("SMA{} crossed {direction} SMA{}", self.fast.period(), self.slow.period()),
        }))
    }

    fn is_ready(&self) -> bool {
        self.slow.value().is_some() && self.fast.value().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::{bar, d};

    fn run(strategy: &mut SmaCross, closes: &[&str]) -> Vec<Option<SignalDraft>> {
        closes
            .iter()
            .enumerate()
            .map(|(i, close)| strategy.on_bar(&bar("SPY", i as u32, close)).expect("a usable bar"))
            .collect()
    }

    #[test]
    fn buys_on_the_cross_above_and_sells_on_the_cross_below_only() {
        let mut sma = SmaCross::new(2, 3);
        assert_eq!(sma.name(), "sma_cross(2,3)");
        // bar  close  fast(2)           slow(3)               fast vs slow
        //  0    3     --                --
        //  1    2     2.5               --
        //  2    1     1.5               (3+2+1)/3 = 2         below (first reading: no signal)
        //  3    1     1                 (2+1+1)/3 = 1.33      below
        //  4    4     2.5               (1+1+4)/3 = 2         above -> BUY, gap 0.5/2 = 25%
        //  5    4     4                 (1+4+4)/3 = 3         above
        //  6    1     2.5               (4+4+1)/3 = 3         below -> SELL, gap 0.5/3 = 16.6667%
        //  7    1     1                 (4+1+1)/3 = 2         below
        let got = run(&mut sma, &["3", "2", "1", "1", "4", "4", "1", "1"]);
        let buy = SignalDraft { side: SignalSide::Buy, strength: d("25"), reason: "SMA2 crossed above SMA3".into() };
        let sell =
            SignalDraft { side: SignalSide::Sell, strength: d("16.6667"), reason: "SMA2 crossed below SMA3".into() };
        assert_eq!(got, vec![None, None, None, None, Some(buy), None, Some(sell), None]);
    }

    #[test]
    fn touching_is_not_crossing() {
        let mut sma = SmaCross::new(2, 4);
        // bar  close  fast(2)  slow(4)             fast vs slow
        //  3    1     1.5      (4+3+2+1)/4 = 2.5   below (first reading)
        //  4    4     2.5      (3+2+1+4)/4 = 2.5   equal: no change of side
        //  5    1     2.5      (2+1+4+1)/4 = 2     above -> BUY here, not on the equal bar
        //  6    1     1        (1+4+1+1)/4 = 1.75  below -> SELL
        //  7    2.5   1.75     (4+1+1+2.5)/4=2.125 below
        let got = run(&mut sma, &["4", "3", "2", "1", "4", "1", "1", "2.5"]);
        let sides: Vec<_> = got.iter().map(|s| s.as_ref().map(|s| s.side)).collect();
        assert_eq!(sides, vec![None, None, None, None, None, Some(SignalSide::Buy), Some(SignalSide::Sell), None]);
    }

    #[test]
    fn ready_once_the_slow_average_has_warmed_up() {
        let mut sma = SmaCross::new(2, 3);
        run(&mut sma, &["1", "2"]);
        assert!(!sma.is_ready());
        run(&mut sma, &["3"]);
        assert!(sma.is_ready());
    }

    #[test]
    fn an_unusable_close_is_an_error() {
        let mut sma = SmaCross::new(2, 3);
        assert!(matches!(sma.on_bar(&bar("SPY", 0, "0")), Err(StrategyError::UnusablePrice { .. })));
    }
}
