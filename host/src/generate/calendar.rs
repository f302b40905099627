//! Calendar arithmetic on days since the Unix epoch: dates, calendar months and weekdays,
//! without time-zone or allocation overhead.

use chrono::{NaiveDate, Weekday};

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(super) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub(super) fn days_since_epoch(d: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (d - epoch).num_days()
}

/// A running number of calendar months, year * 12 + month - 1, of a day since the epoch.
pub(super) fn month_index(days: i64) -> i64 {
    let (y, m, _) = civil_from_days(days);
    y * 12 + i64::from(m) - 1
}

pub(super) fn civil_weekday(days: i64) -> Weekday {
    // 1970-01-01 was a Thursday.
    match days.rem_euclid(7) {
        0 => Weekday::Thu,
        1 => Weekday::Fri,
        2 => Weekday::Sat,
        3 => Weekday::Sun,
        4 => Weekday::Mon,
        5 => Weekday::Tue,
        _ => Weekday::Wed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn days_agree_with_chrono() {
        for d in [-1_000i64, 0, 10_000, 20_000, 20_458, 30_000] {
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(d);
            assert_eq!(civil_weekday(d), date.weekday());
            let (y, m, dd) = civil_from_days(d);
            assert_eq!((y as i32, m, dd), (date.year(), date.month(), date.day()));
            assert_eq!(days_since_epoch(date), d);
            assert_eq!(month_index(d), i64::from(date.year()) * 12 + i64::from(date.month()) - 1);
        }
    }
}
