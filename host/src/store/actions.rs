//! The actions ledger: coaching tasks and alerts that rule runs open, their states and every
//! change of state with who made it and when, and the log of rule runs. At most one live
//! action per agent (a coaching task) or team (an alert) and cause, from whichever rule; on
//! one agent and subject the higher priority takes the live task over; a rule's untouched open
//! actions whose cause it no longer proposes resolve by themselves; a live action a coaching
//! session answers is done; an open or scheduled one past its due date expires.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use duckdb::types::{TimeUnit, Value};
use duckdb::{OptionalExt, Row, params};
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
ALTER TABLE actions ADD COLUMN IF NOT EXISTS scheduled_for TIMESTAMP;
CREATE TABLE IF NOT EXISTS action_events (
    action_id VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    from_state VARCHAR,
    to_state VARCHAR NOT NULL,
    note VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_runs (
    run_id VARCHAR PRIMARY KEY,
    rule VARCHAR NOT NULL,
    rule_version VARCHAR,
    rule_hash VARCHAR,
    served_as VARCHAR,
    trigger VARCHAR NOT NULL,
    actor VARCHAR NOT NULL,
    run_at TIMESTAMP NOT NULL,
    judged_until TIMESTAMP NOT NULL,
    period_start TIMESTAMP,
    period_end TIMESTAMP,
    status VARCHAR NOT NULL,
    error VARCHAR,
    proposed INTEGER NOT NULL,
    opened INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    raised INTEGER NOT NULL,
    resolved INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    expired INTEGER NOT NULL,
    elapsed_ms DOUBLE NOT NULL,
    params VARCHAR NOT NULL
);
";

/// Where an action stands. `Open`, `Scheduled` and `InProgress` are live; the others final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Open,
    /// A coaching session is planned (`scheduled_for`).
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
                | (State::Scheduled, State::Scheduled | State::InProgress | State::Done | State::Dismissed)
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
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CoachingTask => "coaching_task",
            Kind::Alert => "alert",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        [Kind::CoachingTask, Kind::Alert].into_iter().find(|k| k.as_str() == text)
    }
}

/// An action a rule run proposes, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposed {
    pub kind: Kind,
    /// The agent of a coaching task.
    pub agent_id: Option<String>,
    /// The team of an alert (none: the whole tenant), or the agent's team for a task.
    pub team: Option<String>,
    /// The metric or behaviour it is about.
    pub subject: String,
    /// What keeps the same cause from opening a second task: e.g. `fcr-below-0.7`.
    pub cause: String,
    pub title: String,
    pub detail: String,
    /// The figures and periods that triggered it, as JSON.
    pub evidence: String,
    /// Higher wins when two rules fire on the same agent and subject.
    pub priority: i32,
    pub due_at: Option<DateTime<Utc>>,
}

impl Proposed {
    /// Who the action is about, for the one-live-action rule: the agent of a task, the team
    /// (or the tenant) of an alert.
    fn target(&self) -> Target {
        target_of(self.agent_id.as_deref(), self.team.as_deref())
    }
}

/// The agent of a task, or the team (empty: the tenant) of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Agent(String),
    Team(String),
}

fn target_of(agent: Option<&str>, team: Option<&str>) -> Target {
    match agent {
        Some(agent) => Target::Agent(agent.to_string()),
        None => Target::Team(team.unwrap_or_default().to_string()),
    }
}

/// The rule version and run that proposes actions.
pub struct RuleRun<'a> {
    pub rule: &'a str,
    pub version: &'a str,
    pub run_id: &'a str,
    pub at: DateTime<Utc>,
    /// Start of the period the run judged: an action of the same target and cause closed as
    /// done or dismissed since then is not opened again on evidence older than its closing.
    pub judged_from: DateTime<Utc>,
}

/// What one run did to the ledger.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reconciled {
    /// Actions opened.
    pub opened: Vec<String>,
    /// Proposals that added nothing: their agent (or team) and cause already had a live
    /// action (from any rule), a live task on the same agent and subject had at least their
    /// priority, or an action on the same cause was done or dismissed within the judged period.
    pub duplicates: usize,
    /// Live actions taken over by a higher-priority proposal on the same agent and subject.
    pub raised: Vec<String>,
    /// This rule's open actions whose condition no longer held: closed as resolved.
    pub resolved: Vec<String>,
    /// Live actions that a coaching session answered: closed as done.
    pub answered: Vec<String>,
    /// Open or scheduled actions past their due date without a session: closed as expired.
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
    #[error("scheduling an action needs `scheduled_for`, the time of the coaching session")]
    WhenRequired,
    #[error("the actions ledger: {0}")]
    Db(#[from] duckdb::Error),
}

fn micros(t: DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

/// A live action as reconciling sees it.
struct Live {
    id: String,
    target: Target,
    subject: String,
    cause: String,
    priority: i32,
    state: String,
    rule: String,
}

/// A state change to write: action, from, to, note.
struct Close {
    id: String,
    from: String,
    to: State,
    note: String,
}

/// Applies one run of `run.rule` that proposed `proposals` (see the module's rules). One
/// transaction; every change is an event by `run:<rule>`. The ledger is read once and written
/// in bulk, so a run over tens of thousands of agents costs a few statements.
pub fn reconcile(db: &TenantDb, run: &RuleRun, proposals: &[Proposed]) -> Result<Reconciled, ActionsError> {
    let conn = db.connection()?;
    in_transaction(&conn, |conn| {
        let actor = format!("run:{}", run.rule);
        let now = micros(run.at);
        let mut done = Reconciled::default();

        let live: Vec<Live> = conn
            .prepare(
                "SELECT action_id, agent_id, team, subject, cause, priority, state, rule FROM actions \
                 WHERE state IN ('open', 'scheduled', 'in_progress') ORDER BY action_id",
            )?
            .query_map([], |r| {
                let (agent, team): (Option<String>, Option<String>) = (r.get(1)?, r.get(2)?);
                Ok(Live {
                    id: r.get(0)?,
                    target: target_of(agent.as_deref(), team.as_deref()),
                    subject: r.get(3)?,
                    cause: r.get(4)?,
                    priority: r.get(5)?,
                    state: r.get(6)?,
                    rule: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        // Closed as done or dismissed since the judged period began: not opened again yet.
        let recently_handled: HashSet<(Target, String)> = conn
            .prepare(
                "SELECT agent_id, team, cause FROM actions WHERE state IN ('done', 'dismissed') AND updated_at >= ?",
            )?
            .query_map(params![micros(run.judged_from)], |r| {
                let (agent, team, cause): (Option<String>, Option<String>, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                Ok((target_of(agent.as_deref(), team.as_deref()), cause))
            })?
            .collect::<Result<_, _>>()?;
        let answered_by: HashMap<String, (String, String)> = conn
            .prepare(
                "SELECT s.action_id, min(s.session_id), strftime(min(s.held_at), '%Y-%m-%d') FROM coaching_sessions s \
                 JOIN actions a ON a.action_id = s.action_id \
                 WHERE a.state IN ('open', 'scheduled', 'in_progress') GROUP BY 1",
            )?
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
            .collect::<Result<_, _>>()?;

        let mut by_cause: HashMap<(Target, String), usize> = HashMap::new();
        let mut by_subject: HashMap<(String, String), usize> = HashMap::new();
        for (i, action) in live.iter().enumerate() {
            by_cause.insert((action.target.clone(), action.cause.clone()), i);
            if let Target::Agent(agent) = &action.target {
                let slot = by_subject.entry((agent.clone(), action.subject.clone())).or_insert(i);
                if action.priority > live[*slot].priority {
                    *slot = i;
                }
            }
        }
        let mut live = live;
        let mut held: HashSet<usize> = HashSet::new();
        let mut inserts: Vec<(String, &Proposed)> = Vec::new();
        // The proposals to insert by target and cause, and by agent and subject (indexes into
        // `inserts`), so that a run of many proposals is not quadratic.
        let mut insert_causes: HashSet<(Target, String)> = HashSet::new();
        let mut insert_subjects: HashMap<(String, String), usize> = HashMap::new();
        let mut raises: Vec<(usize, &Proposed)> = Vec::new();
        for p in proposals {
            let cause_key = (p.target(), p.cause.clone());
            if let Some(&i) = by_cause.get(&cause_key) {
                held.insert(i);
                done.duplicates += 1;
                continue;
            }
            if recently_handled.contains(&cause_key) || insert_causes.contains(&cause_key) {
                done.duplicates += 1;
                continue;
            }
            let subject_key = p.agent_id.as_ref().map(|agent| (agent.clone(), p.subject.clone()));
            if let Some(&i) = subject_key.as_ref().and_then(|k| by_subject.get(k)) {
                held.insert(i);
                if p.priority > live[i].priority {
                    by_cause.remove(&(live[i].target.clone(), live[i].cause.clone()));
                    live[i].priority = p.priority;
                    live[i].cause = p.cause.clone();
                    by_cause.insert(cause_key, i);
                    raises.push((i, p));
                } else {
                    done.duplicates += 1;
                }
                continue;
            }
            if let Some(&open) = subject_key.as_ref().and_then(|k| insert_subjects.get(k)) {
                // Two proposals of this run on one agent and subject: the higher priority.
                if p.priority > inserts[open].1.priority {
                    insert_causes.remove(&(inserts[open].1.target(), inserts[open].1.cause.clone()));
                    insert_causes.insert(cause_key);
                    inserts[open].1 = p;
                }
                done.duplicates += 1;
                continue;
            }
            if let Some(key) = subject_key {
                insert_subjects.insert(key, inserts.len());
            }
            insert_causes.insert(cause_key);
            inserts.push((format!("{}-{}", run.run_id, inserts.len()), p));
        }

        let mut closes: Vec<Close> = Vec::new();
        for (i, action) in live.iter().enumerate() {
            if let Some((session, day)) = answered_by.get(&action.id) {
                let note = format!("coaching session `{session}` on {day} answered it");
                closes.push(Close { id: action.id.clone(), from: action.state.clone(), to: State::Done, note });
                done.answered.push(action.id.clone());
            } else if action.state == "open" && action.rule == run.rule && !held.contains(&i) {
                let note = format!("the condition no longer held at run {}: resolved by itself", run.run_id);
                closes.push(Close { id: action.id.clone(), from: action.state.clone(), to: State::Resolved, note });
                done.resolved.push(action.id.clone());
            }
        }
        let closed: HashSet<String> = closes.iter().map(|c| c.id.clone()).collect();
        let overdue: Vec<(String, String)> = conn
            .prepare(
                "SELECT action_id, state FROM actions WHERE state IN ('open', 'scheduled') AND due_at < ? ORDER BY 1",
            )?
            .query_map(params![now.clone()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, state) in overdue {
            if closed.contains(&id) {
                continue;
            }
            let note = "past its due date without a session".to_string();
            closes.push(Close { id: id.clone(), from: state, to: State::Expired, note });
            done.expired.push(id);
        }

        let mut events = conn.appender("action_events")?;
        for (i, p) in &raises {
            let action = &live[*i];
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
                    action.id
                ],
            )?;
            let note = format!("raised to priority {} by {} ({})", p.priority, run.rule, p.cause);
            events.append_row(params![action.id, now.clone(), actor, action.state, action.state, note])?;
            done.raised.push(action.id.clone());
        }
        if !inserts.is_empty() {
            let mut rows = conn.appender("actions")?;
            for (id, p) in &inserts {
                let reason: Option<String> = None;
                let scheduled: Option<Value> = None;
                rows.append_row(params![
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
                    "open",
                    reason,
                    now.clone(),
                    now.clone(),
                    scheduled
                ])?;
                let note = format!("opened by {} {}", run.rule, run.version);
                let from: Option<String> = None;
                events.append_row(params![id, now.clone(), actor, from, "open", note])?;
                done.opened.push(id.clone());
            }
            rows.flush()?;
        }
        if !closes.is_empty() {
            conn.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS action_closes (action_id VARCHAR, state VARCHAR, reason VARCHAR); \
                 DELETE FROM action_closes;",
            )?;
            let mut rows = conn.appender("action_closes")?;
            for close in &closes {
                rows.append_row(params![close.id, close.to.as_str(), close.note])?;
                events.append_row(params![close.id, now.clone(), actor, close.from, close.to.as_str(), close.note])?;
            }
            rows.flush()?;
            drop(rows);
            conn.execute(
                "UPDATE actions SET state = c.state, reason = c.reason, updated_at = ? FROM action_closes c \
                 WHERE actions.action_id = c.action_id",
                params![now.clone()],
            )?;
        }
        events.flush()?;
        Ok(done)
    })
}

/// What a person asks of an action: a new state, a note (the reason, to dismiss), when the
/// session is to be held (to schedule), and the session held (when marking a task done).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub note: String,
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Marking a coaching task done records this session (coach, time, topic): the actor,
    /// `at` and the task's subject where not given.
    pub session: Option<NewSession>,
}

/// A coaching session recorded when a task is marked done.
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    pub coach: Option<String>,
    pub held_at: Option<DateTime<Utc>>,
    pub topic: Option<String>,
}

/// Moves action `id` to `to` on behalf of `actor` at `at`. Marking a coaching task done
/// records its coaching session (unless one answering it was ingested already). Returns the
/// action as it is now.
pub fn transition(
    db: &TenantDb,
    id: &str,
    to: State,
    actor: &str,
    change: &Change,
    at: DateTime<Utc>,
) -> Result<ActionRow, ActionsError> {
    if to == State::Dismissed && change.note.trim().is_empty() {
        return Err(ActionsError::ReasonRequired);
    }
    if to == State::Scheduled && change.scheduled_for.is_none() {
        return Err(ActionsError::WhenRequired);
    }
    let conn = db.connection()?;
    in_transaction(&conn, |conn| {
        let found: Option<(String, String, Option<String>, String)> = conn
            .query_row("SELECT state, kind, agent_id, subject FROM actions WHERE action_id = ?", params![id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((state, kind, agent, subject)) = found else {
            return Err(ActionsError::NotFound(id.to_string()));
        };
        let from = State::parse(&state).ok_or_else(|| ActionsError::NotFound(id.to_string()))?;
        if !from.may_become(to) {
            return Err(ActionsError::Transition { from: from.as_str(), to: to.as_str() });
        }
        let now = micros(at);
        let reason = (!to.is_live()).then_some(change.note.as_str()).filter(|n| !n.is_empty());
        conn.execute(
            "UPDATE actions SET state = ?, reason = coalesce(?, reason), scheduled_for = coalesce(?, scheduled_for), \
             updated_at = ? WHERE action_id = ?",
            params![to.as_str(), reason, change.scheduled_for.map(micros), now.clone(), id],
        )?;
        let mut note = change.note.clone();
        if let Some(when) = change.scheduled_for {
            let when = when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            note = if note.is_empty() { format!("session at {when}") } else { format!("session at {when}: {note}") };
        }
        if to == State::Done && Kind::parse(&kind) == Some(Kind::CoachingTask) {
            let answered: bool =
                conn.query_row("SELECT count(*) > 0 FROM coaching_sessions WHERE action_id = ?", params![id], |r| {
                    r.get(0)
                })?;
            if let (false, Some(agent)) = (answered, agent) {
                let session = change.session.clone().unwrap_or_default();
                let session_id = format!("s-{id}");
                conn.execute(
                    "INSERT INTO coaching_sessions (session_id, agent_id, coach, held_at, topic, action_id, notes) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                    params![
                        session_id,
                        agent,
                        session.coach.unwrap_or_else(|| actor.to_string()),
                        micros(session.held_at.unwrap_or(at)),
                        session.topic.unwrap_or(subject),
                        id,
                        (!change.note.is_empty()).then_some(change.note.as_str())
                    ],
                )?;
                note = if note.is_empty() {
                    format!("coaching session `{session_id}` recorded")
                } else {
                    format!("coaching session `{session_id}` recorded: {note}")
                };
            }
        }
        conn.execute(
            "INSERT INTO action_events VALUES (?, ?, ?, ?, ?, ?)",
            params![id, now, actor, from.as_str(), to.as_str(), note],
        )?;
        Ok(())
    })?;
    let (action, _) = get(db, id)?;
    Ok(action)
}

/// An action as the API and the pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionRow {
    pub action_id: String,
    pub kind: Kind,
    pub state: State,
    /// The rule (and its version and run) that opened it or last took it over.
    pub rule: String,
    pub rule_version: String,
    pub run_id: String,
    /// The agent of a coaching task.
    pub agent_id: Option<String>,
    /// The agent's team (a task), or the team of an alert; none for a tenant-wide alert.
    pub team: Option<String>,
    /// The metric or behaviour.
    pub subject: String,
    /// The condition that fired.
    pub cause: String,
    pub title: String,
    pub detail: String,
    /// The figures and periods that triggered it.
    #[schema(value_type = Vec<Object>)]
    pub evidence: serde_json::Value,
    pub priority: i32,
    pub due_at: Option<String>,
    /// When the coaching session is planned (scheduled actions).
    pub scheduled_for: Option<String>,
    /// Why it closed: the dismissal's reason, "resolved by itself", "past its due date", …
    pub reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One change of an action's state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub at: String,
    /// `run:<rule>` for runs, else the person's role and name.
    pub actor: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
}

const ISO: &str = "'%Y-%m-%dT%H:%M:%SZ'";

fn columns() -> String {
    format!(
        "action_id, kind, state, rule, rule_version, run_id, agent_id, team, subject, cause, title, detail, evidence, \
         priority, strftime(due_at, {ISO}), strftime(scheduled_for, {ISO}), reason, strftime(created_at, {ISO}), \
         strftime(updated_at, {ISO})"
    )
}

fn action_row(r: &Row) -> duckdb::Result<ActionRow> {
    let kind: String = r.get(1)?;
    let state: String = r.get(2)?;
    let evidence: String = r.get(12)?;
    Ok(ActionRow {
        action_id: r.get(0)?,
        kind: Kind::parse(&kind).unwrap_or(Kind::Alert),
        state: State::parse(&state).unwrap_or(State::Open),
        rule: r.get(3)?,
        rule_version: r.get(4)?,
        run_id: r.get(5)?,
        agent_id: r.get(6)?,
        team: r.get(7)?,
        subject: r.get(8)?,
        cause: r.get(9)?,
        title: r.get(10)?,
        detail: r.get(11)?,
        evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
        priority: r.get(13)?,
        due_at: r.get(14)?,
        scheduled_for: r.get(15)?,
        reason: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
    })
}

/// Which actions to list; every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub states: Vec<State>,
    pub kind: Option<Kind>,
    pub agent: Option<String>,
    pub team: Option<String>,
    pub rule: Option<String>,
    /// Opened at or after.
    pub from: Option<DateTime<Utc>>,
    /// Opened before.
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
    pub offset: u64,
}

/// The actions `filter` selects, oldest first (then by id).
pub fn list(db: &TenantDb, filter: &Filter) -> Result<Vec<ActionRow>, ActionsError> {
    let conn = db.connection()?;
    let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
    let states = states.join(",");
    let sql = format!(
        "SELECT {} FROM actions WHERE (? = '' OR list_contains(string_split(?, ','), state)) \
         AND (? IS NULL OR kind = ?) AND (? IS NULL OR agent_id = ?) AND (? IS NULL OR team = ?) \
         AND (? IS NULL OR rule = ?) AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?) \
         ORDER BY created_at, action_id LIMIT ? OFFSET ?",
        columns()
    );
    let kind = filter.kind.map(Kind::as_str);
    let (from, to) = (filter.from.map(micros), filter.to.map(micros));
    let rows = conn
        .prepare(&sql)?
        .query_map(
            params![
                states,
                states,
                kind,
                kind,
                filter.agent,
                filter.agent,
                filter.team,
                filter.team,
                filter.rule,
                filter.rule,
                from.clone(),
                from,
                to.clone(),
                to,
                filter.limit,
                filter.offset
            ],
            action_row,
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// One action and every change of its state, oldest first.
pub fn get(db: &TenantDb, id: &str) -> Result<(ActionRow, Vec<Event>), ActionsError> {
    let conn = db.connection()?;
    let action = conn
        .query_row(&format!("SELECT {} FROM actions WHERE action_id = ?", columns()), params![id], action_row)
        .optional()?
        .ok_or_else(|| ActionsError::NotFound(id.to_string()))?;
    let events = conn
        .prepare(&format!(
            "SELECT strftime(changed_at, {ISO}), actor, from_state, to_state, note FROM action_events \
             WHERE action_id = ? ORDER BY changed_at, rowid"
        ))?
        .query_map(params![id], |r| {
            Ok(Event { at: r.get(0)?, actor: r.get(1)?, from_state: r.get(2)?, to_state: r.get(3)?, note: r.get(4)? })
        })?
        .collect::<Result<_, _>>()?;
    Ok((action, events))
}

/// A coaching session as the agent page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    pub session_id: String,
    pub agent_id: String,
    pub coach: String,
    pub held_at: String,
    pub topic: String,
    pub action_id: Option<String>,
    pub notes: Option<String>,
}

/// Coaching sessions, newest first: an agent's or everyone's, held in `[from, to)` when given.
pub fn sessions(
    db: &TenantDb,
    agent: Option<&str>,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    limit: u32,
) -> Result<Vec<Session>, ActionsError> {
    let conn = db.connection()?;
    let (from, to) = (from.map(micros), to.map(micros));
    let rows = conn
        .prepare(&format!(
            "SELECT session_id, agent_id, coach, strftime(held_at, {ISO}), topic, action_id, notes \
             FROM coaching_sessions WHERE (? IS NULL OR agent_id = ?) AND (? IS NULL OR held_at >= ?) \
             AND (? IS NULL OR held_at < ?) ORDER BY held_at DESC, session_id LIMIT ?"
        ))?
        .query_map(params![agent, agent, from.clone(), from, to.clone(), to, limit], |r| {
            Ok(Session {
                session_id: r.get(0)?,
                agent_id: r.get(1)?,
                coach: r.get(2)?,
                held_at: r.get(3)?,
                topic: r.get(4)?,
                action_id: r.get(5)?,
                notes: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// An agent's coaching sessions, newest first.
pub fn sessions_of(db: &TenantDb, agent: &str) -> Result<Vec<Session>, ActionsError> {
    sessions(db, Some(agent), (None, None), 10_000)
}

/// One rule run in the run log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunRecord {
    pub run_id: String,
    pub rule: String,
    /// The version that ran (none when the run failed before one was chosen).
    pub rule_version: Option<String>,
    pub rule_hash: Option<String>,
    /// `standard`, `active`, `canary` or `fallback`.
    pub served_as: Option<String>,
    /// `schedule` or `on_demand`.
    pub trigger: String,
    pub actor: String,
    pub run_at: String,
    /// The end of the finished periods the run could judge.
    pub judged_until: String,
    /// The periods the rule judged.
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// `ok`, or `failed` with `error`.
    pub status: String,
    pub error: Option<String>,
    /// Actions the rule proposed.
    pub proposed: u32,
    pub opened: u32,
    pub duplicates: u32,
    pub raised: u32,
    pub resolved: u32,
    pub answered: u32,
    pub expired: u32,
    pub elapsed_ms: f64,
    /// The parameters it ran with.
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
}

/// A rule run to record: what ran, when and with what, and what it did or why it failed.
pub struct NewRun<'a> {
    pub run_id: &'a str,
    pub rule: &'a str,
    /// Version, hash and role of the version that ran.
    pub served: Option<(&'a str, &'a str, &'a str)>,
    pub trigger: &'a str,
    pub actor: &'a str,
    pub run_at: DateTime<Utc>,
    pub judged_until: DateTime<Utc>,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub outcome: Result<(usize, &'a Reconciled), &'a str>,
    pub elapsed_ms: f64,
    pub params: &'a serde_json::Value,
}

pub fn record_run(db: &TenantDb, run: &NewRun) -> Result<(), ActionsError> {
    let conn = db.connection()?;
    let count = |n: usize| n as i64;
    let (status, error, counts) = match run.outcome {
        Ok((proposed, done)) => (
            "ok",
            None,
            [
                count(proposed),
                count(done.opened.len()),
                count(done.duplicates),
                count(done.raised.len()),
                count(done.resolved.len()),
                count(done.answered.len()),
                count(done.expired.len()),
            ],
        ),
        Err(error) => ("failed", Some(error), [0; 7]),
    };
    let (version, hash, served_as) = run.served.map_or((None, None, None), |(v, h, s)| (Some(v), Some(h), Some(s)));
    conn.execute(
        "INSERT INTO rule_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            run.run_id,
            run.rule,
            version,
            hash,
            served_as,
            run.trigger,
            run.actor,
            micros(run.run_at),
            micros(run.judged_until),
            run.period.map(|p| micros(p.0)),
            run.period.map(|p| micros(p.1)),
            status,
            error,
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4],
            counts[5],
            counts[6],
            run.elapsed_ms,
            run.params.to_string()
        ],
    )?;
    Ok(())
}

/// The run log, newest first: every run, or one rule's, started in `[from, to)` when given.
pub fn runs(
    db: &TenantDb,
    rule: Option<&str>,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    limit: u32,
) -> Result<Vec<RunRecord>, ActionsError> {
    let conn = db.connection()?;
    let sql = format!(
        "SELECT run_id, rule, rule_version, rule_hash, served_as, trigger, actor, strftime(run_at, {ISO}), \
         strftime(judged_until, {ISO}), strftime(period_start, {ISO}), strftime(period_end, {ISO}), status, error, \
         proposed, opened, duplicates, raised, resolved, answered, expired, elapsed_ms, params FROM rule_runs \
         WHERE (? IS NULL OR rule = ?) AND (? IS NULL OR run_at >= ?) AND (? IS NULL OR run_at < ?) \
         ORDER BY run_at DESC, run_id DESC LIMIT ?"
    );
    let (from, to) = (from.map(micros), to.map(micros));
    let rows = conn
        .prepare(&sql)?
        .query_map(params![rule, rule, from.clone(), from, to.clone(), to, limit], |r| {
            let params: String = r.get(21)?;
            Ok(RunRecord {
                run_id: r.get(0)?,
                rule: r.get(1)?,
                rule_version: r.get(2)?,
                rule_hash: r.get(3)?,
                served_as: r.get(4)?,
                trigger: r.get(5)?,
                actor: r.get(6)?,
                run_at: r.get(7)?,
                judged_until: r.get(8)?,
                period_start: r.get(9)?,
                period_end: r.get(10)?,
                status: r.get(11)?,
                error: r.get(12)?,
                proposed: r.get(13)?,
                opened: r.get(14)?,
                duplicates: r.get(15)?,
                raised: r.get(16)?,
                resolved: r.get(17)?,
                answered: r.get(18)?,
                expired: r.get(19)?,
                elapsed_ms: r.get(20)?,
                params: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
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
        db.connection()
            .unwrap()
            .execute_batch(
                "INSERT INTO agents (agent_id, employment_type, team, site) VALUES \
                 ('a1', 'employee', 'north', 'x'), ('a2', 'employee', 'north', 'x')",
            )
            .unwrap();
        (dir, db)
    }

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 2, 0, 0).unwrap()
    }

    fn run<'a>(rule: &'a str, run_id: &'a str, d: u32) -> RuleRun<'a> {
        RuleRun { rule, version: "1.0.0", run_id, at: day(d), judged_from: day(d) - chrono::Days::new(7) }
    }

    fn task(agent: &str, subject: &str, cause: &str, priority: i32) -> Proposed {
        Proposed {
            kind: Kind::CoachingTask,
            agent_id: Some(agent.to_string()),
            team: Some("north".to_string()),
            subject: subject.to_string(),
            cause: cause.to_string(),
            title: format!("{subject} of {agent}"),
            detail: String::new(),
            evidence: "[]".to_string(),
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

    fn person(note: &str) -> Change {
        Change { note: note.to_string(), ..Change::default() }
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
        let twice =
            reconcile(&db, &run("other_rule", "r4", 3), &[task("a2", "aht", "x", 1), task("a2", "aht", "x", 1)])
                .unwrap();
        assert_eq!((twice.opened.len(), twice.duplicates), (1, 1), "one proposal twice in a run opens one task");
        assert_eq!(
            actions(&db),
            [row("r1-0", "a1", "coaching", "fcr-low", 2, "open"), row("r4-0", "a2", "other_rule", "x", 1, "open")]
        );
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
        // The first rule's cause no longer names the task: its run neither reopens nor resolves it.
        let first = reconcile(&db, &run("coaching", "r4", 4), &[task("a1", "fcr", "fcr-low", 2)]).unwrap();
        assert_eq!((first.opened.len(), first.duplicates, first.resolved.len()), (0, 1, 0));
        let (_, events) = get(&db, "r1-0").unwrap();
        assert_eq!(events[1].note, "raised to priority 3 by strict (fcr-bottom-quartile)");
    }

    #[test]
    fn an_open_task_whose_condition_no_longer_holds_resolves_itself_and_says_so() {
        let (_dir, db) = tenant();
        reconcile(&db, &run("coaching", "r1", 2), &[task("a1", "fcr", "fcr-low", 2), task("a2", "aht", "aht-high", 1)])
            .unwrap();
        let when = Change { scheduled_for: Some(day(5)), ..person("Thursday") };
        transition(&db, "r1-1", State::Scheduled, "lead@t", &when, day(2)).unwrap();
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
        let (resolved, _) = get(&db, "r1-0").unwrap();
        assert_eq!(resolved.reason.as_deref(), Some("the condition no longer held at run r2: resolved by itself"));
        let (scheduled, events) = get(&db, "r1-1").unwrap();
        assert_eq!(scheduled.scheduled_for.as_deref(), Some("2026-03-05T02:00:00Z"));
        assert_eq!(events[1].note, "session at 2026-03-05T02:00:00Z: Thursday");
    }

    #[test]
    fn a_task_past_its_due_date_expires_and_people_move_tasks_only_forward() {
        let (_dir, db) = tenant();
        reconcile(&db, &run("coaching", "r1", 2), &[task("a1", "fcr", "fcr-low", 2), task("a2", "aht", "aht-high", 1)])
            .unwrap();
        transition(&db, "r1-0", State::InProgress, "lead@t", &person(""), day(3)).unwrap();
        let late = reconcile(
            &db,
            &run("coaching", "r2", 21),
            &[task("a1", "fcr", "fcr-low", 2), task("a2", "aht", "aht-high", 1)],
        )
        .unwrap();
        assert_eq!(late.expired, ["r1-1"], "in progress does not expire; open past its due date does");
        assert!(matches!(
            transition(&db, "r1-1", State::Done, "lead@t", &person(""), day(21)),
            Err(ActionsError::Transition { from: "expired", to: "done" })
        ));
        assert!(matches!(
            transition(&db, "r1-0", State::Dismissed, "lead@t", &person(" "), day(21)),
            Err(ActionsError::ReasonRequired)
        ));
        assert!(matches!(
            transition(&db, "r1-0", State::Scheduled, "lead@t", &person(""), day(21)),
            Err(ActionsError::WhenRequired)
        ));
        assert!(matches!(
            transition(&db, "nope", State::Done, "lead@t", &person(""), day(21)),
            Err(ActionsError::NotFound(_))
        ));
        let done = transition(&db, "r1-0", State::Done, "lead@t", &person("went well"), day(22)).unwrap();
        assert_eq!(done.state, State::Done);
        let sessions = sessions_of(&db, "a1").unwrap();
        assert_eq!(sessions.len(), 1, "marking the task done recorded its session");
        assert_eq!(
            (sessions[0].session_id.as_str(), sessions[0].coach.as_str(), sessions[0].topic.as_str()),
            ("s-r1-0", "lead@t", "fcr")
        );
        assert_eq!(sessions[0].action_id.as_deref(), Some("r1-0"));
        let (_, events) = get(&db, "r1-0").unwrap();
        let events: Vec<(String, String, String)> =
            events.into_iter().map(|e| (e.actor, e.from_state.unwrap_or("-".into()), e.to_state)).collect();
        assert_eq!(
            events,
            [
                ("run:coaching".into(), "-".into(), "open".into()),
                ("lead@t".into(), "open".into(), "in_progress".into()),
                ("lead@t".into(), "in_progress".into(), "done".into())
            ]
        );
        // Done within the judged period: the same cause is not opened again on that evidence.
        let after = reconcile(&db, &run("coaching", "r3", 23), &[task("a1", "fcr", "fcr-low", 2)]).unwrap();
        assert_eq!((after.opened.len(), after.duplicates), (0, 1));
    }

    #[test]
    fn an_ingested_session_answering_a_task_closes_it_at_the_next_run() {
        let (_dir, db) = tenant();
        reconcile(&db, &run("coaching", "r1", 2), &[task("a1", "fcr", "fcr-low", 2)]).unwrap();
        db.connection()
            .unwrap()
            .execute_batch(
                "INSERT INTO coaching_sessions (session_id, agent_id, coach, held_at, topic, action_id) \
                 VALUES ('cs9', 'a1', 'lead', TIMESTAMP '2026-03-04 10:00:00', 'fcr', 'r1-0')",
            )
            .unwrap();
        let next = reconcile(&db, &run("coaching", "r2", 25), &[]).unwrap();
        assert_eq!(
            (next.answered.as_slice(), next.expired.len(), next.resolved.len()),
            (["r1-0".to_string()].as_slice(), 0, 0)
        );
        let (action, _) = get(&db, "r1-0").unwrap();
        assert_eq!(
            (action.state, action.reason.as_deref()),
            (State::Done, Some("coaching session `cs9` on 2026-03-04 answered it"))
        );
    }

    #[test]
    fn actions_are_listed_by_filter_oldest_first_and_runs_are_logged() {
        let (_dir, db) = tenant();
        reconcile(&db, &run("coaching", "r1", 2), &[task("a1", "fcr", "fcr-low", 2)]).unwrap();
        let alert = Proposed { kind: Kind::Alert, agent_id: None, ..task("a1", "fcr", "team-fcr-low", 1) };
        let done = reconcile(&db, &run("other", "r2", 3), &[task("a2", "aht", "aht-high", 1), alert]).unwrap();
        let ids = |filter: Filter| -> Vec<String> {
            list(&db, &Filter { limit: 100, ..filter }).unwrap().into_iter().map(|a| a.action_id).collect()
        };
        assert_eq!(ids(Filter::default()), ["r1-0", "r2-0", "r2-1"]);
        assert_eq!(ids(Filter { agent: Some("a2".into()), ..Filter::default() }), ["r2-0"]);
        assert_eq!(ids(Filter { kind: Some(Kind::Alert), ..Filter::default() }), ["r2-1"]);
        assert_eq!(ids(Filter { rule: Some("coaching".into()), ..Filter::default() }), ["r1-0"]);
        assert_eq!(ids(Filter { from: Some(day(3)), ..Filter::default() }), ["r2-0", "r2-1"]);
        assert_eq!(ids(Filter { states: vec![State::Done], ..Filter::default() }), Vec::<String>::new());
        let params = serde_json::json!({"threshold": 0.7});
        let record = NewRun {
            run_id: "r2",
            rule: "other",
            served: Some(("1.0.0", "abc", "active")),
            trigger: "on_demand",
            actor: "tenant_admin:x",
            run_at: day(3),
            judged_until: day(3),
            period: Some((day(1), day(3))),
            outcome: Ok((2, &done)),
            elapsed_ms: 1.5,
            params: &params,
        };
        record_run(&db, &record).unwrap();
        record_run(&db, &NewRun { run_id: "r3", outcome: Err("boom"), served: None, ..record }).unwrap();
        let logged = runs(&db, Some("other"), (None, None), 10).unwrap();
        assert_eq!(
            logged.iter().map(|r| (r.run_id.as_str(), r.status.as_str())).collect::<Vec<_>>(),
            [("r3", "failed"), ("r2", "ok")]
        );
        assert_eq!((logged[1].proposed, logged[1].opened, logged[1].params["threshold"].as_f64()), (2, 2, Some(0.7)));
        assert_eq!(logged[0].error.as_deref(), Some("boom"));
    }
}
