//! Text formatting for figures: money with thousands separators, signed P&L, quantities,
//! percentages and ages. Values are `Decimal` all the way; nothing goes through f64.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

/// What a value that has not arrived shows. Never a made-up zero.
pub const MISSING: &str = "--";

/// `value` rounded to `dp` places (half away from zero), with thousands separators.
pub fn grouped(value: Decimal, dp: u32) -> String {
    let rounded = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let plain = format!("{:.*}", dp as usize, rounded.abs());
    let (int_part, frac_part) = match plain.split_once('.') {
        Some((int_part, frac_part)) => (int_part, Some(frac_part)),
        None => (plain.as_str(), None),
    };
    let mut out = String::with_capacity(plain.len() + plain.len() / 3 + 1);
    if negative {
        out.push('-');
    }
    let digits = int_part.len();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac_part) = frac_part {
        out.push('.');
        out.push_str(frac_part);
    }
    out
}

/// Money: two decimals and thousands separators (`1,000,123.45`).
pub fn money(value: Decimal) -> String {
    grouped(value, 2)
}

/// P&L: money with an explicit sign so it reads without colour (`+75.00`, `-12.50`, `0.00`).
pub fn signed_money(value: Decimal) -> String {
    let text = money(value);
    if value.is_sign_positive() && !text.chars().all(|c| c == '0' || c == '.' || c == ',') {
        format!("+{text}")
    } else {
        text
    }
}

/// A price: at least two decimals, up to four when the price has them (FX, sub-penny).
pub fn price(value: Decimal) -> String {
    let dp = value.normalize().scale().clamp(2, 4);
    grouped(value, dp)
}

/// A quantity as it is (fractional shares keep their digits), with thousands separators.
pub fn quantity(value: Decimal) -> String {
    let normalized = value.normalize();
    grouped(normalized, normalized.scale())
}

/// A fraction shown as a percentage with two decimals (`0.9345` → `93.45%`).
pub fn percent_of_fraction(fraction: Decimal) -> String {
    format!("{}%", grouped(fraction * Decimal::ONE_HUNDRED, 2))
}

/// How long ago `at` was, compactly: `3s`, `2m05s`, `1h02m`, `3d04h`. Future times read `0s`.
pub fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds().max(0);
    duration_secs(secs)
}

/// A number of seconds, compactly (see [`age`]).
pub fn duration_secs(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        3600..=86_399 => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("{}d{:02}h", secs / 86_400, (secs % 86_400) / 3600),
    }
}

/// `f(value)` or [`MISSING`].
pub fn or_missing<T>(value: Option<T>, f: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| MISSING.to_string(), f)
}

/// `text` cut to `width` characters, with `…` when it was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// `text` with control characters (newlines, tabs, escapes from a gateway message or a log
/// line) turned into spaces, so it cannot break the layout or the terminal.
pub fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// `text` broken into lines of at most `width` characters, at spaces where it can. Control
/// characters become spaces first.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let text = printable(text);
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        let sep = usize::from(len > 0);
        if len + sep + word.len() <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.extend(word.iter());
            len += sep + word.len();
            continue;
        }
        if len > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        line.extend(word.iter());
        len = word.len();
    }
    if len > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal literal")
    }

    #[test]
    fn money_has_thousands_separators_and_two_decimals() {
        assert_eq!(money(d("1000123.45")), "1,000,123.45");
        assert_eq!(money(d("999.999")), "1,000.00");
        assert_eq!(money(d("0")), "0.00");
        assert_eq!(money(d("12")), "12.00");
        assert_eq!(money(d("-1234567.891")), "-1,234,567.89");
        assert_eq!(money(d("100000")), "100,000.00");
        assert_eq!(money(d("-0.001")), "0.00");
    }

    #[test]
    fn pnl_carries_its_sign_in_text() {
        assert_eq!(signed_money(d("75")), "+75.00");
        assert_eq!(signed_money(d("-12.5")), "-12.50");
        assert_eq!(signed_money(d("0")), "0.00");
        assert_eq!(signed_money(d("0.001")), "0.00");
        assert_eq!(signed_money(d("1234.5")), "+1,234.50");
    }

    #[test]
    fn prices_quantities_and_percentages() {
        assert_eq!(price(d("151")), "151.00");
        assert_eq!(price(d("1.08345")), "1.0835");
        assert_eq!(price(d("1.083")), "1.083");
        assert_eq!(quantity(d("100.00")), "100");
        assert_eq!(quantity(d("0.5")), "0.5");
        assert_eq!(quantity(d("-2500")), "-2,500");
        assert_eq!(percent_of_fraction(d("0.93456")), "93.46%");
    }

    #[test]
    fn ages_are_compact() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 14, 30, 0).single().expect("time");
        assert_eq!(age(now, now - chrono::Duration::seconds(3)), "3s");
        assert_eq!(age(now, now - chrono::Duration::seconds(125)), "2m05s");
        assert_eq!(age(now, now - chrono::Duration::seconds(3720)), "1h02m");
        assert_eq!(age(now, now - chrono::Duration::seconds(2 * 86_400 + 7200)), "2d02h");
        assert_eq!(age(now, now + chrono::Duration::seconds(5)), "0s");
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_splits_long_words() {
        assert_eq!(
            wrap("connection refused by 127.0.0.1:4710", 12),
            vec!["connection", "refused by", "127.0.0.1:47", "10"]
        );
        assert_eq!(wrap("short", 12), vec!["short"]);
        assert_eq!(wrap("", 12), vec![""]);
    }

    proptest::proptest! {
        #[test]
        fn money_reads_back_as_the_rounded_value(units in -10_000_000_000_000i64..10_000_000_000_000i64, scale in 0u32..6) {
            let value = Decimal::new(units, scale);
            let text = money(value);
            let back = Decimal::from_str(&text.replace(',', "")).expect("parses back");
            proptest::prop_assert_eq!(back, value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero));
            let int_part = text.trim_start_matches('-').split('.').next().unwrap_or_default();
            for (i, group) in int_part.split(',').enumerate() {
                proptest::prop_assert!(if i == 0 { (1..=3).contains(&group.len()) } else { group.len() == 3 }, "{}", text);
            }
        }
    }

    #[test]
    fn control_characters_never_reach_the_screen() {
        assert_eq!(printable("a\nb\tc\u{1b}[2J"), "a b c [2J");
        assert_eq!(wrap("line one\nline two", 40), vec!["line one line two"]);
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("reconnecting", 5), "reco…");
        assert_eq!(truncate("ok", 5), "ok");
        assert_eq!(truncate("ok", 0), "");
    }
}
