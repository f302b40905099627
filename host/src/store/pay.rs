//! The pay ledger in a tenant's database: one statement per agent, period and pay plugin,
//! its lines in integer cents, and revisions. A statement is addressed by the digest of its
//! plugin version, agent, period and lines, so re-running a period with the same version on
//! the same data changes nothing, and a run that computes something else supersedes the
//! current statement and reports the difference.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use duckdb::params;
use duckdb::types::{TimeUnit, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::TenantDb;
pub use super::runs::RunOf;
use super::runs::in_transaction;
use crate::text::{check_label, check_text, shown};

/// Tables of the ledger; created with the tenant's canonical tables, never ingested.
pub const CREATE_SQL: &str = "
CREATE TABLE IF NOT EXISTS pay_statements (
    statement_id VARCHAR PRIMARY KEY,
    plugin VARCHAR NOT NULL,
    plugin_hash VARCHAR NOT NULL,
    plugin_version VARCHAR NOT NULL,
    agent_id VARCHAR NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    total_cents BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    superseded_by VARCHAR
);
CREATE TABLE IF NOT EXISTS pay_lines (
    statement_id VARCHAR NOT NULL,
    line_no INTEGER NOT NULL,
    component VARCHAR NOT NULL,
    quantity DOUBLE NOT NULL,
    rate_cents BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    note VARCHAR NOT NULL
);";

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error("pay line {line} is invalid: {why}")]
    BadLine { line: usize, why: String },
    #[error("the pay ledger: {0}")]
    Db(#[from] duckdb::Error),
}

/// One line as a plugin computed it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Line {
    pub component: String,
    pub quantity: f64,
    pub rate_cents: i64,
    pub amount_cents: i64,
    pub note: String,
}

/// A statement that changed in a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct Difference {
    pub agent_id: String,
    /// The statement replaced, if the agent had one for this period and plugin.
    pub previous_statement: Option<String>,
    pub previous_version: Option<String>,
    pub previous_total_cents: Option<i64>,
    pub statement_id: String,
    pub total_cents: i64,
    /// total − previous total (the whole total for a first statement).
    pub delta_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunReport {
    pub agents: usize,
    /// Statements written by this run (new, or replacing a different one).
    pub created: usize,
    /// Agents whose current statement was already exactly this one.
    pub unchanged: usize,
    pub total_cents: i64,
    pub differences: Vec<Difference>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Statement {
    pub statement_id: String,
    pub agent_id: String,
    pub plugin: String,
    pub plugin_version: String,
    pub plugin_hash: String,
    pub period_start: String,
    pub period_end: String,
    pub total_cents: i64,
    pub created_at: String,
    /// The statement that replaced this one, for superseded statements.
    pub superseded_by: Option<String>,
    pub lines: Vec<Line>,
}

/// Checks a plugin's lines: known agents, named components, finite quantities, totals that fit.
pub fn check_lines(
    lines: &[(String, Line)],
    known_agent: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, Vec<Line>>, PayError> {
    let mut by_agent: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for (index, (agent, line)) in lines.iter().enumerate() {
        let bad = |why: String| PayError::BadLine { line: index + 1, why };
        if !known_agent(agent) {
            return Err(bad(format!("agent `{}` is not in the tenant's agents", shown(agent))));
        }
        if line.component.is_empty() || line.component.len() > 64 {
            return Err(bad(format!("component `{}` must have 1 to 64 characters", shown(&line.component))));
        }
        check_label("the component", &line.component, 64).map_err(bad)?;
        check_text("the note", &line.note, 500).map_err(bad)?;
        if !line.quantity.is_finite() {
            return Err(bad(format!("quantity of `{}` is not a finite number", line.component)));
        }
        let total = totals.entry(agent).or_default();
        *total = total
            .checked_add(line.amount_cents)
            .ok_or_else(|| bad(format!("the statement total of agent `{agent}` overflows")))?;
        by_agent.entry(agent.clone()).or_default().push(line.clone());
    }
    Ok(by_agent)
}

fn statement_id(run: &RunOf, agent: &str, lines: &[Line]) -> String {
    let mut digest = Sha256::new();
    for part in [run.plugin, run.hash, agent, &run.period_start.to_rfc3339(), &run.period_end.to_rfc3339()] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    for line in lines {
        let text =
            format!("{}|{}|{}|{}|{}", line.component, line.quantity, line.rate_cents, line.amount_cents, line.note);
        digest.update(text.as_bytes());
        digest.update([0]);
    }
    hex::encode(&digest.finalize()[..16])
}

/// Records one run's statements in one transaction.
pub fn record_run(db: &TenantDb, run: &RunOf, by_agent: &BTreeMap<String, Vec<Line>>) -> Result<RunReport, PayError> {
    let conn = db.connection()?;
    in_transaction(&conn, |conn| record_in(conn, run, by_agent))
}

fn record_in(
    conn: &duckdb::Connection,
    run: &RunOf,
    by_agent: &BTreeMap<String, Vec<Line>>,
) -> Result<RunReport, PayError> {
    let at = |t: DateTime<Utc>| Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros());
    let (start, end) = (at(run.period_start), at(run.period_end));
    let scope = params![run.plugin, start.clone(), end.clone()];
    // The current statement of every agent for this plugin and period, and every statement
    // ever stored for them (a superseded one returns when a run computes it again).
    let current: HashMap<String, (String, String, i64)> = conn
        .prepare(
            "SELECT agent_id, statement_id, plugin_version, total_cents FROM pay_statements \
             WHERE plugin = ? AND period_start = ? AND period_end = ? AND superseded_by IS NULL",
        )?
        .query_map(scope, |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
        .collect::<Result<_, _>>()?;
    let stored: HashSet<String> = conn
        .prepare("SELECT statement_id FROM pay_statements WHERE plugin = ? AND period_start = ? AND period_end = ?")?
        .query_map(params![run.plugin, start.clone(), end.clone()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut report =
        RunReport { agents: by_agent.len(), created: 0, unchanged: 0, total_cents: 0, differences: Vec::new() };
    let (mut swaps, mut revived, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
    for (agent, lines) in by_agent {
        let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
        report.total_cents += total;
        let id = statement_id(run, agent, lines);
        let previous = current.get(agent);
        if previous.is_some_and(|(prev, _, _)| prev == &id) {
            report.unchanged += 1;
            continue;
        }
        if let Some((prev, _, _)) = previous {
            swaps.push((prev.clone(), id.clone()));
        }
        if stored.contains(&id) {
            revived.push(id.clone());
        } else {
            fresh.push((agent, id.clone(), total, lines));
        }
        report.created += 1;
        report.differences.push(Difference {
            agent_id: agent.clone(),
            previous_statement: previous.map(|p| p.0.clone()),
            previous_version: previous.map(|p| p.1.clone()),
            previous_total_cents: previous.map(|p| p.2),
            statement_id: id,
            total_cents: total,
            delta_cents: total - previous.map_or(0, |p| p.2),
        });
    }
    // Bulk writes: appenders take part in the connection's open transaction.
    if !swaps.is_empty() {
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS pay_swaps (old_id VARCHAR, new_id VARCHAR); DELETE FROM pay_swaps;",
        )?;
        let mut appender = conn.appender("pay_swaps")?;
        for (old, new) in &swaps {
            appender.append_row(params![old, new])?;
        }
        appender.flush()?;
        drop(appender);
        conn.execute(
            "UPDATE pay_statements SET superseded_by = s.new_id FROM pay_swaps s WHERE pay_statements.statement_id = s.old_id",
            [],
        )?;
    }
    for id in &revived {
        conn.execute("UPDATE pay_statements SET superseded_by = NULL WHERE statement_id = ?", params![id])?;
    }
    if !fresh.is_empty() {
        let now = at(Utc::now());
        let mut statements = conn.appender("pay_statements")?;
        for (agent, id, total, _) in &fresh {
            let superseded_by: Option<String> = None;
            statements.append_row(params![
                id,
                run.plugin,
                run.hash,
                run.version,
                agent,
                start.clone(),
                end.clone(),
                total,
                now.clone(),
                superseded_by
            ])?;
        }
        statements.flush()?;
        drop(statements);
        let mut rows = conn.appender("pay_lines")?;
        for (_, id, _, lines) in &fresh {
            for (no, line) in lines.iter().enumerate() {
                rows.append_row(params![
                    id,
                    no as i32 + 1,
                    line.component,
                    line.quantity,
                    line.rate_cents,
                    line.amount_cents,
                    line.note
                ])?;
            }
        }
        rows.flush()?;
    }
    Ok(report)
}

/// Which statements to list.
#[derive(Debug, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub agent: Option<String>,
    pub plugin: Option<String>,
    pub include_superseded: bool,
}

/// Statements whose period lies in `[from, to)`, current ones unless asked otherwise, by
/// period, agent and creation.
pub fn statements(db: &TenantDb, filter: &Filter) -> Result<Vec<Statement>, PayError> {
    let conn = db.connection()?;
    let mut sql = String::from(
        "SELECT statement_id, agent_id, plugin, plugin_version, plugin_hash, \
         strftime(period_start, '%Y-%m-%dT%H:%M:%SZ'), strftime(period_end, '%Y-%m-%dT%H:%M:%SZ'), total_cents, \
         strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'), superseded_by FROM pay_statements WHERE TRUE",
    );
    let mut values: Vec<duckdb::types::Value> = Vec::new();
    if let Some(from) = filter.from {
        sql.push_str(" AND period_start >= ?");
        values.push(duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Microsecond, from.timestamp_micros()));
    }
    if let Some(to) = filter.to {
        sql.push_str(" AND period_end <= ?");
        values.push(duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Microsecond, to.timestamp_micros()));
    }
    if let Some(agent) = &filter.agent {
        sql.push_str(" AND agent_id = ?");
        values.push(duckdb::types::Value::Text(agent.clone()));
    }
    if let Some(plugin) = &filter.plugin {
        sql.push_str(" AND plugin = ?");
        values.push(duckdb::types::Value::Text(plugin.clone()));
    }
    if !filter.include_superseded {
        sql.push_str(" AND superseded_by IS NULL");
    }
    sql.push_str(" ORDER BY period_start, agent_id, created_at, statement_id");
    let mut stmt = conn.prepare(&sql)?;
    let mut found: Vec<Statement> = stmt
        .query_map(duckdb::params_from_iter(values), |r| {
            Ok(Statement {
                statement_id: r.get(0)?,
                agent_id: r.get(1)?,
                plugin: r.get(2)?,
                plugin_version: r.get(3)?,
                plugin_hash: r.get(4)?,
                period_start: r.get(5)?,
                period_end: r.get(6)?,
                total_cents: r.get(7)?,
                created_at: r.get(8)?,
                superseded_by: r.get(9)?,
                lines: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut lines = conn.prepare_cached(
        "SELECT component, quantity, rate_cents, amount_cents, note FROM pay_lines WHERE statement_id = ? ORDER BY line_no",
    )?;
    for statement in &mut found {
        statement.lines = lines
            .query_map(params![statement.statement_id], |r| {
                Ok(Line {
                    component: r.get(0)?,
                    quantity: r.get(1)?,
                    rate_cents: r.get(2)?,
                    amount_cents: r.get(3)?,
                    note: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    Ok(found)
}

/// The statements as CSV, one row per line.
pub fn to_csv(statements: &[Statement]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "statement_id",
        "agent_id",
        "period_start",
        "period_end",
        "plugin",
        "plugin_version",
        "line_no",
        "component",
        "quantity",
        "rate_cents",
        "amount_cents",
        "note",
    ])?;
    for s in statements {
        for (no, line) in s.lines.iter().enumerate() {
            out.write_record([
                s.statement_id.as_str(),
                &s.agent_id,
                &s.period_start,
                &s.period_end,
                &s.plugin,
                &s.plugin_version,
                &(no + 1).to_string(),
                &line.component,
                &line.quantity.to_string(),
                &line.rate_cents.to_string(),
                &line.amount_cents.to_string(),
                &line.note,
            ])?;
        }
    }
    out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::DatabaseLimits;

    const SMALL: DatabaseLimits = DatabaseLimits { memory_bytes: 100 << 20, temp_bytes: 100 << 20, threads: 1 };

    fn run() -> RunOf<'static> {
        RunOf {
            plugin: "standard_pay",
            hash: "hash-of-standard-pay-1.0.0",
            version: "1.0.0",
            period_start: Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
            period_end: Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap(),
        }
    }

    /// a1 and a2 paid `per_contact` for their contacts at `cents` each.
    fn paid(cents: i64) -> BTreeMap<String, Vec<Line>> {
        let line = |contacts: i64| Line {
            component: "per_contact".into(),
            quantity: contacts as f64,
            rate_cents: cents,
            amount_cents: contacts * cents,
            note: String::new(),
        };
        BTreeMap::from([("a1".to_string(), vec![line(4)]), ("a2".to_string(), vec![line(3)])])
    }

    /// (agent, total, superseded_by) of every statement stored, current ones or not.
    fn stored(db: &TenantDb) -> Vec<(String, String, i64, Option<String>)> {
        let filter = Filter { include_superseded: true, ..Filter::default() };
        let mut all: Vec<_> = statements(db, &filter)
            .unwrap()
            .into_iter()
            .map(|s| (s.agent_id, s.statement_id, s.total_cents, s.superseded_by))
            .collect();
        all.sort();
        all
    }

    fn difference(d: &Difference) -> (&str, Option<&str>, Option<i64>, i64, i64) {
        (&d.agent_id, d.previous_version.as_deref(), d.previous_total_cents, d.total_cents, d.delta_cents)
    }

    #[test]
    fn the_same_run_twice_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = TenantDb::open("t", dir.path(), SMALL).unwrap();
        let first = record_run(&db, &run(), &paid(50)).unwrap();
        assert_eq!((first.agents, first.created, first.unchanged, first.total_cents), (2, 2, 0, 350));
        let firsts: Vec<_> = first.differences.iter().map(difference).collect();
        assert_eq!(firsts, [("a1", None, None, 200, 200), ("a2", None, None, 150, 150)]);
        let before = stored(&db);
        assert_eq!(before.len(), 2);

        let again = record_run(&db, &run(), &paid(50)).unwrap();
        assert_eq!((again.agents, again.created, again.unchanged, again.total_cents), (2, 0, 2, 350));
        assert!(again.differences.is_empty(), "{:?}", again.differences);
        assert_eq!(stored(&db), before, "no statement added or superseded");
        let lines: i64 =
            db.connection().unwrap().query_row("SELECT count(*) FROM pay_lines", [], |r| r.get(0)).unwrap();
        assert_eq!(lines, 2, "no line added");
    }

    #[test]
    fn a_different_result_supersedes_with_the_difference_and_an_earlier_one_returns() {
        let dir = tempfile::tempdir().unwrap();
        let db = TenantDb::open("t", dir.path(), SMALL).unwrap();
        let first = record_run(&db, &run(), &paid(50)).unwrap();
        let (a1_at_50, a2_at_50) =
            (first.differences[0].statement_id.clone(), first.differences[1].statement_id.clone());

        // Other parameters for a2 (60 cents a contact): a1's statement stays as it was.
        let mut raised = paid(50);
        raised.insert("a2".into(), paid(60)["a2"].clone());
        let changed = record_run(&db, &run(), &raised).unwrap();
        assert_eq!((changed.agents, changed.created, changed.unchanged, changed.total_cents), (2, 1, 1, 380));
        let changes: Vec<_> = changed.differences.iter().map(difference).collect();
        assert_eq!(changes, [("a2", Some("1.0.0"), Some(150), 180, 30)]);
        assert_eq!(changed.differences[0].previous_statement.as_deref(), Some(a2_at_50.as_str()));
        let a2_at_60 = changed.differences[0].statement_id.clone();
        assert_ne!(a2_at_60, a2_at_50);
        let mut expected = vec![
            ("a1".to_string(), a1_at_50.clone(), 200, None),
            ("a2".to_string(), a2_at_50.clone(), 150, Some(a2_at_60.clone())),
            ("a2".to_string(), a2_at_60.clone(), 180, None),
        ];
        expected.sort();
        assert_eq!(stored(&db), expected);
        let current = statements(&db, &Filter { agent: Some("a2".into()), ..Filter::default() }).unwrap();
        assert_eq!(current.len(), 1);
        assert_eq!((current[0].statement_id.as_str(), current[0].total_cents), (a2_at_60.as_str(), 180));
        assert_eq!(current[0].lines, paid(60)["a2"]);

        // The first result again: its superseded statement is current again, nothing is added.
        let back = record_run(&db, &run(), &paid(50)).unwrap();
        assert_eq!((back.created, back.unchanged, back.total_cents), (1, 1, 350));
        let backs: Vec<_> = back.differences.iter().map(difference).collect();
        assert_eq!(backs, [("a2", Some("1.0.0"), Some(180), 150, -30)]);
        assert_eq!(back.differences[0].statement_id, a2_at_50);
        let mut expected = vec![
            ("a1".to_string(), a1_at_50, 200, None),
            ("a2".to_string(), a2_at_50.clone(), 150, None),
            ("a2".to_string(), a2_at_60, 180, Some(a2_at_50)),
        ];
        expected.sort();
        assert_eq!(stored(&db), expected);
    }
}
