//! The routing decision log in a tenant's database: one row per logged decision (the
//! contact's attributes, the decision, which version made it and in which role, why it fell
//! back if it did, how long it took, and how many decisions it stands for when sampled).

use duckdb::types::{TimeUnit, Value};
use std::collections::BTreeMap;

use duckdb::{Connection, params_from_iter};
use serde::Serialize;
use utoipa::ToSchema;

pub const CREATE_SQL: &str = "
CREATE TABLE IF NOT EXISTS route_decisions (
    decided_at TIMESTAMP NOT NULL,
    contact_id VARCHAR,
    channel VARCHAR,
    queue VARCHAR,
    contact_reason VARCHAR,
    customer_id VARCHAR,
    customer_tier VARCHAR,
    language VARCHAR,
    sales_likelihood DOUBLE,
    router VARCHAR NOT NULL,
    version VARCHAR,
    served_as VARCHAR NOT NULL,
    pool VARCHAR NOT NULL,
    skill VARCHAR NOT NULL,
    priority INTEGER NOT NULL,
    agents VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    fallback_cause VARCHAR,
    latency_us BIGINT NOT NULL,
    sample_weight INTEGER NOT NULL
);
";

/// One logged decision.
#[derive(Debug, Clone)]
pub struct LoggedDecision {
    pub tenant: String,
    pub decided_at: i64,
    pub contact: [String; 7],
    pub sales_likelihood: Option<f64>,
    pub router: String,
    pub version: Option<String>,
    pub served_as: &'static str,
    pub pool: &'static str,
    pub skill: String,
    pub priority: u8,
    /// Preferred agents joined by `;`.
    pub agents: String,
    pub reason: String,
    pub fallback_cause: Option<String>,
    pub latency_us: i64,
    pub sample_weight: u32,
}

pub fn append(conn: &Connection, rows: &[LoggedDecision]) -> Result<(), duckdb::Error> {
    let mut appender = conn.appender("route_decisions")?;
    for d in rows {
        let [contact_id, channel, queue, reason, customer, tier, language] = &d.contact;
        let values: Vec<Value> = vec![
            Value::Timestamp(TimeUnit::Microsecond, d.decided_at),
            Value::Text(contact_id.clone()),
            Value::Text(channel.clone()),
            Value::Text(queue.clone()),
            Value::Text(reason.clone()),
            Value::Text(customer.clone()),
            Value::Text(tier.clone()),
            Value::Text(language.clone()),
            d.sales_likelihood.map_or(Value::Null, Value::Double),
            Value::Text(d.router.clone()),
            d.version.clone().map_or(Value::Null, Value::Text),
            Value::Text(d.served_as.to_string()),
            Value::Text(d.pool.to_string()),
            Value::Text(d.skill.clone()),
            Value::Int(i32::from(d.priority)),
            Value::Text(d.agents.clone()),
            Value::Text(d.reason.clone()),
            d.fallback_cause.clone().map_or(Value::Null, Value::Text),
            Value::BigInt(d.latency_us),
            Value::Int(d.sample_weight as i32),
        ];
        appender.append_row(duckdb::appender_params_from_iter(values))?;
    }
    appender.flush()
}

/// One logged decision as the API lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionRow {
    /// RFC 3339.
    pub decided_at: String,
    pub contact_id: String,
    pub queue: String,
    pub contact_reason: String,
    pub customer_tier: String,
    pub router: String,
    pub version: Option<String>,
    pub served_as: String,
    pub pool: String,
    pub skill: String,
    pub priority: i32,
    pub agents: String,
    pub reason: String,
    pub fallback_cause: Option<String>,
    pub latency_us: i64,
    /// How many decisions this logged one stands for (1 unless sampled).
    pub sample_weight: i32,
}

/// The decision log over a range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionSummary {
    /// Decisions made, estimated from the sample weights.
    pub decisions: u64,
    /// Rows logged.
    pub logged: u64,
    /// Estimated decisions per pool.
    pub by_pool: BTreeMap<String, u64>,
    /// Estimated decisions per role of what answered.
    pub by_served_as: BTreeMap<String, u64>,
    /// Fallbacks per cause (always logged, so exact).
    pub fallbacks: BTreeMap<String, u64>,
    /// Latency of logged decisions in microseconds: median and 99th percentile.
    pub latency_p50_us: Option<f64>,
    pub latency_p99_us: Option<f64>,
    /// The latest decisions, newest first.
    pub latest: Vec<DecisionRow>,
}

pub fn summary(conn: &Connection, (from, to): (i64, i64), limit: u32) -> Result<DecisionSummary, duckdb::Error> {
    let bounds = [Value::Timestamp(TimeUnit::Microsecond, from), Value::Timestamp(TimeUnit::Microsecond, to)];
    let range = || params_from_iter(bounds.iter());
    const IN_RANGE: &str = "FROM route_decisions WHERE decided_at >= ? AND decided_at < ?";
    let (decisions, logged, p50, p99): (Option<i64>, i64, Option<f64>, Option<f64>) = conn.query_row(
        &format!(
            "SELECT sum(sample_weight), count(*), quantile_cont(latency_us, 0.5), quantile_cont(latency_us, 0.99) {IN_RANGE}"
        ),
        range(),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let grouped = |column: &str, weighted: bool, filter: &str| -> Result<BTreeMap<String, u64>, duckdb::Error> {
        let measure = if weighted { "sum(sample_weight)" } else { "count(*)" };
        let mut stmt = conn.prepare(&format!("SELECT {column}, {measure} {IN_RANGE} {filter} GROUP BY 1"))?;
        let rows = stmt.query_map(range(), |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
        rows.collect()
    };
    let by_pool = grouped("pool", true, "")?;
    let by_served_as = grouped("served_as", true, "")?;
    let fallbacks = grouped("fallback_cause", false, "AND fallback_cause IS NOT NULL")?;
    let mut stmt = conn.prepare(&format!(
        "SELECT strftime(decided_at, '%Y-%m-%dT%H:%M:%S.%fZ'), coalesce(contact_id, ''), coalesce(queue, ''),
                coalesce(contact_reason, ''), coalesce(customer_tier, ''), router, version, served_as, pool, skill,
                priority, agents, reason, fallback_cause, latency_us, sample_weight
         {IN_RANGE} ORDER BY decided_at DESC LIMIT {limit}"
    ))?;
    let latest = stmt
        .query_map(range(), |r| {
            Ok(DecisionRow {
                decided_at: r.get(0)?,
                contact_id: r.get(1)?,
                queue: r.get(2)?,
                contact_reason: r.get(3)?,
                customer_tier: r.get(4)?,
                router: r.get(5)?,
                version: r.get(6)?,
                served_as: r.get(7)?,
                pool: r.get(8)?,
                skill: r.get(9)?,
                priority: r.get(10)?,
                agents: r.get(11)?,
                reason: r.get(12)?,
                fallback_cause: r.get(13)?,
                latency_us: r.get(14)?,
                sample_weight: r.get(15)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(DecisionSummary {
        decisions: decisions.unwrap_or(0) as u64,
        logged: logged as u64,
        by_pool,
        by_served_as,
        fallbacks,
        latency_p50_us: p50,
        latency_p99_us: p99,
        latest,
    })
}
