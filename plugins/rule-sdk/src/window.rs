//! The finished periods a rule run may judge: the last `n` whole days, weeks (from Monday) or
//! months (from the 1st), UTC, that end at or before the request's `judged-until`.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};

use crate::{Action, Grain, RuleRequest, RuleResult};

/// `periods` consecutive periods of `grain`, `[start, end)` in µs since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start of the first period, µs since the Unix epoch (UTC).
    pub start: i64,
    /// End of the last period (exclusive), µs since the Unix epoch (UTC).
    pub end: i64,
    /// The periods' grain.
    pub grain: Grain,
    /// How many periods the window holds (at least 1).
    pub periods: u32,
}

fn day_of(micros: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(micros).map(|t| t.date_naive()).unwrap_or_default()
}

fn micros_of(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_micros()).unwrap_or(0)
}

/// The start of the period of `grain` that contains `day`.
fn period_start(grain: Grain, day: NaiveDate) -> NaiveDate {
    match grain {
        Grain::Day => day,
        Grain::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
        Grain::Month => day.with_day(1).unwrap_or(day),
    }
}

/// `day` moved back by `n` periods of `grain` (`day` on a period start).
fn back(grain: Grain, day: NaiveDate, n: u32) -> NaiveDate {
    match grain {
        Grain::Day => day - Days::new(u64::from(n)),
        Grain::Week => day - Days::new(7 * u64::from(n)),
        Grain::Month => day - Months::new(n),
    }
}

/// `day` moved on by `n` periods of `grain`.
fn forward(grain: Grain, day: NaiveDate, n: u32) -> NaiveDate {
    match grain {
        Grain::Day => day + Days::new(u64::from(n)),
        Grain::Week => day + Days::new(7 * u64::from(n)),
        Grain::Month => day + Months::new(n),
    }
}

impl Window {
    /// The last `periods` periods of `grain` that are finished when the run judges: the
    /// latest period ends at or before `judged-until` (a period still receiving data is not
    /// judged). `periods` is at least 1.
    pub fn last_finished(req: &RuleRequest, grain: Grain, periods: u32) -> Window {
        let periods = periods.max(1);
        let end = period_start(grain, day_of(req.judged_until));
        let start = back(grain, end, periods);
        Window { start: micros_of(start), end: micros_of(end), grain, periods }
    }

    /// The start of each period in the window, µs, oldest first.
    pub fn starts(&self) -> Vec<i64> {
        let first = day_of(self.start);
        (0..self.periods).map(|i| micros_of(forward(self.grain, first, i))).collect()
    }

    /// The end of the period starting at `start` (µs).
    pub fn end_of(&self, start: i64) -> i64 {
        micros_of(forward(self.grain, day_of(start), 1))
    }

    /// A period's start as `YYYY-MM-DD`.
    pub fn label(start: i64) -> String {
        day_of(start).to_string()
    }

    /// The grain in words, plural: `days`, `weeks`, `months`.
    pub fn grain_words(&self) -> &'static str {
        match self.grain {
            Grain::Day => "days",
            Grain::Week => "weeks",
            Grain::Month => "months",
        }
    }

    /// A run's answer: this window as the judged period, with `actions`.
    pub fn result(&self, actions: Vec<Action>) -> RuleResult {
        RuleResult { period_start: self.start, period_end: self.end, actions }
    }
}
