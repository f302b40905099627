//! Pay and game benchmarks on a month of 20,000 agents, each against the same computation in
//! plain DuckDB SQL on the same tenant database in the same run:
//! - a pay run of `standard_pay` with every component on (per minute, per contact, peak
//!   windows in local time, surge, commission, quality gate, fee, minimum-wage top-up),
//!   statements written to the ledger, vs one SQL statement that computes the same lines and
//!   writes them to a table; every agent's total must be equal;
//! - an award run of `standard_game` into the points ledger plus the agent leaderboard, vs SQL
//!   computing the same points and ranks; every agent's points must be equal.
//!
//! The month is June 2026, when no zone the generator uses changes its UTC offset, so the
//! baseline can take each zone's offset as a constant. `CXHOST_BENCH_SCALE=0.1` shrinks the
//! number of agents.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cxhost::generate::{SampleSpec, generate};
use serde_json::{Value, json};

mod common;

use common::{Bound, KEY};

/// Bounds of a quick run (CI, small data): a ratio past one is a regression.
const QUICK_PAY: f64 = 3.5;
const QUICK_AWARDS: f64 = 3.5;

const FROM: &str = "2026-06-01";
const TO: &str = "2026-07-01";
/// The previous period of equal length, for the game's quality comparison.
const BEFORE: &str = "2026-05-02";

fn pay_params() -> Value {
    json!({
        "per_minute_cents": 25, "per_contact_cents": 40, "peak_windows": "17:00-21:00,22:00-02:00",
        "peak_multiplier": 1.25, "commission_percent": 5, "min_csat": 0.7, "min_qa": 70,
        "platform_fee_cents": 300, "min_wage_cents_per_hour": 1300, "surge_contacts_per_agent_hour": 6,
        "surge_slope": 0.5, "surge_cap": 2.0
    })
}

/// `standard_pay` with `pay_params()` as SQL: one row per agent and line, written to `base_pay`.
fn pay_sql() -> String {
    let range = |c: &str| format!("{c} >= TIMESTAMP '{FROM}' AND {c} < TIMESTAMP '{TO}'");
    // n / d rounded half away from zero, for n >= 0.
    let round = |n: &str, d: &str| format!("((2 * ({n}) + ({d})) // (2 * ({d})))");
    format!(
        "CREATE OR REPLACE TABLE base_pay AS \
         WITH offsets(tz, offset_minutes) AS (VALUES ('UTC', 0), ('Europe/Berlin', 120), ('Europe/London', 60), \
             ('Europe/Madrid', 120), ('Europe/Warsaw', 120), ('Europe/Lisbon', 60), ('Europe/Athens', 180), ('Asia/Manila', 480)), \
         demand AS (SELECT date_trunc('hour', offered_at) AS h, count(*) AS contacts FROM interactions \
             WHERE channel <> 'self_service' AND {r_offered} GROUP BY 1), \
         staffed AS (SELECT d.h, count(DISTINCT st.agent_id) AS agents FROM demand d JOIN agent_states st \
             ON st.started_at < d.h + INTERVAL 1 HOUR AND st.ended_at > d.h GROUP BY 1), \
         surge AS (SELECT d.h, CASE WHEN coalesce(s.agents, 0) = 0 THEN 2000 ELSE CAST(least(2000, greatest(1000, \
             round(1000 + 500 * (CAST(d.contacts AS DOUBLE) / (s.agents * 6) - 1)))) AS BIGINT) END AS f \
             FROM demand d LEFT JOIN staffed s USING (h)), \
         c AS (SELECT i.agent_id, coalesce(i.answered_at, i.offered_at) AS started, \
             i.talk_seconds + i.hold_seconds + i.wrap_seconds AS secs, \
             CASE WHEN i.sale THEN coalesce(i.revenue_cents, 0) ELSE 0 END AS revenue, \
             coalesce(nullif(a.timezone, ''), 'UTC') AS tz \
             FROM interactions i JOIN agents a ON a.agent_id = i.agent_id WHERE i.outcome = 'handled' AND {r_i}), \
         l AS (SELECT c.*, c.started + to_minutes(o.offset_minutes) AS local_start FROM c JOIN offsets o USING (tz)), \
         w AS (SELECT agent_id, count(*) AS contacts, sum(secs) AS secs, \
             coalesce(sum(secs) FILTER (WHERE (hour(local_start) * 60 + minute(local_start) >= 1020 \
               AND hour(local_start) * 60 + minute(local_start) < 1260) OR (hour(local_start) * 60 + minute(local_start) >= 1320 \
               OR hour(local_start) * 60 + minute(local_start) < 120)), 0) AS peak, \
             sum(revenue) AS revenue, coalesce(sum(secs * (coalesce(sg.f, 1000) - 1000)), 0) AS surge \
             FROM l LEFT JOIN surge sg ON sg.h = date_trunc('hour', l.started) GROUP BY 1), \
         q AS (SELECT agent_id, CAST(count(*) FILTER (WHERE csat >= 4) AS DOUBLE) / count(*) AS csat FROM customer_feedback \
             WHERE csat IS NOT NULL AND agent_id IS NOT NULL AND {r_resp} GROUP BY 1), \
         qa AS (SELECT agent_id, avg(score) AS qa FROM qa_evaluations WHERE {r_eval} GROUP BY 1), \
         worked AS (SELECT agent_id, CAST(sum(epoch(least(ended_at, TIMESTAMP '{TO}') - greatest(started_at, TIMESTAMP '{FROM}'))) \
             AS BIGINT) AS secs FROM agent_states WHERE started_at < TIMESTAMP '{TO}' AND ended_at > TIMESTAMP '{FROM}' GROUP BY 1), \
         parts AS (SELECT coalesce(w.agent_id, k.agent_id) AS agent_id, \
             {per_minute} AS per_minute, coalesce(w.contacts, 0) * 40 AS per_contact, \
             CASE WHEN q.csat >= 0.7 AND qa.qa >= 70 THEN {peak} ELSE 0 END AS peak_premium, \
             {surge} AS surge_premium, \
             CASE WHEN q.csat >= 0.7 AND qa.qa >= 70 THEN {commission} ELSE 0 END AS commission, \
             -300 AS platform_fee, {floor} AS floor \
             FROM w FULL OUTER JOIN worked k ON k.agent_id = w.agent_id \
             LEFT JOIN q ON q.agent_id = coalesce(w.agent_id, k.agent_id) LEFT JOIN qa ON qa.agent_id = coalesce(w.agent_id, k.agent_id)) \
         SELECT agent_id, component, amount FROM (SELECT *, per_minute + per_contact + peak_premium + surge_premium + commission \
             + platform_fee AS earned FROM parts) \
         UNPIVOT (amount FOR component IN (per_minute, per_contact, peak_premium, surge_premium, commission, platform_fee)) \
         UNION ALL SELECT agent_id, 'minimum_wage_top_up', floor - (per_minute + per_contact + peak_premium + surge_premium \
             + commission + platform_fee) FROM parts WHERE floor > per_minute + per_contact + peak_premium + surge_premium \
             + commission + platform_fee",
        r_offered = range("offered_at"),
        r_i = range("i.offered_at"),
        r_resp = range("responded_at"),
        r_eval = range("evaluated_at"),
        per_minute = round("coalesce(w.secs, 0) * 25", "60"),
        peak = round("coalesce(w.peak, 0) * 25 * 250", "60 * 1000"),
        surge = round("coalesce(w.surge, 0) * 25", "60 * 1000"),
        commission = round("coalesce(w.revenue, 0) * 500", "10000"),
        floor = round("coalesce(k.secs, 0) * 1300", "3600"),
    )
}

/// `standard_game`'s points with default parameters as SQL, ranked: `(agent, points, rank)`.
fn game_sql() -> String {
    let stats = |from: &str, to: &str| {
        format!(
            "(WITH nxt AS (SELECT interaction_id, lead(offered_at) OVER (PARTITION BY customer_id, contact_reason \
                ORDER BY offered_at, interaction_id) AS next_at FROM interactions \
                WHERE offered_at >= TIMESTAMP '{from}' AND offered_at < TIMESTAMP '{to}' + INTERVAL 7 DAY), \
              c AS (SELECT i.agent_id, i.talk_seconds + i.hold_seconds + i.wrap_seconds AS secs, \
                (n.next_at IS NULL OR n.next_at > i.offered_at + INTERVAL 7 DAY) AS resolved FROM interactions i \
                JOIN nxt n USING (interaction_id) WHERE i.outcome = 'handled' AND i.agent_id IS NOT NULL \
                AND i.offered_at >= TIMESTAMP '{from}' AND i.offered_at < TIMESTAMP '{to}'), \
              cs AS (SELECT agent_id, count(*) AS contacts, avg(secs) AS aht, count(*) FILTER (WHERE resolved) AS resolved \
                FROM c GROUP BY 1), \
              fs AS (SELECT f.agent_id, count(*) FILTER (WHERE f.csat >= 4 AND NOT coalesce(i.transferred, FALSE)) AS kept, \
                CAST(count(*) FILTER (WHERE f.csat >= 4) AS DOUBLE) / count(*) AS csat FROM customer_feedback f \
                LEFT JOIN interactions i ON i.interaction_id = f.interaction_id WHERE f.csat IS NOT NULL AND f.agent_id IS NOT NULL \
                AND f.responded_at >= TIMESTAMP '{from}' AND f.responded_at < TIMESTAMP '{to}' GROUP BY 1) \
             SELECT a.agent_id, a.team, coalesce(cs.contacts, 0) AS contacts, cs.aht, coalesce(cs.resolved, 0) AS resolved, \
               CASE WHEN cs.contacts > 0 THEN CAST(cs.resolved AS DOUBLE) / cs.contacts END AS fcr, \
               coalesce(fs.kept, 0) AS kept, fs.csat \
             FROM agents a LEFT JOIN cs ON cs.agent_id = a.agent_id LEFT JOIN fs ON fs.agent_id = a.agent_id)"
        )
    };
    format!(
        "WITH now AS {now}, before AS {before}, \
         team AS (SELECT team, median(aht) AS aht, median(fcr) AS fcr, median(csat) AS csat FROM now GROUP BY 1), \
         pts AS (SELECT n.agent_id, n.kept * 10 + n.resolved * 2 + CASE WHEN n.aht < t.aht AND n.fcr IS NOT NULL AND n.csat IS NOT NULL \
             AND (CASE WHEN b.fcr IS NOT NULL AND b.csat IS NOT NULL \
                  THEN n.fcr >= b.fcr - 0.02 AND n.csat >= b.csat - 0.05 \
                  ELSE t.fcr IS NOT NULL AND t.csat IS NOT NULL AND n.fcr >= t.fcr - 0.02 AND n.csat >= t.csat - 0.05 END) \
             THEN 50 ELSE 0 END AS points FROM now n JOIN team t USING (team) LEFT JOIN before b USING (agent_id)) \
         SELECT agent_id, points, rank() OVER (ORDER BY points DESC) AS rank FROM pts ORDER BY rank, agent_id",
        now = stats(FROM, TO),
        before = stats(BEFORE, FROM)
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let scale = common::scale(0.01);
    let mut ratios = common::Ratios::default();
    let common::BenchServer { state, base, work: _work } = common::start().await;
    state.system.create_tenant("bench", "bench", "bench").unwrap();
    let db = state.tenants.get("bench").unwrap();
    let spec = SampleSpec {
        seed: 11,
        agents: ((20_000.0 * scale).round() as u32).max(50),
        days: 61,
        start: BEFORE.parse().unwrap(),
        contacts_per_agent_day: 6.0,
    };
    let sample = db.staging_dir().join("sample");
    let summary = generate(&spec, &sample).unwrap();
    let rows: u64 = summary.files.iter().map(|f| f.2).sum();
    let loaded = {
        let (db, sample) = (db.clone(), sample.clone());
        tokio::task::spawn_blocking(move || cxhost::demo::load_sample(&db, &sample)).await.unwrap().unwrap()
    };
    let _ = std::fs::remove_dir_all(&sample);
    println!("sample: {} agents, {BEFORE} to {TO} (two months; June is paid), {rows} rows: {loaded:?}", spec.agents);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().unwrap();
    let post = |path: &str, body: Value| {
        let request = client.post(format!("{base}/v1/tenants/bench{path}")).bearer_auth(KEY).json(&body);
        async move {
            let reply = request.send().await.unwrap();
            assert!(reply.status().is_success(), "{}", reply.text().await.unwrap());
            reply.json::<Value>().await.unwrap()
        }
    };

    // Pay: the server's first run writes every statement; the SQL writes every line.
    let body = json!({"plugin": "standard_pay", "from": FROM, "to": TO, "params": pay_params()});
    let t = Instant::now();
    let report = post("/pay/runs", body.clone()).await;
    let server_pay = t.elapsed();
    let t = Instant::now();
    let rerun = post("/pay/runs", body).await;
    let server_rerun = t.elapsed();
    assert_eq!(rerun["unchanged"], report["agents"], "{rerun}");
    let conn_db = db.clone();
    let (sql_pay, base_totals, server_totals) = tokio::task::spawn_blocking(move || {
        let conn = conn_db.connection().unwrap();
        let t = Instant::now();
        conn.execute_batch(&pay_sql()).unwrap();
        let elapsed = t.elapsed();
        let totals = |sql: &str| -> HashMap<String, i64> {
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
        };
        let base = totals("SELECT agent_id, CAST(sum(amount) AS BIGINT) FROM base_pay GROUP BY 1");
        let served = totals("SELECT agent_id, total_cents FROM pay_statements WHERE superseded_by IS NULL");
        (elapsed, base, served)
    })
    .await
    .unwrap();
    assert_eq!(server_totals.len(), base_totals.len());
    for (agent, total) in &base_totals {
        assert_eq!(server_totals.get(agent), Some(total), "agent {agent}");
    }
    println!(
        "pay run of standard_pay, {} agents, one month: server {:.2} s (re-run, nothing changed: {:.2} s) vs plain DuckDB SQL \
         {:.2} s: ratio {:.2}; every agent's total equal ({} cents in all)",
        base_totals.len(),
        server_pay.as_secs_f64(),
        server_rerun.as_secs_f64(),
        sql_pay.as_secs_f64(),
        server_pay.as_secs_f64() / sql_pay.as_secs_f64(),
        base_totals.values().sum::<i64>()
    );
    ratios.check("pay run", server_pay.as_secs_f64() / sql_pay.as_secs_f64(), Bound::AtMost(QUICK_PAY));

    // Game: award run into the ledger, then the leaderboard over the month.
    let t = Instant::now();
    post("/awards/runs", json!({"plugin": "standard_game", "from": FROM, "to": TO})).await;
    let board: Value = client
        .get(format!("{base}/v1/tenants/bench/leaderboards?from={FROM}&to={TO}&limit=1000000"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let server_game = t.elapsed();
    let conn_db = db.clone();
    let (sql_game, base_board) = tokio::task::spawn_blocking(move || {
        let conn = conn_db.connection().unwrap();
        let t = Instant::now();
        let mut stmt = conn.prepare(&game_sql()).unwrap();
        let rows: Vec<(String, i64, i64)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        (t.elapsed(), rows)
    })
    .await
    .unwrap();
    let served: Vec<(String, i64, i64)> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s["points"].as_i64().unwrap(), s["rank"].as_i64().unwrap()))
        .collect();
    assert_eq!(served, base_board, "leaderboards differ");
    println!(
        "award run of standard_game + leaderboard, {} agents, one month: server {:.2} s vs plain DuckDB SQL {:.2} s: \
         ratio {:.2}; every agent's points and rank equal",
        served.len(),
        server_game.as_secs_f64(),
        sql_game.as_secs_f64(),
        server_game.as_secs_f64() / sql_game.as_secs_f64()
    );
    let ratio = server_game.as_secs_f64() / sql_game.as_secs_f64();
    ratios.check("award run + leaderboard", ratio, Bound::AtMost(QUICK_AWARDS));
    ratios.finish();
}
