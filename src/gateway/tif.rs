//! Time in force: when a DAY order's session closes and when a GTD order's `goodTillDate` falls,
//! on the simulated clock (the market's, which starts at the wall clock and runs at `speed`).

use chrono::{Datelike, Duration, NaiveDateTime, TimeZone, Timelike, Utc, Weekday};

use super::clock;
use super::history;

/// The regular session closes at 16:00 US/Eastern.
const CLOSE_HOUR: u32 = 16;

/// The first regular session close (16:00 US/Eastern on a weekday) after `ms`: where a DAY order
/// placed at `ms` expires. An order placed after the close belongs to the next session.
pub fn session_close_after(ms: i64) -> i64 {
    let Some(t) = Utc.timestamp_millis_opt(ms).single() else { return ms };
    let local = t.naive_utc() + Duration::hours(clock::eastern_offset_hours(t));
    let mut day = local.date();
    if local.time().hour() >= CLOSE_HOUR {
        day = day.succ_opt().unwrap_or(day);
    }
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.succ_opt().unwrap_or(day);
    }
    let Some(close_local) = day.and_hms_opt(CLOSE_HOUR, 0, 0) else { return ms };
    // The offset in effect at the close (a daylight-saving switch may lie in between).
    let guess = Utc.from_utc_datetime(&(close_local + Duration::hours(5)));
    let utc = close_local - Duration::hours(clock::eastern_offset_hours(guess));
    Utc.from_utc_datetime(&utc).timestamp_millis()
}

/// `goodTillDate` as IB takes it: `YYYYMMDD HH:MM:SS [zone]` (no zone: the gateway's,
/// US/Eastern) or `YYYYMMDD-HH:MM:SS` (UTC). Epoch ms.
pub fn parse_good_till(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let dashed = NaiveDateTime::parse_from_str(t, "%Y%m%d-%H:%M:%S").is_ok();
    let with_zone =
        if !dashed && t.split_whitespace().count() == 2 { format!("{t} US/Eastern") } else { t.to_string() };
    if !dashed {
        // The date and time must parse; `parse_end` is lenient about the zone only.
        let mut parts = with_zone.splitn(3, ' ');
        let (date, time) = (parts.next()?, parts.next()?);
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y%m%d %H:%M:%S").ok()?;
    }
    history::parse_end(&with_zone, 0).map(|s| s * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("date").timestamp_millis()
    }

    #[test]
    fn day_orders_expire_at_the_next_weekday_close() {
        // Tuesday 2026-12-08 10:00 EST (15:00 UTC) -> 16:00 EST the same day (21:00 UTC).
        assert_eq!(session_close_after(utc(2026, 12, 8, 15, 0)), utc(2026, 12, 8, 21, 0));
        // After the close: the next day's session.
        assert_eq!(session_close_after(utc(2026, 12, 8, 22, 0)), utc(2026, 12, 9, 21, 0));
        // Friday evening: Monday's close.
        assert_eq!(session_close_after(utc(2026, 12, 11, 23, 0)), utc(2026, 12, 14, 21, 0));
        // Summer (EDT): 16:00 is 20:00 UTC.
        assert_eq!(session_close_after(utc(2026, 7, 1, 14, 0)), utc(2026, 7, 1, 20, 0));
    }

    #[test]
    fn good_till_dates_parse_as_ib_sends_them() {
        assert_eq!(parse_good_till("20261208 16:30:00 US/Eastern"), Some(utc(2026, 12, 8, 21, 30)));
        assert_eq!(parse_good_till("20261208 16:30:00"), Some(utc(2026, 12, 8, 21, 30)), "no zone: US/Eastern");
        assert_eq!(parse_good_till("20261208-21:30:00"), Some(utc(2026, 12, 8, 21, 30)));
        assert_eq!(parse_good_till("20261208 21:30:00 UTC"), Some(utc(2026, 12, 8, 21, 30)));
        assert_eq!(parse_good_till(""), None);
        assert_eq!(parse_good_till("tomorrow"), None);
        assert_eq!(parse_good_till("2026120 16:30:00"), None);
    }
}
