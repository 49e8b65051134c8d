//! Dutch local time (Europe/Amsterdam) for what people read: CET, and CEST from the last
//! Sunday of March to the last Sunday of October (switching at 01:00 UTC, the EU rule).
//! Everything stored and exchanged stays in UTC.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next =
        if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, month + 1, 1) }
            .expect("the first of a month exists");
    let last = first_of_next - Duration::days(1);
    let back = last.weekday().num_days_from_sunday() as i64;
    let sunday = last - Duration::days(back);
    debug_assert_eq!(sunday.weekday(), Weekday::Sun);
    sunday
}

/// The offset from UTC in the Netherlands at `at`.
pub fn offset(at: DateTime<Utc>) -> FixedOffset {
    let year = at.year();
    let summer_starts = last_sunday(year, 3).and_hms_opt(1, 0, 0).expect("01:00 exists").and_utc();
    let summer_ends = last_sunday(year, 10).and_hms_opt(1, 0, 0).expect("01:00 exists").and_utc();
    let hours = if at >= summer_starts && at < summer_ends { 2 } else { 1 };
    FixedOffset::east_opt(hours * 3600).expect("one or two hours is a valid offset")
}

/// `at` in Dutch local time.
pub fn to_local(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    offset(at).from_utc_datetime(&at.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn winter_is_one_hour_ahead_and_summer_two() {
        assert_eq!(to_local(utc("2026-01-15T12:00:00Z")).format("%H:%M").to_string(), "13:00");
        assert_eq!(to_local(utc("2026-07-15T12:00:00Z")).format("%H:%M").to_string(), "14:00");
    }

    #[test]
    fn the_clocks_change_on_the_last_sundays_of_march_and_october_at_one_utc() {
        // 2026: 29 March and 25 October.
        assert_eq!(offset(utc("2026-03-29T00:59:59Z")).local_minus_utc(), 3600);
        assert_eq!(offset(utc("2026-03-29T01:00:00Z")).local_minus_utc(), 7200);
        assert_eq!(offset(utc("2026-10-25T00:59:59Z")).local_minus_utc(), 7200);
        assert_eq!(offset(utc("2026-10-25T01:00:00Z")).local_minus_utc(), 3600);
    }
}
