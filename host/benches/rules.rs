//! Rule and coaching benchmarks, each against the same computation in plain DuckDB SQL on the
//! same tenant database in the same run:
//! - a scheduled run of `standard_coaching` over 12 weeks of 20,000 agents — FCR below 0.70 in
//!   3 of the last 4 finished weeks with a sample of at least 10 contacts, the worst 25% of the
//!   agent's team over those 4 weeks, and team alerts — by the scheduler's path (`RulePlan::
//!   prepare` and `run_admitted`, trigger `schedule`) into an empty actions ledger, vs one SQL
//!   statement that computes the same three conditions (with each week's figures as evidence)
//!   into a table; the ledger's open actions and the baseline's must be the same set of (kind,
//!   agent or team, cause);
//! - the coaching impact on AHT (`GET …/coaching/impact`, 4 weeks each side, comparison within
//!   the team) of every session of a year of 20,000 agents, vs one SQL query computing the same
//!   difference in differences; every session's status, number of comparison agents and effect
//!   must agree.
//!
//! `CXHOST_BENCH_SCALE=0.1` shrinks the number of agents; `CXHOST_BENCH_DATA=<dir>` keeps the
//! generated CSV files there for the next run; `CXHOST_BENCH_PHASES=rule,impact` picks phases.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cxhost::Services;
use cxhost::generate::SampleSpec;
use cxhost::runs::rules::{RuleOutcome, RulePlan, RunAsk, Trigger, run_admitted};
use serde_json::{Value, json};

mod common;

use common::{Bound, KEY};

/// Bounds of a quick run (CI, small data): a ratio past one is a regression.
const QUICK_RULE: f64 = 10.0;
const QUICK_IMPACT: f64 = 4.0;

/// Twelve weeks of contacts, Monday 2026-06-01 to Monday 2026-08-24.
const RULE_DATA_FROM: &str = "2026-06-01";
const RULE_DAYS: u32 = 84;
/// The scheduled run: Monday 02:00 UTC after the twelfth week, data settled an hour after
/// midnight, so the last four finished weeks are [2026-07-27, 2026-08-24).
const RUN_AT: &str = "2026-08-24T02:00:00Z";
const WINDOW_FROM: &str = "2026-07-27";
const WINDOW_TO: &str = "2026-08-24";
const THRESHOLD: f64 = 0.70;
const BREACHES: u32 = 3;
const MIN_SAMPLE: f64 = 10.0;
const PERCENTILE: f64 = 25.0;
const MIN_TEAM: u32 = 4;

/// A year of contacts and coaching sessions, Monday 2025-12-01 to Monday 2026-11-30.
const YEAR_FROM: &str = "2025-12-01";
const YEAR_DAYS: u32 = 364;
const YEAR_TO: &str = "2026-11-30";
/// Impact: weeks each side of the session's week, fewest comparison agents, least sample.
const WEEKS: u32 = 4;
const MIN_COMPARISON: u32 = 3;
const IMPACT_MIN_SAMPLE: f64 = 1.0;

/// The run's parameters: every condition (`all`), or the threshold alone (no percentile, no
/// team alerts: one metric call).
fn rule_params(all: bool) -> serde_json::Map<String, Value> {
    let params = json!({
        "metric": "fcr", "direction": "below", "threshold": THRESHOLD, "grain": "week", "periods": 4,
        "breaches": BREACHES, "min_sample": MIN_SAMPLE, "percentile": if all { PERCENTILE } else { 0.0 },
        "min_team": MIN_TEAM, "team_alerts": all, "priority": 2, "due_days": 14
    });
    params.as_object().unwrap().clone()
}

/// `standard_coaching` with `rule_params(all)` as one SQL statement into `base_actions`: FCR per
/// agent and week as the `fcr` plugin defines it (a repeat of the same customer and reason
/// within 7 days, looked for up to 7 days past the window), the agents below the threshold in
/// at least `BREACHES` weeks with a sample of at least `MIN_SAMPLE`, the teams whose own
/// figure does the same, and the agents below their team's 25th percentile over the window
/// (teams of at least `MIN_TEAM` agents with that sample). `kept` is false for a percentile
/// task of an agent who already has the threshold task: the ledger keeps one task per agent
/// and metric (the first proposal at equal priority). Without `all`, the threshold alone.
fn rule_sql(all: bool) -> String {
    let (s, e) = (format!("TIMESTAMP '{WINDOW_FROM}'"), format!("TIMESTAMP '{WINDOW_TO}'"));
    let threshold_cause = "fcr-below-0.7";
    let percentile_cause = "fcr-team-p25";
    format!(
        "CREATE OR REPLACE TABLE base_actions AS \
         WITH nxt AS (SELECT agent_id, offered_at, outcome, lead(offered_at) OVER (PARTITION BY customer_id, contact_reason \
             ORDER BY offered_at, interaction_id) AS next_at FROM interactions \
             WHERE offered_at >= {s} AND offered_at < {e} + INTERVAL 7 DAY), \
         wk AS (SELECT agent_id, date_trunc('week', offered_at) AS week, \
             CAST(count(*) FILTER (WHERE next_at IS NULL OR next_at > offered_at + INTERVAL 7 DAY) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den FROM nxt WHERE outcome = 'handled' AND offered_at < {e} GROUP BY ALL), \
         ag AS (SELECT agent_id, team FROM agents), \
         tw AS (SELECT a.team, w.week, sum(w.num) AS num, sum(w.den) AS den FROM wk w LEFT JOIN ag a USING (agent_id) \
             GROUP BY ALL), \
         thr AS (SELECT agent_id AS target, list(struct_pack(week := week, value := num / den, sample := den, \
             breach := den >= {MIN_SAMPLE} AND num / den < {THRESHOLD}) ORDER BY week) AS evidence FROM wk GROUP BY 1 \
             HAVING count(*) FILTER (WHERE den >= {MIN_SAMPLE} AND num / den < {THRESHOLD}) >= {BREACHES}), \
         alerts AS (SELECT team AS target, list(struct_pack(week := week, value := num / den, sample := den, \
             breach := den >= {MIN_SAMPLE} AND num / den < {THRESHOLD}) ORDER BY week) AS evidence FROM tw GROUP BY 1 \
             HAVING count(*) FILTER (WHERE den >= {MIN_SAMPLE} AND num / den < {THRESHOLD}) >= {BREACHES}), \
         whole AS (SELECT w.agent_id, a.team, sum(w.num) / sum(w.den) AS value, sum(w.den) AS den FROM wk w \
             JOIN ag a USING (agent_id) WHERE a.team IS NOT NULL GROUP BY ALL HAVING sum(w.den) >= {MIN_SAMPLE}), \
         bounds AS (SELECT team, quantile_cont(value, {q}) AS bound FROM whole GROUP BY 1 HAVING count(*) >= {MIN_TEAM}), \
         pct AS (SELECT w.agent_id AS target, [struct_pack(week := {s}, value := w.value, sample := w.den, breach := true)] \
             AS evidence FROM whole w JOIN bounds b USING (team) WHERE w.value < b.bound AND {all}) \
         SELECT 'coaching_task' AS kind, target, '{threshold_cause}' AS cause, evidence, true AS kept FROM thr \
         UNION ALL SELECT 'coaching_task', target, '{percentile_cause}', evidence, \
             target NOT IN (SELECT target FROM thr) FROM pct \
         UNION ALL SELECT 'alert', target, '{threshold_cause}', evidence, true FROM alerts WHERE {all}",
        q = PERCENTILE / 100.0,
    )
}

/// The coaching impact on AHT as one SQL query: AHT per agent and week as the `aht` plugin
/// defines it; for every session on `aht` held in the year, the coached agent's AHT over the
/// `WEEKS` weeks before the session's week and the `WEEKS` after it (summed seconds over summed
/// contacts, each side with a sample of at least `IMPACT_MIN_SAMPLE`), and the same for every
/// other agent of the team with no session of any topic in those weeks; the effect is the
/// coached change less the mean change of those peers, when there are at least
/// `MIN_COMPARISON`. One row per session: `(session_id, peers, effect, sd of the peers' changes)`.
fn impact_sql(first_week: &str, last_week: &str) -> String {
    let (before, after) = (7 * WEEKS, 7 * (WEEKS + 1));
    let enough = |den: &str| format!("{den} >= {IMPACT_MIN_SAMPLE} AND {den} > 0");
    format!(
        "WITH wk AS (SELECT agent_id, date_trunc('week', offered_at) AS week, \
             CAST(sum(talk_seconds + hold_seconds + wrap_seconds) AS DOUBLE) AS num, CAST(count(*) AS DOUBLE) AS den \
             FROM interactions WHERE outcome = 'handled' AND offered_at >= TIMESTAMP '{first_week}' \
             AND offered_at < TIMESTAMP '{last_week}' GROUP BY ALL), \
         s AS (SELECT session_id, agent_id, date_trunc('week', held_at) AS week FROM coaching_sessions \
             WHERE held_at >= TIMESTAMP '{YEAR_FROM}' AND held_at < TIMESTAMP '{YEAR_TO}' AND topic = 'aht'), \
         tm AS (SELECT agent_id, team FROM agents WHERE team IS NOT NULL), \
         pairs AS (SELECT session_id, week, agent_id AS who, true AS coached FROM s \
             UNION ALL SELECT s.session_id, s.week, p.agent_id, false FROM s JOIN tm c ON c.agent_id = s.agent_id \
             JOIN tm p ON p.team = c.team AND p.agent_id <> s.agent_id \
             WHERE NOT EXISTS (SELECT 1 FROM coaching_sessions x WHERE x.agent_id = p.agent_id \
               AND x.held_at >= s.week - INTERVAL {before} DAY AND x.held_at < s.week + INTERVAL {after} DAY)), \
         fig AS (SELECT p.session_id, p.who, p.coached, \
             sum(w.num) FILTER (WHERE w.week < p.week) AS bn, sum(w.den) FILTER (WHERE w.week < p.week) AS bd, \
             sum(w.num) FILTER (WHERE w.week > p.week) AS an, sum(w.den) FILTER (WHERE w.week > p.week) AS ad \
             FROM pairs p JOIN wk w ON w.agent_id = p.who AND w.week >= p.week - INTERVAL {before} DAY \
               AND w.week < p.week + INTERVAL {after} DAY GROUP BY p.session_id, p.who, p.coached), \
         ok AS (SELECT session_id, who, coached, CASE WHEN {b} THEN bn / bd END AS b, CASE WHEN {a} THEN an / ad END AS a \
             FROM fig), \
         peers AS (SELECT session_id, count(*) AS k, avg(a - b) AS change, stddev_samp(a - b) AS sd FROM ok \
             WHERE NOT coached AND a IS NOT NULL AND b IS NOT NULL GROUP BY 1) \
         SELECT s.session_id, coalesce(p.k, 0) AS k, \
             CASE WHEN t.team IS NOT NULL AND c.a IS NOT NULL AND c.b IS NOT NULL AND p.k >= {MIN_COMPARISON} \
               THEN (c.a - c.b) - p.change END AS effect, p.sd \
         FROM s LEFT JOIN ok c ON c.session_id = s.session_id AND c.coached LEFT JOIN peers p ON p.session_id = s.session_id \
         LEFT JOIN tm t ON t.agent_id = s.agent_id ORDER BY s.session_id",
        b = enough("bd"),
        a = enough("ad"),
    )
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Runs `f` with a connection to tenant `db`, on a blocking thread.
async fn with_db<T: Send + 'static>(
    db: &Arc<cxhost::store::TenantDb>,
    f: impl FnOnce(&duckdb::Connection) -> T + Send + 'static,
) -> T {
    let db = db.clone();
    tokio::task::spawn_blocking(move || f(&db.connection().unwrap())).await.unwrap()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let scale = common::scale(0.01);
    let runs = if common::quick() { 1 } else { 3 };
    let mut ratios = common::Ratios::default();
    let common::BenchServer { state, base, work: _work } = common::start().await;
    let agents = ((20_000.0 * scale).round() as u32).max(50);
    let phases = std::env::var("CXHOST_BENCH_PHASES").unwrap_or_else(|_| "rule,impact".into());
    let wants = |phase: &str| phases.split(',').any(|p| p.trim() == phase);
    if wants("rule") {
        rule_run(&state, agents, runs, &mut ratios).await;
    }
    if wants("impact") {
        impact(&state, &base, agents, runs, &mut ratios).await;
    }
    ratios.finish();
}

async fn load(state: &Arc<Services>, tenant: &str, spec: SampleSpec, tables: &'static [&'static str]) {
    state.system.create_tenant(tenant, tenant, "bench").unwrap();
    // A rule run over 20,000 agents makes three metric calls of about a second each: more than
    // the default plugin deadline (5 s) on a busy machine. An operator raises it for a tenant
    // this size, as here (and as the `scale` benchmark does).
    let mut limits = state.config.default_limits;
    limits.deadline_ms = 600_000;
    state.system.set_limits(tenant, &limits, "bench").unwrap();
    let db = state.tenants.get(tenant).unwrap();
    let t = Instant::now();
    let spec_shown = format!(
        "{} agents, {} days from {}, {} contacts per agent-day, seed {}",
        spec.agents, spec.days, spec.start, spec.contacts_per_agent_day, spec.seed
    );
    let loaded = tokio::task::spawn_blocking(move || common::sample::load(&db, &spec, tables)).await.unwrap();
    println!(
        "sample `{tenant}`: {spec_shown}; {} rows generated{}, loaded {:?} in {:.1} s",
        loaded.rows_generated,
        if loaded.cached { " (cached)" } else { "" },
        loaded.tables,
        t.elapsed().as_secs_f64()
    );
}

/// (kind, agent or team, cause) of every open action in the ledger.
type ActionKey = (String, String, String);

async fn rule_run(state: &Arc<Services>, agents: u32, runs: usize, ratios: &mut common::Ratios) {
    let spec = SampleSpec {
        seed: 5,
        agents,
        days: RULE_DAYS,
        start: RULE_DATA_FROM.parse().unwrap(),
        contacts_per_agent_day: 4.0,
    };
    load(state, "rules", spec, &["agents", "interactions", "coaching_sessions"]).await;
    let db = state.tenants.get("rules").unwrap();
    let tenant = state.tenant("rules").unwrap();
    rule_case(state, (&tenant, &db), true, agents, runs, ratios).await;
    breakdown(state, &tenant, &db).await;
    rule_case(state, (&tenant, &db), false, agents, runs, ratios).await;
}

/// `standard_coaching` at `at` as the scheduler runs it (an hour to settle).
async fn scheduled_run(
    state: &Arc<Services>,
    tenant: &cxhost::store::system::Tenant,
    at: DateTime<Utc>,
    params: &serde_json::Map<String, Value>,
) -> RuleOutcome {
    let ask = RunAsk {
        rule: "standard_coaching",
        at: Some(at),
        settle: chrono::Duration::minutes(60),
        params,
        trigger: Trigger::Schedule,
        actor: "schedule",
    };
    let plan = RulePlan::prepare(state, tenant, &ask).unwrap();
    run_admitted(state, plan).await.map(|(_, outcome)| outcome).unwrap_or_else(|e| panic!("rule run: {e}"))
}

/// One configuration of the run (`all` conditions or the threshold alone) against its SQL.
async fn rule_case(
    state: &Arc<Services>,
    (tenant, db): (&cxhost::store::system::Tenant, &Arc<cxhost::store::TenantDb>),
    all: bool,
    agents: u32,
    runs: usize,
    ratios: &mut common::Ratios,
) {
    let (tenant, db) = (tenant.clone(), db.clone());
    let at: DateTime<Utc> = RUN_AT.parse().unwrap();
    let params = rule_params(all);

    // The scheduler's path, into an empty ledger each time (emptied between runs, untimed).
    let mut server = Vec::new();
    let mut outcome = None;
    for _ in 0..runs {
        with_db(&db, |c| c.execute_batch("DELETE FROM action_events; DELETE FROM actions;").unwrap()).await;
        let t = Instant::now();
        let done = scheduled_run(state, &tenant, at, &params).await;
        server.push(t.elapsed().as_secs_f64());
        outcome = Some(done);
    }
    let outcome = outcome.unwrap();
    let served: BTreeSet<ActionKey> = with_db(&db, |c| {
        let mut stmt =
            c.prepare("SELECT kind, coalesce(agent_id, team), cause FROM actions WHERE state = 'open'").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    })
    .await;
    // The same run again on the ledger it filled: every proposal a duplicate.
    let t = Instant::now();
    let again = scheduled_run(state, &tenant, at, &params).await;
    let rerun = t.elapsed().as_secs_f64();
    assert!(again.reconciled.opened.is_empty(), "a re-run opened {} actions", again.reconciled.opened.len());

    let (sql, proposed, baseline) = with_db(&db, move |c| {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            c.execute_batch(&rule_sql(all)).unwrap();
            times.push(t.elapsed().as_secs_f64());
        }
        let proposed: usize = c.query_row("SELECT count(*) FROM base_actions", [], |r| r.get(0)).unwrap();
        let mut stmt = c.prepare("SELECT kind, target, cause FROM base_actions WHERE kept").unwrap();
        let kept: BTreeSet<ActionKey> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        (times, proposed, kept)
    })
    .await;
    assert_eq!(outcome.proposed, proposed, "proposals: server {} vs SQL {proposed}", outcome.proposed);
    if served != baseline {
        let only_server: Vec<_> = served.difference(&baseline).take(5).collect();
        let only_sql: Vec<_> = baseline.difference(&served).take(5).collect();
        panic!(
            "the ledger ({}) and the SQL ({}) differ: only in the ledger {only_server:?}; only in the SQL {only_sql:?}",
            served.len(),
            baseline.len()
        );
    }
    let count = |kind: &str, cause: &str| served.iter().filter(|k| k.0 == kind && k.2.ends_with(cause)).count();
    let (server, sql) = (median(server), median(sql));
    let conditions = if all {
        format!("FCR < {THRESHOLD} in {BREACHES} of the last 4 weeks, worst {PERCENTILE}% of the team, team alerts")
    } else {
        format!("the threshold alone: FCR < {THRESHOLD} in {BREACHES} of the last 4 weeks")
    };
    println!(
        "scheduled run of standard_coaching ({conditions}), {agents} agents, 12 weeks: server {server:.2} s (re-run, all \
         duplicates: {rerun:.2} s) vs plain DuckDB SQL {sql:.2} s: ratio {:.2}; the same {} actions opened ({} threshold \
         tasks, {} percentile tasks, {} team alerts) of {proposed} proposed",
        server / sql,
        served.len(),
        count("coaching_task", "-below-0.7"),
        count("coaching_task", "-p25"),
        count("alert", ""),
    );
    let what = if all { "rule run" } else { "rule run, threshold alone" };
    ratios.check(what, server / sql, Bound::AtMost(QUICK_RULE));
}

/// Where a rule run's time goes: the three metric calls `standard_coaching` makes through the
/// host's analytics (FCR by agent and week, by agent over the window, by team and week), each
/// alone, once.
async fn breakdown(state: &Arc<Services>, tenant: &cxhost::store::system::Tenant, db: &Arc<cxhost::store::TenantDb>) {
    use cxhost::analytics::host::TenantAnalytics;
    use cxhost::runtime::bindings::{Grain, GroupBy, MetricRequest, SeriesRequest};
    use cxhost::runtime::host::AnalyticsHost;
    let micros = |day: &str| {
        day.parse::<chrono::NaiveDate>().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros()
    };
    let (start, end) = (micros(WINDOW_FROM), micros(WINDOW_TO));
    let analytics = TenantAnalytics {
        judged_until: Some(end),
        ..TenantAnalytics::new(state.clone(), tenant.clone(), "bench".to_string(), db.clone(), state.limits_of(tenant))
    };
    let figures = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(600);
        let series = |group_by| {
            let request =
                SeriesRequest { period_start: start, period_end: end, grain: Grain::Week, group_by, params: vec![] };
            let t = Instant::now();
            let rows = analytics.metric_series("fcr", request, deadline).unwrap().rows.len();
            (t.elapsed().as_secs_f64(), rows)
        };
        let by_agent_week = series(GroupBy::Agent);
        let by_team_week = series(GroupBy::Team);
        let t = Instant::now();
        let request = MetricRequest { period_start: start, period_end: end, group_by: GroupBy::Agent, params: vec![] };
        let rows = analytics.metric("fcr", request, deadline).unwrap().rows.len();
        (by_agent_week, (t.elapsed().as_secs_f64(), rows), by_team_week)
    })
    .await
    .unwrap();
    println!(
        "  its metric calls alone: FCR by agent and week {:.2} s ({} rows), by agent over the window {:.2} s ({} rows), \
         by team and week {:.2} s ({} rows)",
        figures.0.0, figures.0.1, figures.1.0, figures.1.1, figures.2.0, figures.2.1
    );

    // The ledger write alone: the actions the run opened, proposed again into an empty ledger
    // and then once more (every one a duplicate).
    let proposals = with_db(db, |c| {
        use cxhost::store::actions::{Kind, Proposed};
        let mut stmt = c
            .prepare(
                "SELECT kind, agent_id, team, subject, cause, title, detail, evidence, priority, epoch_us(due_at) \
                 FROM actions WHERE state = 'open' ORDER BY action_id",
            )
            .unwrap();
        let proposals: Vec<Proposed> = stmt
            .query_map([], |r| {
                Ok(Proposed {
                    kind: Kind::parse(&r.get::<_, String>(0)?).unwrap(),
                    agent_id: r.get(1)?,
                    team: r.get(2)?,
                    subject: r.get(3)?,
                    cause: r.get(4)?,
                    title: r.get(5)?,
                    detail: r.get(6)?,
                    evidence: r.get(7)?,
                    priority: r.get(8)?,
                    due_at: r.get::<_, Option<i64>>(9)?.and_then(DateTime::from_timestamp_micros),
                })
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        c.execute_batch("DELETE FROM action_events; DELETE FROM actions;").unwrap();
        proposals
    })
    .await;
    let ledger = db.clone();
    let (fresh, again) = tokio::task::spawn_blocking(move || {
        let at: DateTime<Utc> = RUN_AT.parse().unwrap();
        let judged_from: DateTime<Utc> = format!("{WINDOW_FROM}T00:00:00Z").parse().unwrap();
        let time = |run_id: &str| {
            let run = cxhost::store::actions::RuleRun {
                rule: "standard_coaching",
                version: "1.0.0",
                run_id,
                at,
                judged_from,
            };
            let t = Instant::now();
            let done = cxhost::store::actions::reconcile(&ledger, &run, &proposals).unwrap();
            (t.elapsed().as_secs_f64(), done.opened.len())
        };
        (time("rr-bench-1"), time("rr-bench-2"))
    })
    .await
    .unwrap();
    println!(
        "  the ledger write alone: {} actions into an empty ledger {:.2} s; again, all duplicates ({} opened), {:.2} s",
        fresh.1, fresh.0, again.1, again.0
    );
}

async fn impact(state: &Arc<Services>, base: &str, agents: u32, runs: usize, ratios: &mut common::Ratios) {
    let spec =
        SampleSpec { seed: 9, agents, days: YEAR_DAYS, start: YEAR_FROM.parse().unwrap(), contacts_per_agent_day: 3.0 };
    load(state, "impact", spec, &["agents", "interactions", "coaching_sessions"]).await;
    let db = state.tenants.get("impact").unwrap();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().unwrap();
    let url = format!(
        "{base}/v1/tenants/impact/coaching/impact?metric=aht&from={YEAR_FROM}&to={YEAR_TO}&weeks={WEEKS}&compare=team\
         &min_sample={IMPACT_MIN_SAMPLE}&min_comparison={MIN_COMPARISON}"
    );
    let mut server = Vec::new();
    let mut report = Value::Null;
    for _ in 0..runs {
        let t = Instant::now();
        let reply = client.get(&url).bearer_auth(KEY).send().await.unwrap();
        assert!(reply.status().is_success(), "{}", reply.text().await.unwrap());
        report = reply.json::<Value>().await.unwrap();
        server.push(t.elapsed().as_secs_f64());
    }
    // The sessions' weeks: from 4 weeks before the first session's week to 5 after the last's.
    let first_week =
        (YEAR_FROM.parse::<chrono::NaiveDate>().unwrap() - chrono::Days::new(7 * u64::from(WEEKS))).to_string();
    let last_monday = YEAR_TO.parse::<chrono::NaiveDate>().unwrap() - chrono::Days::new(7);
    let last_week = (last_monday + chrono::Days::new(7 * u64::from(WEEKS + 1))).to_string();
    let sql_text = impact_sql(&first_week, &last_week);
    let (sql, rows) = with_db(&db, move |c| {
        let mut times = Vec::new();
        let mut rows = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let mut stmt = c.prepare(&sql_text).unwrap();
            rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<f64>>(2)?,
                        r.get::<_, Option<f64>>(3)?,
                    ))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect::<Vec<_>>();
            times.push(t.elapsed().as_secs_f64());
        }
        (times, rows)
    })
    .await;
    let sessions = report["sessions"].as_array().unwrap();
    let served: HashMap<&str, &Value> = sessions.iter().map(|s| (s["session_id"].as_str().unwrap(), s)).collect();
    assert_eq!(served.len(), rows.len(), "sessions: server {} vs SQL {}", served.len(), rows.len());
    let mut effects = Vec::new();
    for (id, k, effect, _sd) in &rows {
        let s = served.get(id.as_str()).unwrap_or_else(|| panic!("session {id} missing from the server's report"));
        assert_eq!(s["comparison_agents"].as_i64(), Some(*k), "session {id}: comparison agents");
        match (s["effect"].as_f64(), effect) {
            (Some(a), Some(b)) => assert!(close(a, *b), "session {id}: effect {a} vs SQL {b}"),
            (None, None) => {}
            (a, b) => panic!("session {id}: effect {a:?} vs SQL {b:?} ({})", s["reason"]),
        }
        effects.extend(*effect);
    }
    let total = &report["total"];
    assert_eq!(total["measured"].as_u64(), Some(effects.len() as u64), "measured sessions");
    let mean = effects.iter().sum::<f64>() / effects.len().max(1) as f64;
    if let Some(effect) = total["effect"].as_f64() {
        assert!(close(effect, mean), "mean effect {effect} vs SQL {mean}");
    }
    let (server, sql) = (median(server), median(sql));
    println!(
        "coaching impact on AHT, {agents} agents, a year of sessions ({} sessions, {} measured, {} insufficient; mean \
         effect {:.1} s): server over HTTP {server:.2} s vs plain DuckDB SQL {sql:.2} s: ratio {:.2}; every session's \
         status, comparison agents and effect equal",
        rows.len(),
        effects.len(),
        rows.len() - effects.len(),
        mean,
        server / sql
    );
    ratios.check("coaching impact", server / sql, Bound::AtMost(QUICK_IMPACT));
}
