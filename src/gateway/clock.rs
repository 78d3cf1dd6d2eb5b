//! Wall-clock formatting the way IB Gateway prints it (US/Eastern, with daylight saving).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn nth_sunday(year: i32, month: u32, n: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let offset = (7 - first.weekday().num_days_from_sunday()) % 7;
    first.checked_add_signed(Duration::days(i64::from(offset + 7 * (n - 1))))
}

/// UTC offset of US/Eastern at `t`: -4 h during daylight saving (second Sunday of March 07:00 UTC
/// to first Sunday of November 06:00 UTC), otherwise -5 h.
pub fn eastern_offset_hours(t: DateTime<Utc>) -> i64 {
    let year = t.year();
    let start = nth_sunday(year, 3, 2).and_then(|d| d.and_hms_opt(7, 0, 0)).map(|d| Utc.from_utc_datetime(&d));
    let end = nth_sunday(year, 11, 1).and_then(|d| d.and_hms_opt(6, 0, 0)).map(|d| Utc.from_utc_datetime(&d));
    match (start, end) {
        (Some(s), Some(e)) if t >= s && t < e => -4,
        _ => -5,
    }
}

/// `YYYYMMDD HH:MM:SS US/Eastern` for an epoch-ms instant.
pub fn eastern_timestamp(ms: i64) -> String {
    let t = Utc.timestamp_millis_opt(ms).single().unwrap_or_else(Utc::now);
    let local = t + Duration::hours(eastern_offset_hours(t));
    format!("{} US/Eastern", local.format("%Y%m%d %H:%M:%S"))
}

/// `HH:MM` (US/Eastern) for account update times.
pub fn eastern_hhmm(ms: i64) -> String {
    let t = Utc.timestamp_millis_opt(ms).single().unwrap_or_else(Utc::now);
    let local = t + Duration::hours(eastern_offset_hours(t));
    local.format("%H:%M").to_string()
}

/// `YYYYMMDD` (US/Eastern): the trading day of an instant.
pub fn eastern_date(ms: i64) -> String {
    let t = Utc.timestamp_millis_opt(ms).single().unwrap_or_else(Utc::now);
    let local = t + Duration::hours(eastern_offset_hours(t));
    local.format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eastern_switches_with_daylight_saving() {
        // 2026-11-28 14:30 UTC is 09:30 EST.
        let ms = Utc.with_ymd_and_hms(2026, 11, 28, 14, 30, 0).single().expect("date").timestamp_millis();
        assert_eq!(eastern_timestamp(ms), "20261128 09:30:00 US/Eastern");
        // 2026-07-01 13:30 UTC is 09:30 EDT.
        let ms = Utc.with_ymd_and_hms(2026, 7, 1, 13, 30, 0).single().expect("date").timestamp_millis();
        assert_eq!(eastern_timestamp(ms), "20260701 09:30:00 US/Eastern");
        assert_eq!(eastern_hhmm(ms), "09:30");
    }
}
