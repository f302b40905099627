//! The rule scheduler: every rule deployment with a schedule runs by itself when its due time
//! (daily or weekly at a local time in its time zone) passes. A tick runs each schedule whose
//! latest due time is later than the one it last ran for — once, however many due times a
//! stopped server missed — with the version that serves the rule at that moment, so a rule
//! activated between two runs is the one the next run uses.

use std::sync::{Arc, Weak};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::rules::{RuleOutcome, RulePlan, RunAsk, Trigger, run_admitted};
use crate::app::Services;
use crate::store::schedules::{Every, Schedule, StoredSchedule};

/// Why a schedule cannot be used, naming the field.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("`at` must be a time of day as HH:MM (24 h), got `{0}`")]
    At(String),
    #[error("`timezone` must be an IANA time zone such as `Europe/Berlin` or `UTC`, got `{0}`")]
    Timezone(String),
    #[error("a weekly schedule needs `weekday`, one of monday … sunday")]
    WeekdayMissing,
    #[error("`weekday` must be one of monday … sunday, got `{0}`")]
    Weekday(String),
    #[error("a daily schedule takes no `weekday`")]
    WeekdayNotDaily,
    #[error("`settle_minutes` must be at most 10080 (a week), got {0}")]
    Settle(u32),
}

impl ScheduleError {
    pub fn field(&self) -> &'static str {
        match self {
            ScheduleError::At(_) => "at",
            ScheduleError::Timezone(_) => "timezone",
            ScheduleError::Settle(_) => "settle_minutes",
            _ => "weekday",
        }
    }
}

/// A schedule read: its time of day, time zone and (weekly) day.
pub struct When {
    at: NaiveTime,
    tz: Tz,
    weekday: Option<Weekday>,
}

/// Checks `schedule` and reads its times.
pub fn read(schedule: &Schedule) -> Result<When, ScheduleError> {
    let at = NaiveTime::parse_from_str(&schedule.at, "%H:%M")
        .ok()
        .filter(|_| schedule.at.len() == 5)
        .ok_or_else(|| ScheduleError::At(crate::text::shown(&schedule.at)))?;
    let tz: Tz =
        schedule.timezone.parse().map_err(|_| ScheduleError::Timezone(crate::text::shown(&schedule.timezone)))?;
    let weekday = match (schedule.every, schedule.weekday.as_deref()) {
        (Every::Daily, None) => None,
        (Every::Daily, Some(_)) => return Err(ScheduleError::WeekdayNotDaily),
        (Every::Weekly, None) => return Err(ScheduleError::WeekdayMissing),
        (Every::Weekly, Some(day)) => Some(
            day.parse::<Weekday>()
                .ok()
                .filter(|_| day.len() > 3 && day.chars().all(|c| c.is_ascii_lowercase()))
                .ok_or_else(|| ScheduleError::Weekday(crate::text::shown(day)))?,
        ),
    };
    if schedule.settle_minutes > 7 * 24 * 60 {
        return Err(ScheduleError::Settle(schedule.settle_minutes));
    }
    Ok(When { at, tz, weekday })
}

impl When {
    /// `day` at the schedule's local time, in UTC; a time skipped by a daylight-saving change
    /// runs an hour later, a time that occurs twice runs at its first occurrence.
    fn on(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        let local = day.and_time(self.at);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => {
                self.tz.from_local_datetime(&(local + Duration::hours(1))).earliest().map(|t| t.with_timezone(&Utc))
            }
        }
    }

    fn runs_on(&self, day: NaiveDate) -> bool {
        self.weekday.is_none_or(|w| day.weekday() == w)
    }

    /// The latest due time at or before `now`.
    pub fn last_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&self.tz).date_naive();
        (0..9u64)
            .filter_map(|back| today.checked_sub_days(Days::new(back)))
            .filter(|day| self.runs_on(*day))
            .filter_map(|day| self.on(day))
            .find(|due| *due <= now)
    }

    /// The first due time after `now`.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&self.tz).date_naive();
        (0..9u64)
            .filter_map(|ahead| today.checked_add_days(Days::new(ahead)))
            .filter(|day| self.runs_on(*day))
            .filter_map(|day| self.on(day))
            .find(|due| *due > now)
    }
}

/// What a tick did with one due schedule.
pub struct TickRun {
    pub tenant: String,
    pub rule: String,
    pub due: DateTime<Utc>,
    pub outcome: Result<RuleOutcome, String>,
}

/// Runs every schedule that came due since it last ran, as of `now`; one run per schedule.
pub async fn tick(state: &Arc<Services>, now: DateTime<Utc>) -> Vec<TickRun> {
    let schedules = match state.system.schedules(None) {
        Ok(schedules) => schedules,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the rule schedules");
            return Vec::new();
        }
    };
    let mut ran = Vec::new();
    for stored in schedules {
        let Some(due) = due_now(&stored, now) else { continue };
        if let Err(e) = state.system.mark_due(&stored.tenant_id, &stored.name, due) {
            tracing::error!(tenant = %stored.tenant_id, rule = %stored.name, error = %e, "cannot record a due rule run");
            continue;
        }
        let outcome = run_scheduled(state, &stored, now).await;
        if let Err(error) = &outcome {
            tracing::warn!(tenant = %stored.tenant_id, rule = %stored.name, %error, "a scheduled rule run failed");
        }
        ran.push(TickRun { tenant: stored.tenant_id, rule: stored.name, due, outcome });
    }
    ran
}

/// The due time a schedule should run for at `now`, if one passed since it last ran.
fn due_now(stored: &StoredSchedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let when = read(&stored.schedule).ok()?;
    let due = when.last_due(now)?;
    (stored.last_due().is_none_or(|last| due > last)).then_some(due)
}

async fn run_scheduled(
    state: &Arc<Services>,
    stored: &StoredSchedule,
    now: DateTime<Utc>,
) -> Result<RuleOutcome, String> {
    let tenant = state.tenant(&stored.tenant_id).map_err(|e| e.to_string())?;
    let ask = RunAsk {
        rule: &stored.name,
        at: Some(now),
        settle: Duration::minutes(i64::from(stored.schedule.settle_minutes)),
        params: &stored.schedule.params,
        trigger: Trigger::Schedule,
        actor: "schedule",
    };
    let plan = RulePlan::prepare(state, &tenant, &ask).map_err(|e| e.to_string())?;
    run_admitted(state, plan).await.map(|(_, outcome)| outcome).map_err(|e| e.to_string())
}

/// Ticks every `every` for as long as the services live, on a thread of its own.
pub fn spawn(state: Weak<Services>, every: StdDuration) {
    let started = std::thread::Builder::new().name("cxhost-rules".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                tracing::error!(error = %e, "the rule scheduler cannot start");
                return;
            }
        };
        loop {
            std::thread::sleep(every);
            let Some(state) = state.upgrade() else { break };
            runtime.block_on(tick(&state, Utc::now()));
        }
    });
    if let Err(e) = started {
        tracing::error!(error = %e, "the rule scheduler cannot start");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(every: Every, at: &str, weekday: Option<&str>, tz: &str) -> Schedule {
        Schedule {
            every,
            at: at.into(),
            weekday: weekday.map(str::to_string),
            timezone: tz.into(),
            settle_minutes: 60,
            params: Default::default(),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn due_times_follow_the_local_clock_of_the_schedule() {
        let daily = read(&schedule(Every::Daily, "02:00", None, "Europe/Berlin")).unwrap();
        // 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer.
        assert_eq!(daily.last_due(utc("2026-03-10T12:00:00Z")), Some(utc("2026-03-10T01:00:00Z")));
        assert_eq!(daily.last_due(utc("2026-03-10T00:30:00Z")), Some(utc("2026-03-09T01:00:00Z")));
        assert_eq!(daily.next_due(utc("2026-07-01T00:00:00Z")), Some(utc("2026-07-02T00:00:00Z")));
        // 29 March 2026: 02:00 does not exist in Berlin; the run comes at 03:00 local.
        assert_eq!(daily.next_due(utc("2026-03-28T12:00:00Z")), Some(utc("2026-03-29T01:00:00Z")));
        let weekly = read(&schedule(Every::Weekly, "06:30", Some("monday"), "UTC")).unwrap();
        assert_eq!(weekly.last_due(utc("2026-03-12T00:00:00Z")), Some(utc("2026-03-09T06:30:00Z")));
        assert_eq!(weekly.next_due(utc("2026-03-09T06:30:00Z")), Some(utc("2026-03-16T06:30:00Z")));
    }

    #[test]
    fn a_schedule_runs_once_for_the_latest_due_time_it_missed() {
        let mut stored = StoredSchedule {
            tenant_id: "t".into(),
            name: "r".into(),
            schedule: schedule(Every::Daily, "02:00", None, "UTC"),
            updated_by: "x".into(),
            updated_at: "2026-03-01T12:00:00Z".into(),
            last_due_at: None,
        };
        assert_eq!(due_now(&stored, utc("2026-03-02T01:59:00Z")), None, "not before its first due time");
        assert_eq!(
            due_now(&stored, utc("2026-03-05T09:00:00Z")),
            Some(utc("2026-03-05T02:00:00Z")),
            "three missed: once"
        );
        stored.last_due_at = Some("2026-03-05T02:00:00Z".into());
        assert_eq!(due_now(&stored, utc("2026-03-05T09:00:00Z")), None, "already ran for it");
        assert_eq!(due_now(&stored, utc("2026-03-06T02:00:00Z")), Some(utc("2026-03-06T02:00:00Z")));
    }

    #[test]
    fn schedules_are_checked_field_by_field() {
        let fault = |s: Schedule| read(&s).err().map(|e| (e.field(), e.to_string()));
        assert_eq!(fault(schedule(Every::Daily, "2:00", None, "UTC")).unwrap().0, "at");
        assert_eq!(fault(schedule(Every::Daily, "24:00", None, "UTC")).unwrap().0, "at");
        assert_eq!(fault(schedule(Every::Daily, "02:00", None, "Mars/Olympus")).unwrap().0, "timezone");
        assert_eq!(fault(schedule(Every::Weekly, "02:00", None, "UTC")).unwrap().0, "weekday");
        assert_eq!(fault(schedule(Every::Weekly, "02:00", Some("mon"), "UTC")).unwrap().0, "weekday");
        assert_eq!(fault(schedule(Every::Daily, "02:00", Some("monday"), "UTC")).unwrap().0, "weekday");
        assert!(fault(schedule(Every::Weekly, "23:59", Some("sunday"), "America/New_York")).is_none());
    }
}
