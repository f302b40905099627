//! CX–EX benchmark: the correlation matrix of 6 customer × 6 employee metrics per agent and
//! ISO week over one year of 20,000 agents, computed by the server (`GET …/correlations/matrix`:
//! every metric through its plugin one week at a time, then pairing and statistics) against
//! the same computation in plain DuckDB SQL on the same tenant database in the same run (each
//! metric per agent-week in one GROUP BY over the year, each pair joined on agent and week,
//! Pearson as `corr()`, Spearman as `corr()` of average ranks). Both must agree on every n, on
//! r to 1e-9 and on ρ to 1e-5 (float means summed in another order can split or join a tie).
//!
//! The employee side is what passes the privacy floor per agent: attendance, start adherence,
//! QA score, occupancy, transfer rate and AHT. Survey metrics (eNPS, engagement items) are
//! withheld per agent by design, so an agent-level matrix of them would be empty.
//!
//! `CXHOST_BENCH_SCALE=0.1` shrinks the number of agents.

use std::time::{Duration, Instant};

use cxhost::generate::{SampleSpec, generate};
use serde_json::Value;

mod common;

use common::{Bound, KEY};

/// Bound of a quick run (CI, small data): a ratio past it is a regression.
const QUICK_MATRIX: f64 = 2.5;

const CX: &[&str] = &["csat", "nps", "ces", "sentiment", "fcr", "conversion"];
const EX: &[&str] = &["attendance", "schedule_adherence", "qa_score", "occupancy", "transfer_rate", "aht"];
const FROM: &str = "2026-01-05";
const TO: &str = "2027-01-04";

/// Each metric per agent and week over `[FROM, TO)` as `(grp, wk, v)`, defined as its plugin.
fn metric_sql(name: &str) -> String {
    let range = |column: &str| format!("{column} >= TIMESTAMP '{FROM}' AND {column} < TIMESTAMP '{TO}'");
    let ratio = |num: &str, den: &str, from: &str, filter: &str, time: &str| {
        format!(
            "SELECT agent_id AS grp, date_trunc('week', {time}) AS wk, \
             CASE WHEN {den} = 0 THEN NULL ELSE CAST({num} AS DOUBLE) / {den} END AS v \
             FROM {from} WHERE {filter} AND {r} GROUP BY 1, 2",
            r = range(time)
        )
    };
    match name {
        "csat" => ratio(
            "count(*) FILTER (WHERE csat >= 4)",
            "count(*)",
            "customer_feedback",
            "csat IS NOT NULL",
            "responded_at",
        ),
        "nps" => ratio(
            "100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))",
            "count(*)",
            "customer_feedback",
            "nps IS NOT NULL",
            "responded_at",
        ),
        "ces" => ratio("sum(ces)", "count(*)", "customer_feedback", "ces IS NOT NULL", "responded_at"),
        "sentiment" => ratio("sum(sentiment)", "count(*)", "interactions", "sentiment IS NOT NULL", "offered_at"),
        "conversion" => ratio(
            "count(*) FILTER (WHERE sale)",
            "count(*)",
            "interactions",
            "outcome = 'handled' AND sales_eligible",
            "offered_at",
        ),
        "transfer_rate" => ratio(
            "count(*) FILTER (WHERE transferred)",
            "count(*)",
            "interactions",
            "outcome = 'handled'",
            "offered_at",
        ),
        "aht" => ratio(
            "sum(talk_seconds + hold_seconds + wrap_seconds)",
            "count(*)",
            "interactions",
            "outcome = 'handled'",
            "offered_at",
        ),
        "qa_score" => ratio("sum(score)", "count(*)", "qa_evaluations", "TRUE", "evaluated_at"),
        "fcr" => format!(
            "WITH nxt AS (SELECT interaction_id, lead(offered_at) OVER (PARTITION BY customer_id, contact_reason \
               ORDER BY offered_at, interaction_id) AS next_offered_at FROM interactions) \
             SELECT i.agent_id AS grp, date_trunc('week', i.offered_at) AS wk, \
             CAST(count(*) FILTER (WHERE n.next_offered_at IS NULL OR n.next_offered_at > i.offered_at + INTERVAL 7 DAY) \
               AS DOUBLE) / count(*) AS v \
             FROM interactions i JOIN nxt n USING (interaction_id) WHERE i.outcome = 'handled' AND {} GROUP BY 1, 2",
            range("i.offered_at")
        ),
        "occupancy" => format!(
            "WITH h AS (SELECT agent_id AS grp, date_trunc('week', offered_at) AS wk, \
               sum(talk_seconds + hold_seconds + wrap_seconds) AS secs FROM interactions \
               WHERE outcome = 'handled' AND agent_id IS NOT NULL AND {} GROUP BY 1, 2), \
             a AS (SELECT agent_id AS grp, date_trunc('week', started_at) AS wk, \
               sum(epoch(ended_at - started_at)) AS secs FROM agent_states WHERE state = 'available' AND {} GROUP BY 1, 2) \
             SELECT coalesce(h.grp, a.grp) AS grp, coalesce(h.wk, a.wk) AS wk, \
             CASE WHEN coalesce(h.secs, 0) + coalesce(a.secs, 0) = 0 THEN NULL \
               ELSE CAST(coalesce(h.secs, 0) AS DOUBLE) / (CAST(coalesce(h.secs, 0) AS DOUBLE) + coalesce(a.secs, 0)) END AS v \
             FROM h FULL OUTER JOIN a ON h.grp = a.grp AND h.wk = a.wk",
            range("offered_at"),
            range("started_at")
        ),
        // The first login of a shift: the earliest state from an hour before its start, if it
        // begins before the shift ends (ASOF finds the earliest state at or after that time).
        "attendance" | "schedule_adherence" => {
            let (num, den) = if name == "attendance" {
                ("count(*) FILTER (WHERE attended)", "count(*)")
            } else {
                (
                    "count(*) FILTER (WHERE attended AND first_login <= starts_at + INTERVAL 5 MINUTE)",
                    "count(*) FILTER (WHERE attended)",
                )
            };
            format!(
                "WITH s AS (SELECT sh.agent_id, sh.starts_at, st.started_at AS first_login, \
                   coalesce(st.started_at < sh.ends_at, FALSE) AS attended \
                   FROM schedules sh ASOF LEFT JOIN agent_states st \
                   ON sh.agent_id = st.agent_id AND sh.starts_at - INTERVAL 60 MINUTE <= st.started_at \
                   WHERE {}) \
                 SELECT agent_id AS grp, date_trunc('week', starts_at) AS wk, \
                 CASE WHEN {den} = 0 THEN NULL ELSE CAST({num} AS DOUBLE) / {den} END AS v FROM s GROUP BY 1, 2",
                range("sh.starts_at")
            )
        }
        other => panic!("no baseline SQL for {other}"),
    }
}

/// n, Pearson r and Spearman ρ of `ex` against `cx`, paired on agent and week.
const PAIR_SQL: &str = "WITH p AS (SELECT e.v AS x, c.v AS y FROM m_{ex} e JOIN m_{cx} c ON e.grp = c.grp AND e.wk = c.wk \
       WHERE e.v IS NOT NULL AND c.v IS NOT NULL), \
     r AS (SELECT x, y, rank() OVER (ORDER BY x) + (count(*) OVER (PARTITION BY x) - 1) / 2.0 AS rx, \
       rank() OVER (ORDER BY y) + (count(*) OVER (PARTITION BY y) - 1) / 2.0 AS ry FROM p) \
     SELECT count(*), corr(y, x), corr(ry, rx) FROM r";

struct Cell {
    n: u64,
    pearson: Option<f64>,
    spearman: Option<f64>,
}

fn baseline(conn: &duckdb::Connection) -> Vec<Cell> {
    for name in CX.iter().chain(EX) {
        conn.execute_batch(&format!("CREATE OR REPLACE TEMP TABLE m_{name} AS {}", metric_sql(name))).unwrap();
    }
    let mut cells = Vec::new();
    for ex in EX {
        for cx in CX {
            let sql = PAIR_SQL.replace("{ex}", ex).replace("{cx}", cx);
            let cell = conn
                .query_row(&sql, [], |r| {
                    Ok(Cell { n: r.get::<_, i64>(0)? as u64, pearson: r.get(1)?, spearman: r.get(2)? })
                })
                .unwrap();
            cells.push(cell);
        }
    }
    cells
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let scale = common::scale(0.01);
    let mut ratios = common::Ratios::default();
    let common::BenchServer { state, base, work: _work } = common::start().await;
    let spec = SampleSpec {
        seed: 7,
        agents: ((20_000.0 * scale).round() as u32).max(50),
        days: 364,
        start: FROM.parse().unwrap(),
        contacts_per_agent_day: 3.0,
    };
    state.system.create_tenant("bench", "bench", "bench").unwrap();
    let db = state.tenants.get("bench").unwrap();
    // Ingest reads only from the tenant's staging directory.
    let sample = db.staging_dir().join("sample");
    let t = Instant::now();
    let summary = generate(&spec, &sample).unwrap();
    let rows: u64 = summary.files.iter().map(|f| f.2).sum();
    println!("sample: {} agents, 364 days, {rows} rows generated in {:.0} s", spec.agents, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let loaded = {
        let (db, sample) = (db.clone(), sample.clone());
        tokio::task::spawn_blocking(move || cxhost::demo::load_sample(&db, &sample)).await.unwrap().unwrap()
    };
    println!("loaded in {:.0} s: {loaded:?}", t.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&sample);

    let url = format!(
        "{base}/v1/tenants/bench/correlations/matrix?cx={}&ex={}&level=agent&period=week&from={FROM}&to={TO}",
        CX.join(","),
        EX.join(",")
    );
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().unwrap();
    let mut server_times = Vec::new();
    let mut matrix = Value::Null;
    for _ in 0..3 {
        let t = Instant::now();
        let reply = client.get(&url).bearer_auth(KEY).send().await.unwrap();
        assert!(reply.status().is_success(), "{}", reply.text().await.unwrap());
        matrix = reply.json().await.unwrap();
        server_times.push(t.elapsed());
    }
    let mut sql_times = Vec::new();
    let mut cells = Vec::new();
    for _ in 0..3 {
        let db = db.clone();
        let t = Instant::now();
        cells = tokio::task::spawn_blocking(move || baseline(&db.connection().unwrap())).await.unwrap();
        sql_times.push(t.elapsed());
    }

    let served = matrix["cells"].as_array().unwrap();
    assert_eq!(served.len(), cells.len());
    let close = |a: Option<f64>, b: Option<f64>, tolerance: f64| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= tolerance,
        (None, None) => true,
        _ => false,
    };
    let mut least_n = u64::MAX;
    for (got, want) in served.iter().zip(&cells) {
        let what = format!("{} × {}", got["ex"], got["cx"]);
        assert_eq!(got["n"].as_u64(), Some(want.n), "{what}: n");
        assert!(
            close(got["pearson"]["value"].as_f64(), want.pearson, 1e-9),
            "{what}: r {} vs {:?}",
            got["pearson"],
            want.pearson
        );
        // Means of float columns (sentiment) summed in another order (DuckDB's parallel sums are
        // not in a fixed order) can differ in the last bit, which turns a tie into two ranks or
        // back: ρ is held to 1e-5 (a quick run once differed by 1.4e-6).
        assert!(
            close(got["spearman"]["value"].as_f64(), want.spearman, 1e-5),
            "{what}: ρ {} vs {:?}",
            got["spearman"],
            want.spearman
        );
        least_n = least_n.min(want.n);
    }
    let server = median(&mut server_times);
    let sql = median(&mut sql_times);
    println!(
        "correlation matrix 6 CX × 6 EX, agent × week, {} agents, 52 weeks (each cell n ≥ {least_n}; n equal, r to 1e-9, ρ to 1e-5): \
         server {:.2} s vs plain DuckDB SQL {:.2} s: ratio {:.2} (median of 3)",
        spec.agents,
        server.as_secs_f64(),
        sql.as_secs_f64(),
        server.as_secs_f64() / sql.as_secs_f64()
    );
    // Where the server's time went: each metric's series call (median over the runs).
    let mut per_metric = Vec::new();
    for name in CX.iter().chain(EX) {
        let stats = state.deployments.stats.report("bench", name);
        let p50 = stats.iter().filter_map(|v| v.p50_ms).fold(0.0, f64::max);
        per_metric.push(format!("{name} {:.2} s", p50 / 1000.0));
    }
    println!("series call per metric, median: {}", per_metric.join(", "));
    ratios.check("CX–EX matrix", server.as_secs_f64() / sql.as_secs_f64(), Bound::AtMost(QUICK_MATRIX));
    ratios.finish();
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}
