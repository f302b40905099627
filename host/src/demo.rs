//! The demo: a data directory with a `demo` tenant loaded from the sample-data generator,
//! the standard plugins, fresh keys, and the lines to try printed for a new user.

use std::path::Path;

use crate::app::{AppState, Services, StartError};
use crate::auth::{Role, new_key};
use crate::config::Config;
use crate::generate::{SampleSpec, generate};
use crate::runs::PeriodRun;
use crate::runs::awards::PointsLedger;
use crate::runs::pay::PayLedger;
use crate::runs::rules::{RulePlan, RunAsk, Trigger};
use crate::store::{Format, IngestOptions, OnConflict, ValidationMode, ingest, schema};

pub const DEMO_TENANT: &str = "demo";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Start(Box<StartError>),
    #[error("generating sample data failed: {0}")]
    Generate(#[from] crate::generate::GenerateError),
    #[error("loading sample table `{table}` failed: {source}")]
    Load { table: String, source: Box<crate::store::IngestError> },
    #[error("settling the books failed: {0}")]
    Books(#[source] Box<crate::runs::RunError>),
    #[error("{0}")]
    Other(String),
}

impl From<StartError> for DemoError {
    fn from(e: StartError) -> Self {
        DemoError::Start(Box::new(e))
    }
}

impl From<crate::runs::RunError> for DemoError {
    fn from(e: crate::runs::RunError) -> Self {
        DemoError::Books(Box::new(e))
    }
}

/// Keys minted for one demo run.
pub struct DemoKeys {
    pub operator: String,
    pub tenant_admin: String,
    pub analyst: String,
    pub team_lead: String,
}

/// Opens `config.data_dir`, loading the demo tenant with generated sample data on first use.
/// Blocking: run it on a blocking thread.
pub fn prepare(config: Config, spec: &SampleSpec) -> Result<(AppState, DemoKeys, String), DemoError> {
    let (state, _) = Services::open(config)?;
    let other = |e: &dyn std::fmt::Display| DemoError::Other(e.to_string());
    let loaded = state.system.tenant(DEMO_TENANT).map_err(|e| other(&e))?.is_some();
    let mut summary = String::from("already loaded");
    if !loaded {
        state.system.create_tenant(DEMO_TENANT, "Demo contact center", "demo").map_err(|e| other(&e))?;
        let db = state.tenants.get(DEMO_TENANT).map_err(|e| other(&e))?;
        let sample_dir = db.staging_dir().join("sample");
        let generated = generate(spec, &sample_dir)?;
        let counts: Vec<String> =
            load_sample(&db, &sample_dir)?.iter().map(|(table, rows)| format!("{rows} {table}")).collect();
        let _ = std::fs::remove_dir_all(&sample_dir);
        state.enrichment.wake(DEMO_TENANT);
        let books = settle_books(&state, spec)?;
        let coaching = open_coaching_tasks(&state, spec)?;
        summary = format!("seed {}: {}; {books}; {coaching}", generated.seed, counts.join(", "));
    }
    let keys = DemoKeys {
        operator: mint(&state, Role::Operator, None, "demo-operator")?,
        tenant_admin: mint(&state, Role::TenantAdmin, Some(DEMO_TENANT), "demo-admin")?,
        analyst: mint(&state, Role::Analyst, Some(DEMO_TENANT), "demo-analyst")?,
        team_lead: mint(&state, Role::TeamLead, Some(DEMO_TENANT), "demo-team-lead")?,
    };
    Ok((state, keys, summary))
}

/// Pay parameters the demo runs `standard_pay` with.
const DEMO_PAY: &[(&str, &str)] = &[
    ("per_minute_cents", "25"),
    ("per_contact_cents", "40"),
    ("peak_windows", "17:00-21:00"),
    ("peak_multiplier", "1.25"),
    ("commission_percent", "5"),
    ("min_csat", "0.7"),
    ("min_qa", "70"),
    ("min_wage_cents_per_hour", "1300"),
    ("surge_contacts_per_agent_hour", "6"),
    ("certification_bonus_cents", "2000"),
];

/// Runs the standard pay model and game mechanic for every calendar month of the sample, so
/// statements, the points ledger and leaderboards have something to show.
fn settle_books(state: &AppState, spec: &SampleSpec) -> Result<String, DemoError> {
    use chrono::{Datelike, Months};
    let tenant = state.tenant(DEMO_TENANT).map_err(|e| DemoError::Other(e.to_string()))?;
    let pay_params: serde_json::Map<String, serde_json::Value> =
        DEMO_PAY.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
    let last = spec.start + chrono::Days::new(u64::from(spec.days));
    let mut month = spec.start.with_day(1).expect("day 1 exists");
    let (mut statements, mut points, mut months) = (0, 0, 0);
    while month < last {
        let next = month + Months::new(1);
        let period = (month.to_string(), next.to_string());
        let period = (period.0.as_str(), period.1.as_str());
        let pay = PeriodRun::prepare::<PayLedger>(state, &tenant, ("standard_pay", "demo"), period, &pay_params)?;
        statements += pay.execute::<PayLedger>(state, DEMO_TENANT)?.report.created;
        let awards =
            PeriodRun::prepare::<PointsLedger>(state, &tenant, ("standard_game", "demo"), period, &Default::default())?;
        points += awards.execute::<PointsLedger>(state, DEMO_TENANT)?.report.points;
        months += 1;
        month = next;
    }
    Ok(format!("{statements} pay statements and {points} points over {months} months"))
}

/// Runs the standard coaching rule (FCR below 0.70 in 3 of the last 4 weeks, or in the worst
/// 10% of the agent's team) as it would have run the morning after the sample's last day, so
/// the coaching queue has tasks with evidence to show.
fn open_coaching_tasks(state: &AppState, spec: &SampleSpec) -> Result<String, DemoError> {
    let other = |e: &dyn std::fmt::Display| DemoError::Other(format!("the demo's coaching run failed: {e}"));
    let tenant = state.tenant(DEMO_TENANT).map_err(|e| other(&e))?;
    let last = spec.start + chrono::Days::new(u64::from(spec.days));
    let at = last.and_hms_opt(2, 0, 0).expect("02:00 exists").and_utc();
    let ask = RunAsk {
        rule: "standard_coaching",
        at: Some(at),
        settle: chrono::Duration::hours(1),
        params: &[("percentile".to_string(), serde_json::Value::from(10))].into_iter().collect(),
        trigger: Trigger::OnDemand,
        actor: "demo",
    };
    let plan = RulePlan::prepare(state, &tenant, &ask).map_err(|e| other(&e))?;
    let outcome = plan.execute(state).map_err(|e| other(&e))?;
    Ok(format!("{} coaching tasks and alerts opened", outcome.reconciled.opened.len()))
}

/// Loads every table's CSV in `dir` (as `generate` writes them) into `db`, all or nothing per
/// table, in load order; returns the rows inserted per table.
pub fn load_sample(db: &crate::store::TenantDb, dir: &Path) -> Result<Vec<(&'static str, u64)>, DemoError> {
    let mut counts = Vec::new();
    for table in schema::TABLES {
        let path = dir.join(format!("{}.csv", table.name));
        if path.exists() {
            counts.push((table.name, load(db, table, &path)?.inserted));
        }
    }
    Ok(counts)
}

fn load(
    db: &crate::store::TenantDb,
    table: &schema::Table,
    path: &Path,
) -> Result<crate::store::IngestReport, DemoError> {
    let options = IngestOptions {
        format: Format::Csv,
        mode: ValidationMode::AllOrNothing,
        on_conflict: OnConflict::Skip,
        enricher: Some(crate::pipelines::enrichment::STANDARD_ENRICHER.to_string()),
    };
    ingest::ingest_file(db, table, path, options)
        .map_err(|source| DemoError::Load { table: table.name.to_string(), source: Box::new(source) })
}

fn mint(state: &Services, role: Role, tenant: Option<&str>, name: &str) -> Result<String, DemoError> {
    let key = new_key();
    state.keys.add(&state.system, &key, role, tenant, name, "demo").map_err(|e| DemoError::Other(e.to_string()))?;
    Ok(key)
}

/// What to open or curl, for the console.
pub fn instructions(base: &str, keys: &DemoKeys, summary: &str, spec: &SampleSpec) -> String {
    let from = spec.start.format("%Y-%m-%d");
    let to = (spec.start + chrono::Days::new(28)).format("%Y-%m-%d");
    let a = &keys.analyst;
    format!(
        "\ncxhost demo is running at {base}\n\
         tenant `{DEMO_TENANT}` ({summary})\n\n\
         keys (made for this run; stored hashed):\n\
         \x20 analyst      {a}\n\
         \x20 tenant admin {admin}\n\
         \x20 operator     {op}\n\
         \x20 team lead    {lead}\n\n\
         open in a browser: {base}/ui/tenants/demo/dashboards/cx_ex  (sign in with the analyst key)\n\
         \x20 and the coaching queue: {base}/ui/tenants/demo/coaching  (sign in with the team lead key)\n\
         \x20 and the fair ranking: {base}/ui/tenants/demo/rankings?metric=aht&from={start}&to={end}  (sign in with the analyst key)\n\n\
         try:\n\
         \x20 curl -s {base}/healthz\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' {base}/v1/tenants/demo/plugins\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/metrics/aht?from={from}&to={to}&group_by=team'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/metrics/csat?from={from}&to={to}&group_by=week'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/metrics/service_level?from={from}&to={to}&group_by=queue&threshold_seconds=30'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/metrics/enps?from={from}&to={to}&group_by=team'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/metrics/fcr/records?from={from}&to={to}&group_by=agent&group=a0001&role=denominator&limit=5'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/rankings?metric=aht&from={start}&to={end}'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/quartiles?metric=aht&basis=adjusted&from={start}&to={end}'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/correlations?cx=csat&ex=enps&level=team&period=month&from={start}&to={end}&lag=1'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/dashboards/cx_ex?from={start}&to={end}&lag=1'\n\
         \x20 curl -sg -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/correlations/matrix?cx=csat,nps,sentiment&ex=enps,survey_item[item=engagement],survey_item[item=wellbeing]&level=team&period=month&from={start}&to={end}'\n\
         \x20 curl -s -H 'Authorization: Bearer {a}' '{base}/v1/tenants/demo/metrics/sentiment?from={start}&to={end}&group_by=team&source=comments'\n\
         \x20 curl -s -H 'Authorization: Bearer {admin}' -H 'Content-Type: application/json' -d '{{\"channel\": \"voice\", \"queue\": \"billing\", \"contact_reason\": \"charge_dispute\", \"customer_id\": \"cust-7\", \"customer_tier\": \"gold\"}}' {base}/v1/tenants/demo/route\n\
         OpenAPI document: {base}/openapi.json   Prometheus metrics: {base}/metrics\n\
         Ctrl-C stops the server; the data stays in the data directory for the next run.\n",
        admin = keys.tenant_admin,
        op = keys.operator,
        lead = keys.team_lead,
        start = spec.start.format("%Y-%m-%d"),
        end = (spec.start + chrono::Days::new(u64::from(spec.days))).format("%Y-%m-%d"),
    )
}
