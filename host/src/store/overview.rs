//! Read-only summaries of a tenant's data for the pages and the pay ledger: rows per
//! canonical table, the days its contacts span, its teams, a team's agents, every agent id.

use chrono::NaiveDate;
use duckdb::params;

use super::TenantDb;
use super::schema::TABLES;

pub struct Team {
    pub team: String,
    pub site: String,
    pub agents: u64,
}

pub struct Agent {
    pub agent_id: String,
    pub name: Option<String>,
    pub employment_type: String,
    pub site: String,
}

/// Rows in every canonical table, in load order.
pub fn table_counts(db: &TenantDb) -> Result<Vec<(&'static str, u64)>, duckdb::Error> {
    let conn = db.connection()?;
    TABLES
        .iter()
        .map(|t| Ok((t.name, conn.query_row(&format!("SELECT count(*) FROM {}", t.name), [], |r| r.get(0))?)))
        .collect()
}

/// The first and last day (inclusive) with an interaction, if any.
pub fn contact_days(db: &TenantDb) -> Result<Option<(NaiveDate, NaiveDate)>, duckdb::Error> {
    let conn = db.connection()?;
    let (first, last): (Option<String>, Option<String>) = conn.query_row(
        "SELECT strftime(min(offered_at), '%Y-%m-%d'), strftime(max(offered_at), '%Y-%m-%d') FROM interactions",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let day = |text: Option<String>| text.and_then(|t| t.parse::<NaiveDate>().ok());
    Ok(day(first).zip(day(last)))
}

/// Every team with its (most common) site and how many agents it has.
pub fn teams(db: &TenantDb) -> Result<Vec<Team>, duckdb::Error> {
    let conn = db.connection()?;
    let mut stmt = conn.prepare("SELECT team, mode(site), count(*) FROM agents GROUP BY team ORDER BY team")?;
    stmt.query_map([], |r| Ok(Team { team: r.get(0)?, site: r.get(1)?, agents: r.get(2)? }))?.collect()
}

/// The agents of `team`, by id.
pub fn team_agents(db: &TenantDb, team: &str) -> Result<Vec<Agent>, duckdb::Error> {
    let conn = db.connection()?;
    let mut stmt =
        conn.prepare("SELECT agent_id, name, employment_type, site FROM agents WHERE team = ? ORDER BY agent_id")?;
    stmt.query_map(params![team], |r| {
        Ok(Agent { agent_id: r.get(0)?, name: r.get(1)?, employment_type: r.get(2)?, site: r.get(3)? })
    })?
    .collect()
}

/// Every agent id of the tenant.
pub fn agent_ids(db: &TenantDb) -> Result<std::collections::HashSet<String>, duckdb::Error> {
    let conn = db.connection()?;
    let mut stmt = conn.prepare("SELECT agent_id FROM agents")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Every agent's team, by agent id.
pub fn agent_teams(db: &TenantDb) -> Result<std::collections::HashMap<String, String>, duckdb::Error> {
    let conn = db.connection()?;
    let mut stmt = conn.prepare("SELECT agent_id, team FROM agents")?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}
