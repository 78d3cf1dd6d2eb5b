//! Sparklines as text: one character per value, scaled between the lowest and highest value
//! shown. Unicode blocks for the cockpit, an ASCII ramp for plain terminals.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Eight levels, lowest first.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Five levels in plain ASCII, lowest first.
const ASCII: [char; 5] = ['_', '.', '-', '=', '#'];

/// The newest `width` values as a sparkline (oldest left). A flat series sits at the middle
/// level; no values give an empty string.
pub fn sparkline<'a>(values: impl DoubleEndedIterator<Item = &'a Decimal>, width: usize, ascii: bool) -> String {
    let ramp: &[char] = if ascii { &ASCII } else { &BLOCKS };
    let mut shown: Vec<Decimal> = values.rev().take(width).copied().collect();
    shown.reverse();
    let (Some(low), Some(high)) = (shown.iter().min().copied(), shown.iter().max().copied()) else {
        return String::new();
    };
    let top = Decimal::from(ramp.len() - 1);
    let range = high - low;
    shown
        .iter()
        .map(|value| {
            let level = if range.is_zero() {
                ramp.len() / 2
            } else {
                let scaled = ((*value - low) * top / range).round();
                scaled.to_usize().unwrap_or(0).min(ramp.len() - 1)
            };
            ramp[level]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(v: &[i64]) -> Vec<Decimal> {
        v.iter().map(|n| Decimal::from(*n)).collect()
    }

    #[test]
    fn scales_between_the_lowest_and_highest_value_shown() {
        assert_eq!(sparkline(values(&[1, 2, 3, 4, 5, 6, 7, 8]).iter(), 8, false), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(values(&[10, 20, 30, 40, 50]).iter(), 5, true), "_.-=#");
        assert_eq!(sparkline(values(&[100, 0]).iter(), 5, true), "#_");
    }

    #[test]
    fn keeps_the_newest_values_and_handles_flat_and_empty_series() {
        assert_eq!(sparkline(values(&[0, 0, 0, 1, 2]).iter(), 2, true), "_#", "only the newest two");
        assert_eq!(sparkline(values(&[5, 5, 5]).iter(), 10, true), "---");
        assert_eq!(sparkline(values(&[]).iter(), 10, false), "");
        assert_eq!(sparkline(values(&[1, 2]).iter(), 0, false), "");
    }

    #[test]
    fn ascii_ramps_never_contain_anything_but_ascii() {
        let series = values(&[-5, 3, 1000, -20000, 7, 7, 8]);
        assert!(sparkline(series.iter(), 7, true).is_ascii());
    }
}
