//! Scale on one node. Three phases, each on a real server over a temporary data directory:
//!
//! - **tenants**: 200 small tenants on one server with the server's default limits, a tenth of
//!   them asking at once, each client moving on to another tenant after every request; requests,
//!   latency, peak memory, open files and how often tenant databases were closed and reopened;
//! - **year**: a year of a 20,000-agent center (about 35 M rows, generated then loaded) in one
//!   tenant; every standard metric by agent (queue or team where it is not per agent) and by
//!   week over the year, the CX–EX dashboard over the year and over its last four weeks, and a
//!   pay run of its last month — each timed over HTTP, with the server's peak memory (resident
//!   set) while they run;
//! - **100m**: the same tenant grown to about 100 M rows (the contacts copied under new ids and
//!   new customers, in SQL: generated at run time, never stored) and the same questions again.
//!
//! The figures are absolute (there is no plain-DuckDB baseline for "how much fits"), so the
//! quick run holds nothing to a ratio: it checks that every request is answered without a
//! server error. `CXHOST_BENCH_SCALE` multiplies the tenants of the first phase and the agents
//! and rows of the other two; `CXHOST_BENCH_PHASES=tenants,year,100m` picks phases.

use std::time::{Duration, Instant};

use cxhost::generate::{SampleSpec, generate};
use serde_json::{Value, json};

mod common;

use common::KEY;

const FROM: &str = "2026-01-05";
const TO: &str = "2027-01-04";
/// Contacts per agent and working day: with 20,000 agents over 364 days, about 27 M contacts
/// and 35 M rows in all.
const CONTACTS_PER_AGENT_DAY: f64 = 4.8;
/// Rows of the large variant.
const LARGE_ROWS: u64 = 100_000_000;
/// Every standard metric with its finest grouping — agent, or queue for the queue-level
/// metrics and team for the survey ones (withheld per agent by the privacy floor) — and the
/// parameters the ones that need them take. Each is asked by that grouping and by week.
const METRICS: &[(&str, &str, &str)] = &[
    ("abandon_rate", "queue", ""),
    ("aht", "agent", ""),
    ("asa", "agent", ""),
    ("attendance", "agent", ""),
    ("ces", "agent", ""),
    ("containment", "queue", ""),
    ("conversion", "agent", ""),
    ("csat", "agent", ""),
    ("enps", "team", ""),
    ("fcr", "agent", ""),
    ("nps", "agent", ""),
    ("occupancy", "agent", ""),
    ("qa_score", "agent", ""),
    ("revenue_per_hour", "agent", ""),
    ("schedule_adherence", "agent", ""),
    ("sentiment", "agent", ""),
    ("service_level", "queue", ""),
    ("survey_item", "team", "&item=engagement"),
    ("transfer_rate", "agent", ""),
];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let scale = common::scale(0.01);
    let phases = std::env::var("CXHOST_BENCH_PHASES").unwrap_or_else(|_| "tenants,year,100m".into());
    let wants = |phase: &str| phases.split(',').any(|p| p.trim() == phase);
    let mut failures = Vec::new();
    // The small tenants first: memory the large tenant's database held stays with the process.
    if wants("tenants") {
        many_small_tenants(scale, &mut failures).await;
    }
    if wants("year") || wants("100m") {
        one_large_tenant(scale, wants("year"), wants("100m"), &mut failures).await;
    }
    if !failures.is_empty() {
        eprintln!("failed: {}", failures.join("; "));
        std::process::exit(1);
    }
}

/// The year phase and the 100 M variant, on one tenant given the whole machine.
async fn one_large_tenant(scale: f64, year: bool, large: bool, failures: &mut Vec<String>) {
    let common::BenchServer { state, base, work: _work } = common::start().await;
    state.system.create_tenant("big", "big", "bench").unwrap();
    // A tenant this size needs more time per call than the default five seconds: an operator
    // raises its deadline, as here.
    let mut limits = state.config.default_limits;
    limits.deadline_ms = 600_000;
    state.system.set_limits("big", &limits, "bench").unwrap();
    let db = state.tenants.get("big").unwrap();
    let spec = SampleSpec {
        seed: 3,
        agents: ((20_000.0 * scale).round() as u32).max(50),
        days: 364,
        start: FROM.parse().unwrap(),
        contacts_per_agent_day: CONTACTS_PER_AGENT_DAY,
    };
    let sample = db.staging_dir().join("sample");
    let t = Instant::now();
    let summary = generate(&spec, &sample).unwrap();
    let generated: u64 = summary.files.iter().map(|f| f.2).sum();
    println!(
        "year: {} agents, 364 days, {generated} rows generated in {:.0} s",
        spec.agents,
        t.elapsed().as_secs_f64()
    );
    reset_peak_memory();
    let t = Instant::now();
    let loaded = {
        let (db, sample) = (db.clone(), sample.clone());
        tokio::task::spawn_blocking(move || cxhost::demo::load_sample(&db, &sample)).await.unwrap().unwrap()
    };
    let load_secs = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&sample);
    println!(
        "year: loaded {generated} rows in {load_secs:.0} s ({:.0} rows/s), peak memory {} MiB: {loaded:?}",
        generated as f64 / load_secs,
        peak_memory_mib()
    );
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().unwrap();
    if year {
        questions(&client, &base, "year", failures).await;
        report_database_size(&state, "year");
    }
    if large {
        let t = Instant::now();
        let total = {
            let db = db.clone();
            let target = (LARGE_ROWS as f64 * scale) as u64;
            tokio::task::spawn_blocking(move || grow_to(&db, target, generated)).await.unwrap()
        };
        println!("100m: grown to {total} rows (100 M × the scale) in {:.0} s", t.elapsed().as_secs_f64());
        questions(&client, &base, "100m", failures).await;
        report_database_size(&state, "100m");
    }
}

/// Every standard metric by agent and by week over the year, the dashboard and a pay run, each
/// timed once over HTTP, with the peak memory across them.
async fn questions(client: &reqwest::Client, base: &str, phase: &str, failures: &mut Vec<String>) {
    reset_peak_memory();
    let tenant = format!("{base}/v1/tenants/big");
    let mut total = Duration::ZERO;
    for (name, finest, params) in METRICS {
        let mut line = format!("{phase}: {name:<18}");
        for group_by in [*finest, "week"] {
            let url = format!("{tenant}/metrics/{name}?from={FROM}&to={TO}&group_by={group_by}{params}");
            let (elapsed, answer) = timed_get(client, &url, failures).await;
            total += elapsed;
            let rows = answer.as_ref().and_then(|a| a["rows"].as_array()).map_or(0, Vec::len);
            line.push_str(&format!(" by {group_by:<5} {:>8.0} ms ({rows:>6} rows)", elapsed.as_secs_f64() * 1000.0));
        }
        println!("{line}");
    }
    println!(
        "{phase}: all {} metrics by their finest grouping and by week: {:.1} s",
        METRICS.len(),
        total.as_secs_f64()
    );
    for (what, from) in [("the year", FROM), ("its last four weeks", "2026-12-07")] {
        let url = format!("{tenant}/dashboards/cx_ex?from={from}&to={TO}");
        let (elapsed, _) = timed_get(client, &url, failures).await;
        println!("{phase}: dashboard cx_ex over {what}: {:.0} ms", elapsed.as_secs_f64() * 1000.0);
    }
    let t = Instant::now();
    let params = json!({"per_minute_cents": 25, "per_contact_cents": 40, "peak_windows": "17:00-21:00",
        "peak_multiplier": 1.25, "commission_percent": 5, "min_csat": 0.7, "min_qa": 70});
    let body = json!({"plugin": "standard_pay", "from": "2026-12-01", "to": "2027-01-01", "params": params});
    let reply = client.post(format!("{tenant}/pay/runs")).bearer_auth(KEY).json(&body).send().await.unwrap();
    let status = reply.status();
    let report: Value = reply.json().await.unwrap_or(Value::Null);
    if !status.is_success() || report["agents"].as_u64() == Some(0) {
        failures.push(format!("{phase} pay run: {status} {report}"));
    }
    println!(
        "{phase}: pay run of December, {} agents: {:.2} s",
        report["agents"].as_u64().unwrap_or(0),
        t.elapsed().as_secs_f64()
    );
    println!("{phase}: peak memory while answering: {} MiB", peak_memory_mib());
}

/// GET with the bench key: the time and, when it succeeded, the JSON answer. A server error
/// is a failure; a refusal (4xx, e.g. a figure below the privacy floor) is shown.
async fn timed_get(client: &reqwest::Client, url: &str, failures: &mut Vec<String>) -> (Duration, Option<Value>) {
    let t = Instant::now();
    let reply = client.get(url).bearer_auth(KEY).send().await.unwrap();
    let status = reply.status();
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    let elapsed = t.elapsed();
    if status.is_success() {
        return (elapsed, Some(body));
    }
    println!("  {url}: {status} {}", body["code"]);
    if status.is_server_error() {
        failures.push(format!("{url}: {status} {body}"));
    }
    (elapsed, None)
}

/// Copies the contacts under new ids and new customers, as many times as brings the tenant
/// nearest to `target` rows; returns the rows it holds.
fn grow_to(db: &cxhost::store::TenantDb, target: u64, rows: u64) -> u64 {
    let conn = db.connection().unwrap();
    let contacts: u64 = conn.query_row("SELECT count(*) FROM interactions", [], |r| r.get(0)).unwrap();
    let copies = (target.saturating_sub(rows) as f64 / contacts.max(1) as f64).round() as u64;
    conn.execute_batch(&format!(
        "INSERT INTO interactions SELECT i.* REPLACE (i.interaction_id || '-' || r.copy AS interaction_id,
             i.customer_id || '-' || r.copy AS customer_id)
         FROM interactions i, range(1, {}) r(copy)",
        copies + 1
    ))
    .unwrap();
    rows + copies * contacts
}

fn report_database_size(state: &cxhost::Services, phase: &str) {
    let dir = state.config.tenants_dir().join("big");
    let bytes: u64 = std::fs::read_dir(&dir)
        .map(|entries| {
            entries.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
        })
        .unwrap_or(0);
    println!("{phase}: tenant database files {} MiB", bytes >> 20);
}

/// 200 small tenants under the server's default limits, a tenth of them asking at once.
async fn many_small_tenants(scale: f64, failures: &mut Vec<String>) {
    let tenants = ((200.0 * scale.max(0.1)).round() as usize).max(10);
    let active = (tenants / 10).max(2);
    let seconds = if common::quick() { 6 } else { 90 };
    let common::BenchServer { state, base, work } = common::start_with(|_| {}).await;
    let sample = work.path().join("tiny");
    let spec = SampleSpec::tiny();
    let summary = generate(&spec, &sample).unwrap();
    let rows: u64 = summary.files.iter().map(|f| f.2).sum();
    let t = Instant::now();
    for n in 0..tenants {
        let id = format!("t{n:03}");
        state.system.create_tenant(&id, &id, "bench").unwrap();
        let db = state.tenants.get(&id).unwrap();
        let staged = db.staging_dir().join("sample");
        std::fs::create_dir_all(&staged).unwrap();
        for file in std::fs::read_dir(&sample).unwrap().flatten() {
            std::fs::copy(file.path(), staged.join(file.file_name())).unwrap();
        }
        tokio::task::spawn_blocking(move || cxhost::demo::load_sample(&db, &staged)).await.unwrap().unwrap();
    }
    println!(
        "tenants: {tenants} tenants of {} agents and {rows} rows each loaded in {:.0} s",
        spec.agents,
        t.elapsed().as_secs_f64()
    );

    // Two ways of asking: every answer followed by a question to another tenant (more tenants
    // asked than the memory budget keeps open: the worst case), and sessions of 20 questions to
    // one tenant before moving on (a tenth of the tenants busy at a time).
    for (pattern, session) in [("another tenant every request", 1), ("sessions of 20 requests", 20)] {
        ask_tenants(&state, &base, tenants, active, session, seconds / 3, pattern, failures).await;
    }
    // Small tenants need small databases: with a memory limit of 48 MiB each (an operator's
    // `PUT …/limits`), all of them stay open within the same budget.
    for n in 0..tenants {
        let id = format!("t{n:03}");
        let mut limits = state.config.default_limits;
        limits.db_memory_bytes = 48 << 20;
        state.system.set_limits(&id, &limits, "bench").unwrap();
        state.tenants.set_limits(&id, limits.database());
    }
    let pattern = "another tenant every request, 48 MiB each";
    ask_tenants(&state, &base, tenants, active, 1, seconds / 3, pattern, failures).await;
}

/// `active` clients asking for `seconds`, each `session` questions to one tenant before moving
/// on to another; prints requests, latency, peak memory, open files and database opens.
#[allow(clippy::too_many_arguments)]
async fn ask_tenants(
    state: &std::sync::Arc<cxhost::Services>,
    base: &str,
    tenants: usize,
    active: usize,
    session: usize,
    seconds: u64,
    pattern: &str,
    failures: &mut Vec<String>,
) {
    reset_peak_memory();
    let most_files = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(open_files()));
    let sampler = tokio::spawn({
        let most_files = most_files.clone();
        async move {
            loop {
                most_files.fetch_max(open_files(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });
    let before = state.tenants.figures();
    let client = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(seconds);
    let questions = ["metrics/csat?group_by=agent", "metrics/aht?group_by=team", "metrics/fcr?group_by=total"];
    let range = "from=2026-01-05&to=2026-01-19";
    let mut clients = Vec::new();
    for c in 0..active {
        let (client, base) = (client.clone(), base.to_string());
        clients.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), Vec::new());
            let (mut tenant_n, mut asked) = (c, 0);
            while Instant::now() < until {
                let tenant = format!("t{:03}", tenant_n % tenants);
                let question = questions[asked % questions.len()];
                let t = Instant::now();
                let reply = client
                    .get(format!("{base}/v1/tenants/{tenant}/{question}&{range}"))
                    .bearer_auth(KEY)
                    .send()
                    .await
                    .unwrap();
                if !reply.status().is_success() {
                    errors.push(format!("{tenant} {question}: {} {}", reply.status(), reply.text().await.unwrap()));
                } else {
                    let _ = reply.bytes().await;
                }
                latencies.push(t.elapsed());
                asked += 1;
                if asked % session == 0 {
                    tenant_n += active;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    for client in clients {
        let (mine, errors) = client.await.unwrap();
        latencies.extend(mine);
        failures.extend(errors);
    }
    sampler.abort();
    let after = state.tenants.figures();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "tenants, {pattern}: {active} of {tenants} asking at once for {seconds} s: {} requests ({:.0}/s), \
         p50 {:.1} ms p99 {:.1} ms",
        latencies.len(),
        latencies.len() as f64 / seconds as f64,
        at(0.5),
        at(0.99)
    );
    println!(
        "tenants, {pattern}: peak memory {} MiB, most open files {}, tenant databases open {} (their limits \
         {} MiB of a budget of {} MiB), opened {} and closed {} while asking",
        peak_memory_mib(),
        most_files.load(std::sync::atomic::Ordering::Relaxed),
        after.open,
        after.reserved_bytes >> 20,
        after.budget_bytes >> 20,
        after.opened - before.opened,
        after.closed - before.closed
    );
}

/// Resets the peak resident set of this process (the server runs in it) to its current size.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident set of this process since the last reset, in MiB.
fn peak_memory_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib >> 10)
}

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}
