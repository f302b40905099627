//! Foundation benchmarks, each reported as a ratio against a baseline measured in the same
//! run on the same data:
//! - ingest of ~1M interactions over HTTP vs DuckDB's own `read_csv` of the same file;
//! - a standard metric (AHT by agent) through its plugin over HTTP vs the same metric as one
//!   plain SQL query, on ~1M and ~10M interactions;
//! - warm call latency of a trivial plugin (p50, p99), direct and over HTTP.
//!
//! Run with `cargo bench` (release profile). `CXHOST_BENCH_SCALE=0.1` shrinks the data.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cxhost::Services;
use cxhost::generate::{SampleSpec, generate};
use cxhost::runtime::bindings::{GroupBy, MetricRequest};
use cxhost::runtime::worlds::MetricWorld;

mod common;

use common::{Bound, KEY};

/// Bounds of a quick run (CI, small data): a ratio past one is a regression.
const QUICK_INGEST: f64 = 0.35;
const QUICK_AHT: f64 = 2.5;

const AHT_BY_AGENT: &str = "SELECT i.agent_id AS grp, sum(i.talk_seconds + i.hold_seconds + i.wrap_seconds) AS num, count(*) AS den \
     FROM interactions i WHERE i.outcome = 'handled' AND i.offered_at >= ? AND i.offered_at < ? GROUP BY 1 ORDER BY 1";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let scale = common::scale(0.1);
    let mut ratios = common::Ratios::default();
    let common::BenchServer { state, base, work } = common::start().await;
    let client = reqwest::Client::new();

    // ~1M interactions: agents × days × contacts per agent-day.
    let mut spec = SampleSpec::demo();
    spec.agents = ((520.0 * scale).round() as u32).max(10);
    spec.days = 90;
    spec.contacts_per_agent_day = 28.0;
    let sample = work.path().join("sample");
    let summary = generate(&spec, &sample).unwrap();
    let interactions_rows = summary.files.iter().find(|f| f.0 == "interactions").map(|f| f.2).unwrap();
    let csv = sample.join("interactions.csv");
    println!("sample: {interactions_rows} interactions, {} MB CSV", std::fs::metadata(&csv).unwrap().len() >> 20);

    // Baseline: DuckDB's own reader of the same file into a table of a fresh database.
    let baseline_dir = work.path().join("baseline");
    std::fs::create_dir_all(&baseline_dir).unwrap();
    let conn = duckdb::Connection::open(baseline_dir.join("b.duckdb")).unwrap();
    let t = Instant::now();
    conn.execute_batch(&format!("CREATE TABLE interactions AS SELECT * FROM read_csv('{}')", csv.display())).unwrap();
    let duckdb_secs = t.elapsed().as_secs_f64();
    drop(conn);

    post(&client, &base, "/v1/tenants", serde_json::json!({"id": "bench", "name": "bench"})).await;
    ingest(&client, &base, "agents", &sample.join("agents.csv")).await;
    let t = Instant::now();
    let report = ingest(&client, &base, "interactions", &csv).await;
    let http_secs = t.elapsed().as_secs_f64();
    assert_eq!(report["inserted"].as_u64(), Some(interactions_rows), "{report}");
    let duck_rate = interactions_rows as f64 / duckdb_secs;
    let http_rate = interactions_rows as f64 / http_secs;
    println!(
        "ingest: HTTP {:.0} rows/s ({http_secs:.2} s) vs DuckDB read_csv {:.0} rows/s ({duckdb_secs:.2} s): ratio {:.2} (target >= 0.5)",
        http_rate,
        duck_rate,
        http_rate / duck_rate
    );
    ratios.check("ingest over HTTP ÷ read_csv", http_rate / duck_rate, Bound::AtLeast(QUICK_INGEST));

    let from = spec.start.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros();
    let to = (spec.start + chrono::Days::new(spec.days as u64 + 14))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    let ratio = metric_vs_sql(&state, &client, &base, interactions_rows, from, to).await;
    ratios.check("AHT by agent", ratio, Bound::AtMost(QUICK_AHT));

    // ~10M: the same contacts ten times over, with distinct ids.
    let db = state.tenants.get("bench").unwrap();
    tokio::task::spawn_blocking({
        let db = db.clone();
        move || {
            let conn = db.connection().unwrap();
            conn.execute_batch(
                "INSERT INTO interactions SELECT i.* REPLACE (i.interaction_id || '-' || r.copy AS interaction_id)
                 FROM interactions i, range(1, 10) r(copy)",
            )
            .unwrap();
        }
    })
    .await
    .unwrap();
    let ratio = metric_vs_sql(&state, &client, &base, interactions_rows * 10, from, to).await;
    ratios.check("AHT by agent, ten times the rows", ratio, Bound::AtMost(QUICK_AHT));

    call_latency(&state, &client, &base).await;
    ratios.finish();
}

/// AHT by agent through the plugin over HTTP against the same SQL; prints both and returns
/// the ratio.
async fn metric_vs_sql(
    state: &Arc<Services>,
    client: &reqwest::Client,
    base: &str,
    rows: u64,
    from: i64,
    to: i64,
) -> f64 {
    let db = state.tenants.get("bench").unwrap();
    let runs = 7;
    let mut sql_times = Vec::new();
    for _ in 0..runs {
        let db = db.clone();
        let t = Instant::now();
        tokio::task::spawn_blocking(move || {
            let conn = db.connection().unwrap();
            let mut stmt = conn.prepare(AHT_BY_AGENT).unwrap();
            let params = [
                duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Microsecond, from),
                duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Microsecond, to),
            ];
            let batches: Vec<_> = stmt.query_arrow(duckdb::params_from_iter(params)).unwrap().collect();
            assert!(!batches.is_empty());
        })
        .await
        .unwrap();
        sql_times.push(t.elapsed());
    }
    let from_s = chrono::DateTime::from_timestamp_micros(from).unwrap().to_rfc3339();
    let to_s = chrono::DateTime::from_timestamp_micros(to).unwrap().to_rfc3339();
    let url = format!(
        "{base}/v1/tenants/bench/metrics/aht?group_by=agent&from={}&to={}",
        from_s.replace('+', "%2B"),
        to_s.replace('+', "%2B")
    );
    let mut plugin_times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let reply = client.get(&url).bearer_auth(KEY).send().await.unwrap();
        assert!(reply.status().is_success(), "{}", reply.text().await.unwrap());
        let _ = reply.bytes().await.unwrap();
        plugin_times.push(t.elapsed());
    }
    let sql = median(&mut sql_times);
    let plugin = median(&mut plugin_times);
    println!(
        "metric aht by agent on {rows} interactions: plugin over HTTP {:.1} ms vs plain SQL {:.1} ms: ratio {:.2} (target <= 1.5)",
        ms(plugin),
        ms(sql),
        plugin.as_secs_f64() / sql.as_secs_f64()
    );
    plugin.as_secs_f64() / sql.as_secs_f64()
}

async fn call_latency(state: &Arc<Services>, client: &reqwest::Client, base: &str) {
    let bytes = std::fs::read(
        Path::new(cxhost::guests::GUESTS_DIR).join(format!("{}.wasm", cxhost::guests::test_guests::CONSTANT)),
    )
    .unwrap();
    let reply =
        client.post(format!("{base}/v1/tenants/bench/plugins")).bearer_auth(KEY).body(bytes).send().await.unwrap();
    assert!(reply.status().is_success());
    let plugin = state.deployments.plan(&state.registry, "bench", "constant", "").unwrap().serve;
    let db = state.tenants.get("bench").unwrap();
    let request = MetricRequest { period_start: 0, period_end: 1, group_by: GroupBy::Total, params: vec![] };
    let runtime_state = state.clone();
    let mut direct = tokio::task::spawn_blocking(move || {
        let limits = cxhost::config::PluginLimits::default();
        let mut times = Vec::new();
        for i in 0..2200 {
            let t = Instant::now();
            runtime_state
                .registry
                .runtime()
                .call::<MetricWorld>(&plugin, db.clone(), cxhost::runtime::CallImports::none(), limits, &request)
                .unwrap();
            if i >= 200 {
                times.push(t.elapsed());
            }
        }
        times
    })
    .await
    .unwrap();
    let mut http = Vec::new();
    let url = format!("{base}/v1/tenants/bench/metrics/constant?from=2026-01-01&to=2026-01-02");
    for i in 0..1100 {
        let t = Instant::now();
        let reply = client.get(&url).bearer_auth(KEY).send().await.unwrap();
        let _ = reply.bytes().await.unwrap();
        if i >= 100 {
            http.push(t.elapsed());
        }
    }
    let (d50, d99) = (percentile(&mut direct, 0.5), percentile(&mut direct, 0.99));
    let (h50, h99) = (percentile(&mut http, 0.5), percentile(&mut http, 0.99));
    println!(
        "warm trivial plugin call: direct p50 {:.3} ms p99 {:.3} ms; over HTTP p50 {:.3} ms p99 {:.3} ms (target p50 < 1 ms)",
        ms(d50),
        ms(d99),
        ms(h50),
        ms(h99)
    );
}

async fn post(client: &reqwest::Client, base: &str, path: &str, body: serde_json::Value) {
    let reply = client.post(format!("{base}{path}")).bearer_auth(KEY).json(&body).send().await.unwrap();
    assert!(reply.status().is_success(), "{}", reply.text().await.unwrap());
}

async fn ingest(client: &reqwest::Client, base: &str, table: &str, file: &Path) -> serde_json::Value {
    let body = tokio::fs::read(file).await.unwrap();
    let reply = client
        .post(format!("{base}/v1/tenants/bench/ingest/{table}"))
        .bearer_auth(KEY)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = reply.status();
    let json: serde_json::Value = reply.json().await.unwrap();
    assert!(status.is_success(), "{json}");
    json
}

fn median(times: &mut [Duration]) -> Duration {
    percentile(times, 0.5)
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
