//! Soak: for several minutes (`CXHOST_SOAK_SECS`, default 180), three well-behaved tenants
//! ingest, query metrics, render dashboards, run pay and award runs and swap plugin versions
//! while a fourth runs the hostile plugins without pause. No well-behaved request may fail,
//! and the server's memory must stay flat once warm.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cxhost::guests::test_guests::{HOSTILE_METRIC, TAGGED_V1, TAGGED_V2};
use reqwest::StatusCode;
use serde_json::json;

use super::workload::{exclusive, ms, percentile, sample, sample_tenant};
use crate::util::{OPERATOR_KEY, Server, ServerProcess, guest};

type Latencies = Arc<std::sync::Mutex<BTreeMap<&'static str, Vec<Duration>>>>;

fn soak_duration() -> Duration {
    let secs = std::env::var("CXHOST_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(180);
    Duration::from_secs(secs)
}

/// One well-behaved tenant's client: a fixed rotation of requests, one at a time.
/// Uploads the two versions of `tagged` that a well-behaved client swaps between, the first
/// active; their hashes.
async fn two_versions(process: &ServerProcess, tenant: &str, key: &str) -> (String, String) {
    let s = &process.server;
    let v1 = s.upload(key, tenant, guest(TAGGED_V1)).await;
    assert_eq!(v1.status, StatusCode::CREATED, "{tenant}: uploading v1: {}\nserver log:\n{}", v1.body, process.log());
    let v2 = s.upload_with(key, tenant, guest(TAGGED_V2), "?activate=false").await;
    assert_eq!(v2.status, StatusCode::CREATED, "{tenant}: uploading v2: {}\nserver log:\n{}", v2.body, process.log());
    (v1.body["hash"].as_str().unwrap().to_string(), v2.body["hash"].as_str().unwrap().to_string())
}

async fn well_behaved(
    s: Server,
    (tenant, key, (v1, v2)): (String, String, (String, String)),
    until: Instant,
    latencies: Latencies,
    failures: Arc<std::sync::Mutex<Vec<String>>>,
) {
    let t = &tenant;
    let range = "from=2026-01-05&to=2026-02-02";
    let mut round = 0u64;
    while Instant::now() < until {
        round += 1;
        let requests: Vec<(&'static str, reqwest::RequestBuilder)> = vec![
            ("metric", s.client.get(format!("{}/v1/tenants/{t}/metrics/csat?{range}&group_by=agent", s.base))),
            ("metric", s.client.get(format!("{}/v1/tenants/{t}/metrics/fcr?{range}&group_by=week", s.base))),
            ("metric", s.client.get(format!("{}/v1/tenants/{t}/metrics/aht?{range}&group_by=team", s.base))),
            ("dashboard", s.client.get(format!("{}/v1/tenants/{t}/dashboards/cx_ex?{range}", s.base))),
            (
                "pay run",
                s.client.post(format!("{}/v1/tenants/{t}/pay/runs", s.base)).json(&json!({
                    "plugin": "standard_pay", "from": "2026-01-05", "to": "2026-02-02",
                    "params": {"per_contact_cents": 40 + round % 3}
                })),
            ),
            (
                "award run",
                s.client.post(format!("{}/v1/tenants/{t}/awards/runs", s.base)).json(&json!({
                    "plugin": "standard_game", "from": "2026-01-05", "to": "2026-02-02"
                })),
            ),
            (
                "swap",
                s.client
                    .post(format!("{}/v1/tenants/{t}/plugins/tagged/activate", s.base))
                    .json(&json!({"hash": if round.is_multiple_of(2) { &v1 } else { &v2 }})),
            ),
            ("metric", s.client.get(format!("{}/v1/tenants/{t}/metrics/tagged?{range}&group_by=agent", s.base))),
        ];
        for (kind, request) in requests {
            let started = Instant::now();
            let response = request.bearer_auth(&key).send().await;
            let elapsed = started.elapsed();
            match response {
                Ok(r) if r.status().is_success() => {
                    let _ = r.bytes().await;
                    latencies.lock().unwrap().entry(kind).or_default().push(elapsed);
                }
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    failures.lock().unwrap().push(format!("{t} {kind}: {status} {body}"));
                }
                Err(e) => failures.lock().unwrap().push(format!("{t} {kind}: {e}")),
            }
        }
    }
}

/// One well-behaved tenant's loader: re-sends its feedback batch (unchanged rows) and new
/// agents, one batch at a time.
async fn loader(
    s: Server,
    tenant: String,
    key: String,
    until: Instant,
    latencies: Latencies,
    failures: Arc<std::sync::Mutex<Vec<String>>>,
) {
    let feedback = std::fs::read(sample().join("customer_feedback.csv")).unwrap();
    let mut n = 0;
    while Instant::now() < until {
        n += 1;
        let agents = format!(
            "agent_id,name,employment_type,team,site,hired_at,skills,timezone\nsoak{n},Soak,crowd,north,home,2026-01-01,support,UTC\n"
        );
        for body in [feedback.clone(), agents.into_bytes()] {
            let table = if body.starts_with(b"agent_id") { "agents" } else { "customer_feedback" };
            let started = Instant::now();
            let reply = s.ingest(&key, &tenant, table, "", "text/csv", body).await;
            if reply.status == StatusCode::OK {
                latencies.lock().unwrap().entry("ingest").or_default().push(started.elapsed());
            } else {
                failures.lock().unwrap().push(format!("{tenant} ingest {table}: {} {}", reply.status, reply.body));
            }
        }
    }
}

/// The hostile tenant: the attacks of the hostile suite, over and over, four at a time.
async fn attacker(s: Server, key: String, until: Instant, attacks: Arc<AtomicU64>) {
    let sql = |text: &str| format!("mode=sql&sql={}", crate::util::urlencode(text));
    let modes = [
        "mode=loop".to_string(),
        "mode=grow".to_string(),
        "mode=recurse".to_string(),
        "mode=trap".to_string(),
        "mode=dup_groups".to_string(),
        "mode=huge_group".to_string(),
        "mode=log_flood&n=100000&size=500".to_string(),
        sql("SELECT repeat('x', 1 << 21) FROM range(1100)"),
        sql("SELECT length(list(range)) FROM range(400000000)"),
        sql("SELECT count(*) FROM range(1000000) a, range(1000000) b"),
        sql("SELECT path FROM duckdb_databases()"),
        "mode=wasi_file".to_string(),
    ];
    let mut i = 0usize;
    while Instant::now() < until {
        let query = &modes[i % modes.len()];
        i += 1;
        let path = format!("/v1/tenants/hostile/metrics/hostile_metric?from=2026-01-05&to=2026-02-02&{query}");
        let reply = s.get(&key, &path).await;
        assert!(!reply.status.is_success() || query.starts_with("mode=log"), "{query}: {}", reply.body);
        assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{query}: {}", reply.body);
        attacks.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn minutes_of_mixed_work_beside_a_hostile_tenant_fail_nothing_and_memory_stays_flat() {
    let _alone = exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let process = ServerProcess::start(dir.path(), &[]).await;
    let s = process.server.clone();
    let mut tenants = Vec::new();
    for tenant in ["soak1", "soak2", "soak3"] {
        let key = sample_tenant(&s, tenant).await;
        let versions = two_versions(&process, tenant, &key).await;
        tenants.push((tenant.to_string(), key, versions));
    }
    let hostile = sample_tenant(&s, "hostile").await;
    assert_eq!(s.upload(&hostile, "hostile", guest(HOSTILE_METRIC)).await.status, StatusCode::CREATED);
    let limits = json!({"deadline_ms": 2000});
    assert_eq!(s.put_json(OPERATOR_KEY, "/v1/tenants/hostile/limits", limits).await.status, StatusCode::OK);

    let duration = soak_duration();
    let until = Instant::now() + duration;
    let latencies: Latencies = Arc::default();
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let attacks = Arc::new(AtomicU64::new(0));
    let mut work = Vec::new();
    for (tenant, key, versions) in &tenants {
        work.push(tokio::spawn(well_behaved(
            s.clone(),
            (tenant.clone(), key.clone(), versions.clone()),
            until,
            latencies.clone(),
            failures.clone(),
        )));
        work.push(tokio::spawn(loader(
            s.clone(),
            tenant.clone(),
            key.clone(),
            until,
            latencies.clone(),
            failures.clone(),
        )));
    }
    for _ in 0..4 {
        work.push(tokio::spawn(attacker(s.clone(), hostile.clone(), until, attacks.clone())));
    }
    let mut rss = Vec::new();
    let started = Instant::now();
    while Instant::now() < until {
        rss.push((started.elapsed(), process.rss_bytes()));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    for task in work {
        task.await.unwrap();
    }

    let failures = failures.lock().unwrap().clone();
    let latencies = latencies.lock().unwrap().clone();
    let mut figures = String::new();
    let mut requests = 0;
    for (kind, samples) in &latencies {
        requests += samples.len();
        figures.push_str(&format!(
            "\n  {kind}: {} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            samples.len(),
            ms(percentile(samples, 0.5)),
            ms(percentile(samples, 0.99)),
            ms(percentile(samples, 1.0))
        ));
    }
    // Memory once warm: the first quarter of the run fills caches and pools.
    let warm: Vec<u64> = rss.iter().filter(|(t, _)| *t >= duration / 4).map(|(_, b)| *b).collect();
    let (early, late) = warm.split_at(warm.len() / 2);
    let (early_max, late_max) = (early.iter().max().copied().unwrap_or(0), late.iter().max().copied().unwrap_or(0));
    let peak = rss.iter().map(|(_, b)| *b).max().unwrap_or(0);
    eprintln!(
        "soak of {} s: {requests} well-behaved requests, {} failed; {} hostile calls; server memory peak {} MiB, \
         warm first half max {} MiB, second half max {} MiB{figures}",
        duration.as_secs(),
        failures.len(),
        attacks.load(Ordering::Relaxed),
        peak >> 20,
        early_max >> 20,
        late_max >> 20
    );
    assert!(failures.is_empty(), "well-behaved requests failed:\n{}", failures.join("\n"));
    assert!(requests > 100, "the soak did work: {requests} requests");
    assert!(
        late_max <= early_max + early_max / 5 + (64 << 20),
        "memory grew once warm: {} MiB then {} MiB",
        early_max >> 20,
        late_max >> 20
    );
}
