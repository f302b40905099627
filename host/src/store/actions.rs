//! The actions ledger: coaching tasks and alerts that rule runs open, their states and every
//! change of state with who made it and when; at most one live task per agent and cause.

use chrono::{DateTime, Utc};
use duckdb::types::{TimeUnit, Value};
use duckdb::{OptionalExt, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::runs::in_transaction;
use super::tenant::TenantDb;

pub const CREATE_SQL: &str = "
CREATE TABLE IF NOT EXISTS actions (
    action_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    rule_version VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    agent_id VARCHAR,
    team VARCHAR,
    subject VARCHAR NOT NULL,
    cause VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    evidence VARCHAR NOT NULL,
    priority INTEGER NOT NULL,
    due_at TIMESTAMP,
    state VARCHAR NOT NULL,
    reason VARCHAR,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS action_events (
    action_id VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    from_state VARCHAR,
    to_state VARCHAR NOT NULL,
    note VARCHAR NOT NULL
);
";

/// Where an action stands. `Open`, `Scheduled` and `InProgress` are live; the others final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Open,
    Scheduled,
    InProgress,
    Done,
    /// Closed by a person, with a reason.
    Dismissed,
    /// Past its due date without a session.
    Expired,
    /// Its condition no longer held at a later run before anyone started on it.
    Resolved,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Open,
        State::Scheduled,
        State::InProgress,
        State::Done,
        State::Dismissed,
        State::Expired,
        State::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Scheduled => "scheduled",
            State::InProgress => "in_progress",
            State::Done => "done",
            State::Dismissed => "dismissed",
            State::Expired => "expired",
            State::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_live(self) -> bool {
        matches!(self, State::Open | State::Scheduled | State::InProgress)
    }

    /// Whether a person may move an action from `self` to `to` (runs resolve and expire).
    pub fn may_become(self, to: State) -> bool {
        matches!(
            (self, to),
            (State::Open, State::Scheduled | State::InProgress | State::Done | State::Dismissed)
                | (State::Scheduled, State::InProgress | State::Done | State::Dismissed)
                | (State::InProgress, State::Done | State::Dismissed)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    CoachingTask,
    Alert,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::CoachingTask => "coaching_task",
            Kind::Alert => "alert",
        }
    }
}

/// An action a rule run proposes, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposed {
    pub kind: Kind,
    /// The agent of a coaching task.
    pub agent_id: Option<String>,
    /// The team of an alert (none: the whole tenant).
    pub team: Option<String>,
    /// The metric or behaviour it is about.
    pub subject: String,
    /// What keeps the same cause from opening a second task: e.g. `fcr-below-0.70`.
    pub cause: String,
    pub title: String,
    pub detail: String,
    /// The figures and periods that triggered it, as JSON.
    pub evidence: String,
    /// Higher wins when two rules fire on the same agent and subject.
    pub priority: i32,
    pub due_at: Option<DateTime<Utc>>,
}

/// The rule version and run that proposes actions.
pub struct RuleRun<'a> {
    pub rule: &'a str,
    pub version: &'a str,
    pub run_id: &'a str,
    pub at: DateTime<Utc>,
}

/// What one run did to the ledger.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reconciled {
    /// Actions opened.
    pub opened: Vec<String>,
    /// Proposals whose agent (or team) and cause already had a live action: nothing new.
    pub duplicates: usize,
    /// Live actions taken over by a higher-priority proposal on the same agent and subject.
    pub raised: Vec<String>,
    /// This rule's open actions whose condition no longer held: closed as resolved.
    pub resolved: Vec<String>,
    /// Live actions past their due date: closed as expired.
    pub expired: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ActionsError {
    #[error("no action `{0}`")]
    NotFound(String),
    #[error("an action that is {from} cannot become {to}")]
    Transition { from: &'static str, to: &'static str },
    #[error("dismissing an action needs a reason")]
    ReasonRequired,
    #[error(transparent)]
    Db(#[from] duckdb::Error),
}

fn micros(t: DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

/// Applies one run of `run.rule` that proposed `proposals`: opens what is new, skips what is
/// live already (the same agent or team and cause, from any rule), lets a higher priority take
/// over a live action on the same agent and subject, closes this rule's untouched open actions
/// whose cause it no longer proposes as resolved, and expires live actions past their due
/// date. One transaction; every change is an event by `run:<rule>`.
pub fn reconcile(db: &TenantDb, run: &RuleRun, proposals: &[Proposed]) -> Result<Reconciled, ActionsError> {
    let conn = db.connection()?;
    in_transaction(&conn, |conn| {
        let actor = format!("run:{}", run.rule);
        let now = micros(run.at);
        let mut done = Reconciled::default();
        let mut proposed_causes = Vec::new();
        for (n, p) in proposals.iter().enumerate() {
            proposed_causes.push((p.agent_id.clone(), p.team.clone(), p.cause.clone()));
            let same_cause: Option<String> = conn
                .query_row(
                    "SELECT action_id FROM actions WHERE state IN ('open', 'scheduled', 'in_progress') \
                     AND agent_id IS NOT DISTINCT FROM ? AND team IS NOT DISTINCT FROM ? AND cause = ?",
                    params![p.agent_id, p.team, p.cause],
                    |r| r.get(0),
                )
                .optional()?;
            if same_cause.is_some() {
                done.duplicates += 1;
                continue;
            }
            // A live action on the same agent and subject from another cause: the higher
            // priority wins; a lower or equal one adds nothing.
            let same_subject: Option<(String, i32, String)> = match &p.agent_id {
                Some(agent) => conn
                    .query_row(
                        "SELECT action_id, priority, state FROM actions WHERE state IN ('open', 'scheduled', 'in_progress') \
                         AND agent_id = ? AND subject = ? ORDER BY priority DESC LIMIT 1",
                        params![agent, p.subject],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?,
                None => None,
            };
            if let Some((id, priority, state)) = same_subject {
                if p.priority > priority {
                    conn.execute(
                        "UPDATE actions SET rule = ?, rule_version = ?, run_id = ?, cause = ?, title = ?, detail = ?, \
                         evidence = ?, priority = ?, due_at = ?, updated_at = ? WHERE action_id = ?",
                        params![
                            run.rule,
                            run.version,
                            run.run_id,
                            p.cause,
                            p.title,
                            p.detail,
                            p.evidence,
                            p.priority,
                            p.due_at.map(micros),
                            now.clone(),
                            id
                        ],
                    )?;
                    let note = format!("raised to priority {} by {} ({})", p.priority, run.rule, p.cause);
                    event(conn, &id, &now, &actor, Some(&state), &state, &note)?;
                    done.raised.push(id);
                } else {
                    done.duplicates += 1;
                }
                continue;
            }
            let id = format!("{}-{n}", run.run_id);
            conn.execute(
                "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL, ?, ?)",
                params![
                    id,
                    p.kind.as_str(),
                    run.rule,
                    run.version,
                    run.run_id,
                    p.agent_id,
                    p.team,
                    p.subject,
                    p.cause,
                    p.title,
                    p.detail,
                    p.evidence,
                    p.priority,
                    p.due_at.map(micros),
                    now.clone(),
                    now.clone()
                ],
            )?;
            event(conn, &id, &now, &actor, None, "open", &format!("opened by {} {}", run.rule, run.version))?;
            done.opened.push(id);
        }
        // This rule's open (not started) actions whose cause it did not propose again.
        let untouched: Vec<(String, Option<String>, Option<String>, String)> = conn
            .prepare(
                "SELECT action_id, agent_id, team, cause FROM actions WHERE state = 'open' AND rule = ? ORDER BY 1",
            )?
            .query_map(params![run.rule], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        for (id, agent, team, cause) in untouched {
            if proposed_causes.iter().any(|(a, t, c)| a == &agent && t == &team && c == &cause) {
                continue;
            }
            let note = format!("the condition no longer held at run {}: resolved by itself", run.run_id);
            close(conn, &id, &now, &actor, "open", State::Resolved, &note)?;
            done.resolved.push(id);
        }
        let overdue: Vec<(String, String)> = conn
            .prepare(
                "SELECT action_id, state FROM actions WHERE state IN ('open', 'scheduled') AND due_at < ? ORDER BY 1",
            )?
            .query_map(params![now.clone()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, state) in overdue {
            close(conn, &id, &now, &actor, &state, State::Expired, "past its due date without a session")?;
            done.expired.push(id);
        }
        Ok(done)
    })
}

/// Moves action `id` to `to` on behalf of `actor`, with a note (a reason, required to dismiss).
pub fn transition(
    db: &TenantDb,
    id: &str,
    to: State,
    actor: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<(), ActionsError> {
    if to == State::Dismissed && note.trim().is_empty() {
        return Err(ActionsError::ReasonRequired);
    }
    let conn = db.connection()?;
    in_transaction(&conn, |conn| {
        let state: Option<String> =
            conn.query_row("SELECT state FROM actions WHERE action_id = ?", params![id], |r| r.get(0)).optional()?;
        let from = state.as_deref().and_then(State::parse).ok_or_else(|| ActionsError::NotFound(id.to_string()))?;
        if !from.may_become(to) {
            return Err(ActionsError::Transition { from: from.as_str(), to: to.as_str() });
        }
        close(conn, id, &micros(at), actor, from.as_str(), to, note)
    })
}

/// Sets an action's state (with `note` as the reason of a final one) and records the event.
fn close(
    conn: &duckdb::Connection,
    id: &str,
    now: &Value,
    actor: &str,
    from: &str,
    to: State,
    note: &str,
) -> Result<(), ActionsError> {
    let reason = (!to.is_live()).then_some(note);
    conn.execute(
        "UPDATE actions SET state = ?, reason = coalesce(?, reason), updated_at = ? WHERE action_id = ?",
        params![to.as_str(), reason, now.clone(), id],
    )?;
    event(conn, id, now, actor, Some(from), to.as_str(), note)
}

fn event(
    conn: &duckdb::Connection,
    id: &str,
    now: &Value,
    actor: &str,
    from: Option<&str>,
    to: &str,
    note: &str,
) -> Result<(), ActionsError> {
    conn.execute(
        "INSERT INTO action_events VALUES (?, ?, ?, ?, ?, ?)",
        params![id, now.clone(), actor, from, to, note],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::DatabaseLimits;

    const SMALL: DatabaseLimits = DatabaseLimits { memory_bytes: 100 << 20, temp_bytes: 100 << 20, threads: 1 };

    fn tenant() -> (tempfile::TempDir, TenantDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = TenantDb::open("t", dir.path(), SMALL).unwrap();
        (dir, db)
    }

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 2, 0, 0).unwrap()
    }

    fn run<'a>(rule: &'a str, run_id: &'a str, d: u32) -> RuleRun<'a> {
        RuleRun { rule, version: "1.0.0", run_id, at: day(d) }
    }

    fn task(agent: &str, subject: &str, cause: &str, priority: i32) -> Proposed {
        Proposed {
            kind: Kind::CoachingTask,
            agent_id: Some(agent.to_string()),
            team: None,
            subject: subject.to_string(),
            cause: cause.to_string(),
            title: format!("{subject} of {agent}"),
            detail: String::new(),
            evidence: "{}".to_string(),
            priority,
            due_at: Some(day(20)),
        }
    }

    /// `(action_id, agent, rule, cause, priority, state)` of every action, by id.
    fn actions(db: &TenantDb) -> Vec<(String, String, String, String, i32, String)> {
        let conn = db.connection().unwrap();
        let mut stmt = conn
            .prepare("SELECT action_id, agent_id, rule, cause, priority, state FROM actions ORDER BY action_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn row(
        id: &str,
        agent: &str,
        rule: &str,
        cause: &str,
        priority: i32,
        state: &str,
    ) -> (String, String, String, String, i32, String) {
        (id.into(), agent.into(), rule.into(), cause.into(), priority, state.into())
    }

    #[test]
    fn a_rerun_and_a_second_rule_on_the_same_cause_open_nothing_new() {
        let (_dir, db) = tenant();
        let first = reconcile(&db, &run("coaching", "r1", 2), &[task("a1", "fcr", "fcr-low", 2)]).unwrap();
        assert_eq!(first.opened, ["r1-0"]);
        let again = reconcile(&db, &run("coaching", "r2", 3), &[task("a1", "fcr", "fcr-low", 2)]).unwrap();
        assert_eq!((again.opened.len(), again.duplicates, again.resolved.len()), (0, 1, 0));
        let other = reconcile(&db, &run("other_rule", "r3", 3), &[task("a1", "fcr", "fcr-low", 5)]).unwrap();
        assert_eq!((other.opened.len(), other.duplicates), (0, 1));
        assert_eq!(actions(&db), [row("r1-0", "a1", "coaching", "fcr-low", 2, "open")]);
    }

    #[test]
    fn on_the_same_agent_and_metric_the_higher_priority_wins() {
        let (_dir, db) = tenant();
        reconcile(&db, &run("coaching", "r1", 2), &[task("a1", "fcr", "fcr-low", 2)]).unwrap();
        let lower = reconcile(&db, &run("strict", "r2", 3), &[task("a1", "fcr", "fcr-bottom-quartile", 1)]).unwrap();
        assert_eq!((lower.opened.len(), lower.raised.len(), lower.duplicates), (0, 0, 1));
        let higher = reconcile(&db, &run("strict", "r3", 3), &[task("a1", "fcr", "fcr-bottom-quartile", 3)]).unwrap();
        assert_eq!(higher.raised, ["r1-0"]);
        assert_eq!(actions(&db), [row("r1-0", "a1", "strict", "fcr-bottom-quartile", 3, "open")]);
    }

    #[test]
    fn an_open_task_whose_condition_no_longer_holds_resolves_itself_and_says_so() {
        let (_dir, db) = tenant();
        reconcile(&db, &run("coaching", "r1", 2), &[task("a1", "fcr", "fcr-low", 2), task("a2", "aht", "aht-high", 1)])
            .unwrap();
        transition(&db, "r1-1", State::Scheduled, "lead@t", "Thursday 10:00", day(2)).unwrap();
        // At the next run neither holds: the untouched task resolves, the scheduled one stays.
        let next = reconcile(&db, &run("coaching", "r2", 9), &[]).unwrap();
        assert_eq!(next.resolved, ["r1-0"]);
        assert_eq!(
            actions(&db),
            [
                row("r1-0", "a1", "coaching", "fcr-low", 2, "resolved"),
                row("r1-1", "a2", "coaching", "aht-high", 1, "scheduled")
            ]
        );
        let conn = db.connection().unwrap();
        let reason: String =
            conn.query_row("SELECT reason FROM actions WHERE action_id = 'r1-0'", [], |r| r.get(0)).unwrap();
        assert_eq!(reason, "the condition no longer held at run r2: resolved by itself");
    }

    #[test]
    fn a_task_past_its_due_date_expires_and_people_move_tasks_only_forward() {
        let (_dir, db) = tenant();
        reconcile(&db, &run("coaching", "r1", 2), &[task("a1", "fcr", "fcr-low", 2), task("a2", "aht", "aht-high", 1)])
            .unwrap();
        transition(&db, "r1-0", State::InProgress, "lead@t", "", day(3)).unwrap();
        let late = reconcile(
            &db,
            &run("coaching", "r2", 21),
            &[task("a1", "fcr", "fcr-low", 2), task("a2", "aht", "aht-high", 1)],
        )
        .unwrap();
        assert_eq!(late.expired, ["r1-1"], "in progress does not expire; open past its due date does");
        assert!(matches!(
            transition(&db, "r1-1", State::Done, "lead@t", "", day(21)),
            Err(ActionsError::Transition { from: "expired", to: "done" })
        ));
        assert!(matches!(
            transition(&db, "r1-0", State::Dismissed, "lead@t", " ", day(21)),
            Err(ActionsError::ReasonRequired)
        ));
        assert!(matches!(transition(&db, "nope", State::Done, "lead@t", "", day(21)), Err(ActionsError::NotFound(_))));
        transition(&db, "r1-0", State::Done, "lead@t", "session held", day(22)).unwrap();
        let conn = db.connection().unwrap();
        let mut stmt =
            conn.prepare("SELECT actor, coalesce(from_state, '-'), to_state FROM action_events WHERE action_id = 'r1-0' ORDER BY changed_at, to_state <> 'open'").unwrap();
        let events: Vec<(String, String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            events,
            [
                ("run:coaching".into(), "-".into(), "open".into()),
                ("lead@t".into(), "open".into(), "in_progress".into()),
                ("lead@t".into(), "in_progress".into(), "done".into())
            ]
        );
    }
}
