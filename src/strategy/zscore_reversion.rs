//! Z-score mean reversion: buy when the close is `entry` standard deviations below its rolling
//! mean, sell when it is `entry` above, and go flat when it comes back within `exit`.

use super::indicators::ZScore;
use super::market_data::Bar;
use super::strategy::{checked_close, one_place, reading, SignalDraft, Strategy, StrategyError};
use crate::store::SignalSide;
use rust_decimal::Decimal;

/// The position the signals have asked for so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stance {
    Flat,
    Long,
    Short,
}

/// Starts flat, so a first reading already beyond `entry` is a signal (the stance changes).
pub struct ZScoreReversion {
    name: String,
    zscore: ZScore,
    entry: Decimal,
    exit: Decimal,
    stance: Stance,
}

impl ZScoreReversion {
    pub fn new(window: usize, entry: Decimal, exit: Decimal) -> Self {
        let (entry, exit) = (entry.normalize(), exit.normalize());
        ZScoreReversion {
            name: format!("zscore({window},{entry},{exit})"),
            zscore: ZScore::new(window),
            entry,
            exit,
            stance: Stance::Flat,
        }
    }
}

impl Strategy for ZScoreReversion {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_bar(&mut self, bar: &Bar) -> Result<Option<SignalDraft>, StrategyError> {
        let close = checked_close(bar)?;
        let Some(z) = self.zscore.update(close) else {
            return Ok(None);
        };
        let window = self.zscore.window();
        let (entry, exit) = (self.entry, self.exit);
        let (stance, side, reason) = if z < -entry && self.stance != Stance::Long {
            let shown = reading(z, |shown| shown < -entry);
            (Stance::Long, SignalSide::Buy, format!("z-score {shown} below {} over {window} bars", one_place(-entry)))
        } else if z > entry && self.stance != Stance::Short {
            let shown = reading(z, |shown| shown > entry);
            (Stance::Short, SignalSide::Sell, format!("z-score {shown} above {} over {window} bars", one_place(entry)))
        } else if z.abs() < exit && self.stance != Stance::Flat {
            let shown = reading(z, |shown| shown.abs() < exit);
            (
                Stance::Flat,
                SignalSide::Flat,
                format!("z-score {shown} back within {} over {window} bars", one_place(exit)),
            )
        } else {
            return Ok(None);
        };
        self.stance = stance;
        Ok(Some(SignalDraft { side, strength: z.abs().round_dp(2), reason }))
    }

    fn is_ready(&self) -> bool {
        self.zscore.value().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::{bar, d};

    fn run(strategy: &mut ZScoreReversion, closes: &str) -> Vec<Option<SignalDraft>> {
        closes
            .split_whitespace()
            .enumerate()
            .map(|(i, close)| strategy.on_bar(&bar("IWM", i as u32, close)).expect("a usable bar"))
            .collect()
    }

    fn signal(side: SignalSide, strength: &str, reason: &str) -> Option<SignalDraft> {
        Some(SignalDraft { side, strength: d(strength), reason: reason.into() })
    }

    #[test]
    fn enters_beyond_entry_and_exits_within_exit() {
        let mut z = ZScoreReversion::new(4, d("1.5"), d("0.50"));
        assert_eq!(z.name(), "zscore(4,1.5,0.5)");
        // Population z-score over 4 bars:
        // bar  window         mean   std       z
        //  3   10 10 10 13    10.75  1.299038   1.732051  > 1.5 from flat -> SELL
        //  4   10 10 13 13    11.5   1.5        1         short: hold
        //  5   10 13 13 12    12     1.224745   0         within 0.5 -> FLAT
        //  6   13 13 12 11    12.25  0.829156  -1.507557  < -1.5 -> BUY ("-1.51": "-1.5" is not below)
        //  7   13 12 11  8    11     1.870829  -1.603567  long: hold
        //  8   12 11  8  7    9.5    2.061553  -1.212678  long: hold
        //  9   11  8  7  8    8.5    1.5       -0.333333  within 0.5 -> FLAT
        // 10    8  7  8  9    8      0.707107   1.414214  flat, not beyond 1.5: nothing
        // 11    7  8  9  9    8.25   0.829156   0.904534
        // 12    8  9  9 10    9      0.707107   1.414214
        // 13    9  9 10 12    10     1.224745   1.632993  > 1.5 -> SELL
        let got = run(&mut z, "10 10 10 13 13 12 11 8 7 8 9 9 10 12");
        let mut expected = vec![None; 14];
        expected[3] = signal(SignalSide::Sell, "1.73", "z-score 1.7 above 1.5 over 4 bars");
        expected[5] = signal(SignalSide::Flat, "0", "z-score 0.0 back within 0.5 over 4 bars");
        expected[6] = signal(SignalSide::Buy, "1.51", "z-score -1.51 below -1.5 over 4 bars");
        expected[9] = signal(SignalSide::Flat, "0.33", "z-score -0.3 back within 0.5 over 4 bars");
        expected[13] = signal(SignalSide::Sell, "1.63", "z-score 1.6 above 1.5 over 4 bars");
        assert_eq!(got, expected);
    }

    #[test]
    fn flips_from_long_to_short_without_going_flat() {
        let mut z = ZScoreReversion::new(4, d("1.5"), d("0.5"));
        // As above up to bar 7 (long since bar 6); then 20: window 12 11 8 20, mean 12.75,
        // squared deviations 0.5625 + 3.0625 + 22.5625 + 52.5625 = 78.75, std sqrt(19.6875) =
        // 4.437060, z = 7.25 / 4.437060 = 1.633949 -> SELL.
        let got = run(&mut z, "10 10 10 13 13 12 11 8 20");
        let sides: Vec<_> = got.iter().map(|s| s.as_ref().map(|s| s.side)).collect();
        use SignalSide::*;
        assert_eq!(sides, vec![None, None, None, Some(Sell), None, Some(Flat), Some(Buy), None, Some(Sell)]);
        assert_eq!(got[8].as_ref().map(|s| s.reason.as_str()), Some("z-score 1.6 above 1.5 over 4 bars"));
    }

    #[test]
    fn the_default_text_shows_thresholds_with_a_decimal() {
        let mut z = ZScoreReversion::new(3, d("1"), d("0.5"));
        // 1 1 4: mean 2, squared deviations 1 + 1 + 4 = 6, std sqrt(2) = 1.414214,
        // z = 2 / 1.414214 = 1.414214 > 1.
        let got = run(&mut z, "1 1 4");
        assert_eq!(got[2].as_ref().map(|s| s.reason.as_str()), Some("z-score 1.4 above 1.0 over 3 bars"));
    }
}
