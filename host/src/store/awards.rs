//! The points ledger in a tenant's database: append-only award entries (points, badges,
//! levels, challenge progress), each with the rule version behind it; a re-run of a period
//! with the same result adds nothing, a different result reverses the period's entries of
//! that plugin and appends the new ones. Gaming flags are kept beside it for operators.
//! Leaderboards rank agents and teams by points with ties sharing a rank.

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

pub const CREATE_SQL: &str = "
CREATE TABLE IF NOT EXISTS points_ledger (
    entry_id VARCHAR PRIMARY KEY,
    run_id VARCHAR NOT NULL,
    agent_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    amount BIGINT NOT NULL,
    code VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    plugin VARCHAR NOT NULL,
    plugin_hash VARCHAR NOT NULL,
    plugin_version VARCHAR NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    reverses VARCHAR,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS game_flags (
    flag_id VARCHAR PRIMARY KEY,
    run_id VARCHAR NOT NULL,
    agent_id VARCHAR NOT NULL,
    pattern VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    plugin VARCHAR NOT NULL,
    plugin_version VARCHAR NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);";

#[derive(Debug, thiserror::Error)]
pub enum AwardsError {
    #[error("award {index} is invalid: {why}")]
    BadAward { index: usize, why: String },
    #[error("flag {index} is invalid: {why}")]
    BadFlag { index: usize, why: String },
    #[error("the points ledger: {0}")]
    Db(#[from] duckdb::Error),
}

/// One award as a plugin made it (`kind`: points, badge, level, challenge_progress).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AwardEntry {
    pub agent_id: String,
    pub kind: String,
    pub amount: i64,
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FlagEntry {
    pub agent_id: String,
    pub pattern: String,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardReport {
    pub run_id: String,
    /// False when the period's entries of this plugin were already exactly these.
    pub changed: bool,
    pub entries_added: usize,
    /// Earlier entries of the period reversed by this run.
    pub entries_reversed: usize,
    pub points: i64,
    pub flags: Vec<FlagEntry>,
}

fn micros(t: DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

/// The largest number of points one award may carry, either way.
pub const MAX_AWARD_POINTS: i64 = 1_000_000_000;

/// Checks awards and flags: known agents, a code for badges and challenges, amounts that fit
/// their kind, texts of bounded size on one line.
pub fn check_awards(
    awards: &[AwardEntry],
    flags: &[FlagEntry],
    known_agent: impl Fn(&str) -> bool,
) -> Result<(), AwardsError> {
    for (i, flag) in flags.iter().enumerate() {
        let bad = |why: String| AwardsError::BadFlag { index: i + 1, why };
        if !known_agent(&flag.agent_id) {
            return Err(bad(format!("agent `{}` is not in the tenant's agents", shown(&flag.agent_id))));
        }
        check_label("the pattern", &flag.pattern, 64).map_err(bad)?;
        check_text("the detail", &flag.detail, 500).map_err(bad)?;
    }
    for (i, award) in awards.iter().enumerate() {
        let bad = |why: String| AwardsError::BadAward { index: i + 1, why };
        if !known_agent(&award.agent_id) {
            return Err(bad(format!("agent `{}` is not in the tenant's agents", shown(&award.agent_id))));
        }
        match award.kind.as_str() {
            "badge" | "challenge_progress" if award.code.is_empty() => {
                return Err(bad(format!("a {} needs a code", award.kind)));
            }
            "challenge_progress" if !(0..=100).contains(&award.amount) => {
                return Err(bad(format!("challenge progress {} is not 0–100", award.amount)));
            }
            "level" if award.amount < 0 => return Err(bad(format!("level {} is negative", award.amount))),
            _ => {}
        }
        if award.amount.abs() > MAX_AWARD_POINTS {
            return Err(bad(format!("{} is more than {MAX_AWARD_POINTS} either way", award.amount)));
        }
        check_label("the code", &award.code, 64).map_err(bad)?;
        check_text("the reason", &award.reason, 500).map_err(bad)?;
    }
    Ok(())
}

fn run_id(run: &RunOf, awards: &[AwardEntry]) -> String {
    let mut digest = Sha256::new();
    for part in [run.plugin, run.hash, &run.period_start.to_rfc3339(), &run.period_end.to_rfc3339()] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    for a in awards {
        digest.update(format!("{}|{}|{}|{}|{}", a.agent_id, a.kind, a.amount, a.code, a.reason).as_bytes());
        digest.update([0]);
    }
    hex::encode(&digest.finalize()[..16])
}

/// Records a run in one transaction: unchanged when the plugin's live entries for the period
/// come from this very run; otherwise those entries are reversed and the new ones appended.
pub fn record_awards(
    db: &TenantDb,
    run: &RunOf,
    awards: &[AwardEntry],
    flags: &[FlagEntry],
) -> Result<AwardReport, AwardsError> {
    let conn = db.connection()?;
    in_transaction(&conn, |conn| record_in(conn, run, awards, flags))
}

/// Entries of the plugin for exactly this period that are neither reversals nor reversed.
const LIVE: &str = "FROM points_ledger p WHERE p.plugin = ? AND p.period_start = ? AND p.period_end = ? \
     AND p.reverses IS NULL AND NOT EXISTS (SELECT 1 FROM points_ledger r WHERE r.reverses = p.entry_id)";

fn record_in(
    conn: &duckdb::Connection,
    run: &RunOf,
    awards: &[AwardEntry],
    flags: &[FlagEntry],
) -> Result<AwardReport, AwardsError> {
    let id = run_id(run, awards);
    let (start, end) = (micros(run.period_start), micros(run.period_end));
    let live_runs: Vec<String> = conn
        .prepare(&format!("SELECT DISTINCT p.run_id {LIVE}"))?
        .query_map(params![run.plugin, start.clone(), end.clone()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let points: i64 = awards.iter().filter(|a| a.kind == "points").map(|a| a.amount).sum();
    if live_runs == [id.clone()] || (live_runs.is_empty() && awards.is_empty()) {
        return Ok(AwardReport {
            run_id: id,
            changed: false,
            entries_added: 0,
            entries_reversed: 0,
            points,
            flags: flags.to_vec(),
        });
    }
    let reversed = conn.execute(
        &format!(
            "INSERT INTO points_ledger SELECT p.entry_id || '-r', ?, p.agent_id, p.kind, -p.amount, p.code, \
             'reversed by a later run of the same period', p.plugin, ?, ?, p.period_start, p.period_end, p.entry_id, \
             now()::TIMESTAMP {LIVE}"
        ),
        params![id, run.hash, run.version, run.plugin, start.clone(), end.clone()],
    )?;
    // Bulk writes: appenders take part in the connection's open transaction.
    let now = micros(Utc::now());
    let no_reversal: Option<String> = None;
    let mut entries = conn.appender("points_ledger")?;
    for (n, a) in awards.iter().enumerate() {
        entries.append_row(params![
            format!("{id}-{n}"),
            id,
            a.agent_id,
            a.kind,
            a.amount,
            a.code,
            a.reason,
            run.plugin,
            run.hash,
            run.version,
            start.clone(),
            end.clone(),
            no_reversal,
            now.clone()
        ])?;
    }
    entries.flush()?;
    drop(entries);
    let mut raised = conn.appender("game_flags")?;
    for (n, f) in flags.iter().enumerate() {
        raised.append_row(params![
            format!("{id}-f{n}"),
            id,
            f.agent_id,
            f.pattern,
            f.detail,
            run.plugin,
            run.version,
            start.clone(),
            end.clone(),
            now.clone()
        ])?;
    }
    raised.flush()?;
    Ok(AwardReport {
        run_id: id,
        changed: true,
        entries_added: awards.len(),
        entries_reversed: reversed,
        points,
        flags: flags.to_vec(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntry {
    pub entry_id: String,
    pub agent_id: String,
    pub kind: String,
    pub amount: i64,
    pub code: String,
    pub reason: String,
    pub plugin: String,
    pub plugin_version: String,
    pub plugin_hash: String,
    pub period_start: String,
    pub period_end: String,
    /// The entry this one cancels, for reversals.
    pub reverses: Option<String>,
}

/// Ledger entries of periods inside `[from, to)`, optionally of one agent, in ledger order.
pub fn ledger(
    db: &TenantDb,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    agent: Option<&str>,
) -> Result<Vec<LedgerEntry>, AwardsError> {
    let conn = db.connection()?;
    let mut stmt = conn.prepare(
        "SELECT entry_id, agent_id, kind, amount, code, reason, plugin, plugin_version, plugin_hash, \
         strftime(period_start, '%Y-%m-%dT%H:%M:%SZ'), strftime(period_end, '%Y-%m-%dT%H:%M:%SZ'), reverses \
         FROM points_ledger WHERE period_start >= ? AND period_end <= ? AND (? IS NULL OR agent_id = ?) \
         ORDER BY created_at, entry_id",
    )?;
    let rows = stmt.query_map(params![micros(from), micros(to), agent, agent], |r| {
        Ok(LedgerEntry {
            entry_id: r.get(0)?,
            agent_id: r.get(1)?,
            kind: r.get(2)?,
            amount: r.get(3)?,
            code: r.get(4)?,
            reason: r.get(5)?,
            plugin: r.get(6)?,
            plugin_version: r.get(7)?,
            plugin_hash: r.get(8)?,
            period_start: r.get(9)?,
            period_end: r.get(10)?,
            reverses: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Flags raised for periods inside `[from, to)`.
pub fn flags(db: &TenantDb, (from, to): (DateTime<Utc>, DateTime<Utc>)) -> Result<Vec<FlagEntry>, AwardsError> {
    let conn = db.connection()?;
    let mut stmt = conn.prepare(
        "SELECT DISTINCT agent_id, pattern, detail FROM game_flags WHERE period_start >= ? AND period_end <= ? \
         ORDER BY agent_id, pattern, detail",
    )?;
    let rows = stmt.query_map(params![micros(from), micros(to)], |r| {
        Ok(FlagEntry { agent_id: r.get(0)?, pattern: r.get(1)?, detail: r.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One place on a leaderboard. Equal points share a rank (1, 2, 2, 4).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Standing {
    pub rank: u64,
    /// Agent id, or team name on a team board.
    pub name: String,
    pub team: String,
    pub points: i64,
    /// Agents behind a team's points (1 on an agent board).
    pub agents: u64,
}

/// Points per agent (optionally of one team) or per team over periods inside `[from, to)`,
/// best first; agents with no points are listed with 0.
pub fn leaderboard(
    db: &TenantDb,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    by_team: bool,
    team: Option<&str>,
) -> Result<Vec<Standing>, AwardsError> {
    let conn = db.connection()?;
    let (name, group, agents) = if by_team {
        ("a.team", "a.team", "count(DISTINCT a.agent_id)")
    } else {
        ("a.agent_id", "a.agent_id, a.team", "1")
    };
    let sql = format!(
        "WITH pts AS (SELECT agent_id, sum(amount) AS points FROM points_ledger \
           WHERE kind = 'points' AND period_start >= ? AND period_end <= ? GROUP BY 1) \
         SELECT rank() OVER (ORDER BY sum(coalesce(p.points, 0)) DESC), {name}, min(a.team), \
           CAST(sum(coalesce(p.points, 0)) AS BIGINT), CAST({agents} AS BIGINT) \
         FROM agents a LEFT JOIN pts p ON p.agent_id = a.agent_id WHERE (? IS NULL OR a.team = ?) \
         GROUP BY {group} ORDER BY 1, 2"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![micros(from), micros(to), team, team], |r| {
        Ok(Standing {
            rank: r.get::<_, i64>(0)? as u64,
            name: r.get(1)?,
            team: r.get(2)?,
            points: r.get(3)?,
            agents: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::DatabaseLimits;

    const SMALL: DatabaseLimits = DatabaseLimits { memory_bytes: 100 << 20, temp_bytes: 100 << 20, threads: 1 };

    fn week() -> (DateTime<Utc>, DateTime<Utc>) {
        (Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap())
    }

    fn run() -> RunOf<'static> {
        let (period_start, period_end) = week();
        RunOf {
            plugin: "standard_game",
            hash: "hash-of-standard-game-1.0.0",
            version: "1.0.0",
            period_start,
            period_end,
        }
    }

    fn award(agent: &str, kind: &str, amount: i64, code: &str) -> AwardEntry {
        AwardEntry {
            agent_id: agent.into(),
            kind: kind.into(),
            amount,
            code: code.into(),
            reason: format!("{kind} {code}"),
        }
    }

    fn flag(agent: &str, pattern: &str) -> FlagEntry {
        FlagEntry { agent_id: agent.into(), pattern: pattern.into(), detail: format!("{pattern} of {agent}") }
    }

    /// (agent, kind, amount, code, whether it is a reversal) of every ledger entry, sorted.
    fn entries(db: &TenantDb) -> Vec<(String, String, i64, String, bool)> {
        let mut all: Vec<_> = ledger(db, week(), None)
            .unwrap()
            .into_iter()
            .map(|e| (e.agent_id, e.kind, e.amount, e.code, e.reverses.is_some()))
            .collect();
        all.sort();
        all
    }

    fn entry(agent: &str, kind: &str, amount: i64, code: &str, reversal: bool) -> (String, String, i64, String, bool) {
        (agent.into(), kind.into(), amount, code.into(), reversal)
    }

    #[test]
    fn an_identical_rerun_adds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = TenantDb::open("t", dir.path(), SMALL).unwrap();
        let awards =
            [award("g1", "points", 12, ""), award("g4", "points", 116, ""), award("g4", "badge", 0, "csat_streak_5")];
        let flags = [flag("g1", "short_contacts")];
        let first = record_awards(&db, &run(), &awards, &flags).unwrap();
        assert_eq!((first.changed, first.entries_added, first.entries_reversed, first.points), (true, 3, 0, 128));
        assert_eq!(first.flags, flags);
        let again = record_awards(&db, &run(), &awards, &flags).unwrap();
        assert_eq!((again.changed, again.entries_added, again.entries_reversed, again.points), (false, 0, 0, 128));
        assert_eq!(again.run_id, first.run_id);
        assert_eq!(
            entries(&db),
            [
                entry("g1", "points", 12, "", false),
                entry("g4", "badge", 0, "csat_streak_5", false),
                entry("g4", "points", 116, "", false)
            ]
        );
        assert_eq!(super::flags(&db, week()).unwrap(), flags);
        let stored: i64 =
            db.connection().unwrap().query_row("SELECT count(*) FROM game_flags", [], |r| r.get(0)).unwrap();
        assert_eq!(stored, 1, "the re-run raised no flag again");
    }

    #[test]
    fn a_changed_run_reverses_the_periods_entries_then_appends_its_own_and_flags_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = TenantDb::open("t", dir.path(), SMALL).unwrap();
        let before =
            [award("g1", "points", 12, ""), award("g4", "points", 116, ""), award("g4", "badge", 0, "csat_streak_5")];
        let first = record_awards(&db, &run(), &before, &[flag("g1", "short_contacts")]).unwrap();

        let after = [award("g1", "points", 18, ""), award("g4", "points", 124, "")];
        let changed = record_awards(&db, &run(), &after, &[flag("g2", "transfer_dodging")]).unwrap();
        assert_eq!(
            (changed.changed, changed.entries_added, changed.entries_reversed, changed.points),
            (true, 2, 3, 142)
        );
        assert_ne!(changed.run_id, first.run_id);
        assert_eq!(
            entries(&db),
            [
                entry("g1", "points", -12, "", true),
                entry("g1", "points", 12, "", false),
                entry("g1", "points", 18, "", false),
                entry("g4", "badge", 0, "csat_streak_5", false),
                entry("g4", "badge", 0, "csat_streak_5", true),
                entry("g4", "points", -116, "", true),
                entry("g4", "points", 116, "", false),
                entry("g4", "points", 124, "", false),
            ]
        );
        let all = ledger(&db, week(), None).unwrap();
        let of_first_run = |e: &&LedgerEntry| e.reverses.is_none() && e.entry_id.starts_with(first.run_id.as_str());
        let mut first_entries: Vec<&str> = all.iter().filter(of_first_run).map(|e| e.entry_id.as_str()).collect();
        first_entries.sort();
        let mut reversed: Vec<&str> = all.iter().filter_map(|e| e.reverses.as_deref()).collect();
        reversed.sort();
        assert_eq!(reversed, first_entries, "each entry of the first run is reversed once");
        for reversal in all.iter().filter(|e| e.reverses.is_some()) {
            assert_eq!(reversal.reason, "reversed by a later run of the same period");
        }
        let board: Vec<(String, i64)> = {
            let conn = db.connection().unwrap();
            conn.execute_batch(
                "INSERT INTO agents (agent_id, employment_type, team, site) \
                 SELECT a, 'employee', 't1', 'berlin' FROM unnest(['g1', 'g2', 'g4']) t(a)",
            )
            .unwrap();
            drop(conn);
            leaderboard(&db, week(), false, None).unwrap().into_iter().map(|s| (s.name, s.points)).collect()
        };
        assert_eq!(board, [("g4".to_string(), 124), ("g1".to_string(), 18), ("g2".to_string(), 0)]);
        assert_eq!(super::flags(&db, week()).unwrap(), [flag("g1", "short_contacts"), flag("g2", "transfer_dodging")]);

        // The new entries are the live ones now: the same run again adds nothing.
        let again = record_awards(&db, &run(), &after, &[]).unwrap();
        assert_eq!((again.changed, again.entries_added, again.entries_reversed), (false, 0, 0));
        assert_eq!(ledger(&db, week(), None).unwrap().len(), 8);
    }
}
