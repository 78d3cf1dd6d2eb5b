//! Historical bars: a deterministic past that ends at the instrument's current price, so a
//! chart drawn from history joins the live tape.

use chrono::{NaiveDateTime, TimeZone, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::clock;
use super::rng::SplitMix64;

/// Most bars returned for one request.
pub const MAX_BARS: usize = 5_000;

/// One historical bar.
#[derive(Debug, Clone, PartialEq)]
pub struct HistBar {
    /// Bar start, epoch seconds.
    pub time: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
    pub wap: Decimal,
    pub count: i32,
}

/// Bar length in seconds for IB's bar size setting ("5 mins", "1 day", ...).
pub fn bar_seconds(setting: &str) -> Option<i64> {
    let s = setting.trim().to_ascii_lowercase();
    let (n, unit) = s.split_once(' ')?;
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit_secs = match unit {
        "sec" | "secs" => 1,
        "min" | "mins" => 60,
        "hour" | "hours" => 3_600,
        "day" | "days" => 86_400,
        "week" | "weeks" => 7 * 86_400,
        "month" | "months" => 30 * 86_400,
        _ => return None,
    };
    n.checked_mul(unit_secs)
}

/// Duration in seconds for IB's duration string ("3600 S", "2 D", "1 W", "1 M", "1 Y").
pub fn duration_seconds(duration: &str) -> Option<i64> {
    let s = duration.trim().to_ascii_uppercase();
    let (n, unit) = s.split_once(' ')?;
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit_secs = match unit {
        "S" => 1,
        "D" => 86_400,
        "W" => 7 * 86_400,
        "M" => 30 * 86_400,
        "Y" => 365 * 86_400,
        _ => return None,
    };
    n.checked_mul(unit_secs)
}

/// End of a request: "" = now; "YYYYMMDD HH:MM:SS UTC", "YYYYMMDD-HH:MM:SS" (UTC) or
/// "YYYYMMDD HH:MM:SS US/Eastern".
pub fn parse_end(text: &str, now_ms: i64) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        return Some(now_ms / 1000);
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y%m%d-%H:%M:%S") {
        return Some(Utc.from_utc_datetime(&dt).timestamp());
    }
    let mut parts = t.splitn(3, ' ');
    let (date, time, zone) = (parts.next()?, parts.next()?, parts.next().unwrap_or("UTC"));
    let dt = NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y%m%d %H:%M:%S").ok()?;
    let utc = Utc.from_utc_datetime(&dt).timestamp();
    if zone.contains("Eastern") || zone == "EST" || zone == "EDT" || zone == "America/New_York" {
        // Wall clock in US/Eastern: shift by the offset in effect then.
        let guess = Utc.timestamp_opt(utc, 0).single()?;
        Some(utc - clock::eastern_offset_hours(guess) * 3_600)
    } else {
        Some(utc)
    }
}

/// `count` bars of `bar_secs` ending at `end` (epoch s), the last closing at `anchor`.
pub fn bars(
    con_id: i32,
    seed: u64,
    anchor: Decimal,
    tick: Decimal,
    end: i64,
    bar_secs: i64,
    count: usize,
) -> Vec<HistBar> {
    let count = count.clamp(1, MAX_BARS);
    let last_start = end - end.rem_euclid(bar_secs);
    // The walk is seeded by the contract, the bar size and the bar's time, so overlapping
    // requests agree on the bars they share.
    let mut rng = SplitMix64::new(
        seed ^ (con_id as u64).rotate_left(17) ^ (bar_secs as u64).wrapping_mul(0x9E37_79B9) ^ last_start as u64,
    );
    let sigma = 0.015 * ((bar_secs as f64) / 23_400.0).sqrt();
    let anchor_f = anchor.to_f64().unwrap_or(1.0).max(0.01);
    let tick_f = tick.to_f64().unwrap_or(0.01).max(1e-6);
    let to_dec = |x: f64| {
        let ticks = (x.max(tick_f) / tick_f).round() as i64;
        tick * Decimal::from(ticks.max(1))
    };
    let mut out = Vec::with_capacity(count);
    let mut close = anchor_f;
    for i in 0..count {
        let open = close * (1.0 - rng.normal() * sigma);
        let spread = (rng.next_f64() + 0.2) * sigma * close * 0.6;
        let high = open.max(close) + spread * rng.next_f64();
        let low = (open.min(close) - spread * rng.next_f64()).max(tick_f);
        let volume = 100 * (1 + rng.below((bar_secs as u64 / 5).clamp(10, 20_000)));
        let (o, h, l, c) = (to_dec(open), to_dec(high), to_dec(low), to_dec(close));
        let (h, l) = (h.max(o).max(c), l.min(o).min(c));
        out.push(HistBar {
            time: last_start - i as i64 * bar_secs,
            open: o,
            high: h,
            low: l,
            close: c,
            volume: Decimal::from(volume),
            wap: ((h + l + c) / Decimal::from(3)).round_dp(4),
            count: (volume / 100) as i32,
        });
        close = open;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ib_settings() {
        assert_eq!(bar_seconds("5 mins"), Some(300));
        assert_eq!(bar_seconds("1 day"), Some(86_400));
        assert_eq!(bar_seconds("7 parsecs"), None);
        assert_eq!(duration_seconds("2 D"), Some(172_800));
        assert_eq!(duration_seconds("3600 S"), Some(3_600));
        assert_eq!(duration_seconds("x"), None);
        assert_eq!(duration_seconds("9223372036854775807 Y"), None, "overflow is invalid, not a panic");
        assert_eq!(bar_seconds("9223372036854775807 months"), None);
        assert_eq!(parse_end("20260101 12:00:00 UTC", 0), Some(1_767_268_800));
        assert_eq!(parse_end("20260101-12:00:00", 0), Some(1_767_268_800));
        assert_eq!(parse_end("20260101 07:00:00 US/Eastern", 0), Some(1_767_268_800));
        assert_eq!(parse_end("", 5_000), Some(5));
    }

    #[test]
    fn bars_end_at_the_anchor_are_ordered_consistent_and_deterministic() {
        let tick = Decimal::new(1, 2);
        let a = bars(1, 7, Decimal::new(23145, 2), tick, 1_767_268_800, 300, 50);
        let b = bars(1, 7, Decimal::new(23145, 2), tick, 1_767_268_800, 300, 50);
        assert_eq!(a, b);
        assert_eq!(a.len(), 50);
        assert_eq!(a.last().map(|x| x.close), Some(Decimal::new(23145, 2)));
        for w in a.windows(2) {
            assert_eq!(w[1].time - w[0].time, 300);
            assert_eq!(w[0].close, w[1].open, "bars join");
        }
        for x in &a {
            assert!(x.low <= x.open && x.open <= x.high && x.low <= x.close && x.close <= x.high);
            assert!((x.close % tick).is_zero() && x.low > Decimal::ZERO);
        }
    }
}
