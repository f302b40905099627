//! Building a tenant's roster snapshot for routers, off the live path: the agents (pool from
//! their employment type, team, skills, certifications, latest availability) with their recent
//! figures computed by the tenant's own metrics (`qa_score`, `csat`, `fcr`, `aht` by agent,
//! so the snapshot means what the tenant's dashboards mean) over a window ending at the
//! tenant's latest activity (its latest contact, contact end, feedback or QA evaluation).

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::Services;
use crate::metric_calls::MetricCall;
use crate::runtime::Roster;
use crate::runtime::bindings::{AgentFigures, MetricResult, Pool};
use crate::store::TenantDb;
use crate::store::system::Tenant;

/// The metrics a snapshot carries, and how each fills an agent's figures.
const FIGURES: [&str; 4] = ["qa_score", "csat", "fcr", "aht"];

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("database error while building the roster: {0}")]
    Db(#[from] duckdb::Error),
    #[error(transparent)]
    TenantDb(#[from] crate::store::tenant::TenantDbError),
}

/// Builds the snapshot of `tenant` over the `window_days` before its latest activity. A metric
/// that fails leaves its figure empty (the failure is logged); the agents are always there.
/// Blocking.
pub fn build(state: &Services, tenant: &Tenant, window_days: u32) -> Result<Roster, RosterError> {
    let db = state.tenants.get(&tenant.id)?;
    let taken_at = chrono::Utc::now().timestamp_micros();
    let mut agents = agents(&db)?;
    let end: Option<i64> = {
        let conn = db.connection()?;
        conn.query_row(
            "SELECT epoch_us(greatest(
                 (SELECT max(greatest(offered_at, coalesce(ended_at, offered_at))) FROM interactions),
                 (SELECT max(responded_at) FROM customer_feedback),
                 (SELECT max(evaluated_at) FROM qa_evaluations)))",
            [],
            |r| r.get(0),
        )?
    };
    if let Some(end) = end {
        let end = end + 1;
        let start = end - i64::from(window_days) * 86_400_000_000;
        let index: HashMap<String, usize> = agents.iter().enumerate().map(|(i, a)| (a.agent_id.clone(), i)).collect();
        for metric in FIGURES {
            let Some(result) = by_agent(state, tenant, &db, metric, (start, end)) else { continue };
            for row in result.rows {
                let Some(&i) = index.get(&row.group) else { continue };
                let agent = &mut agents[i];
                match metric {
                    "qa_score" => agent.quality = row.value,
                    "csat" => agent.csat = row.value,
                    "fcr" => agent.fcr = row.value,
                    _ => {
                        agent.aht_seconds = row.value;
                        agent.contacts = row.denominator.unwrap_or(0.0).clamp(0.0, f64::from(u32::MAX)) as u32;
                    }
                }
            }
        }
    }
    Ok(Roster::new(taken_at, window_days, agents))
}

/// `metric` by agent over `[start, end)` µs, as the tenant's serving version computes it.
fn by_agent(
    state: &Services,
    tenant: &Tenant,
    db: &Arc<TenantDb>,
    metric: &str,
    (start, end): (i64, i64),
) -> Option<MetricResult> {
    let query = HashMap::from([
        ("from".to_string(), crate::params::micros_text(start)),
        ("to".to_string(), crate::params::micros_text(end)),
        ("group_by".to_string(), "agent".to_string()),
    ]);
    let answer = MetricCall::prepare(state, tenant, metric, "roster", query)
        .map_err(|e| e.to_string())
        .and_then(|call| call.answer(state, db.clone(), state.limits_of(tenant)).map_err(|e| e.to_string()));
    match answer {
        Ok(answer) => Some(answer.result),
        Err(error) => {
            tracing::warn!(tenant = %tenant.id, metric, %error, "a roster figure could not be computed; it stays empty");
            None
        }
    }
}

/// Every agent with pool, team, skills, certifications and latest state.
fn agents(db: &TenantDb) -> Result<Vec<AgentFigures>, RosterError> {
    let conn = db.connection()?;
    let mut stmt = conn.prepare(
        "WITH latest AS (
             SELECT agent_id, arg_max(state, started_at) AS state FROM agent_states GROUP BY 1),
         certs AS (
             SELECT agent_id, list(DISTINCT certification ORDER BY certification) AS certs FROM certifications GROUP BY 1)
         SELECT a.agent_id, a.employment_type, a.team, coalesce(a.skills, ''),
                coalesce(c.certs, []::VARCHAR[]), coalesce(l.state, 'unknown')
         FROM agents a LEFT JOIN latest l USING (agent_id) LEFT JOIN certs c USING (agent_id)
         ORDER BY a.agent_id",
    )?;
    let rows = stmt.query_map([], |r| {
        let skills: String = r.get(3)?;
        let certifications = match r.get::<_, duckdb::types::Value>(4)? {
            duckdb::types::Value::List(items) => items
                .into_iter()
                .filter_map(|v| if let duckdb::types::Value::Text(s) = v { Some(s) } else { None })
                .collect(),
            _ => Vec::new(),
        };
        Ok(AgentFigures {
            agent_id: r.get(0)?,
            pool: if r.get::<_, String>(1)? == "employee" { Pool::InHouse } else { Pool::Crowd },
            team: r.get(2)?,
            skills: skills.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
            certifications,
            state: r.get(5)?,
            quality: None,
            csat: None,
            fcr: None,
            aht_seconds: None,
            contacts: 0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
