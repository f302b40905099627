//! Deployment benchmarks, each against a baseline measured in the same run:
//! - a steady load of metric queries (open loop, fixed rate) while the active version is
//!   swapped every few milliseconds, against the same load without swaps: failed requests
//!   and the p99 ratio;
//! - upload-to-active time of a typical plugin (compiled fresh, then from the cache), against
//!   one metric call.
//!
//! Run with `cargo bench --bench deploy`. `CXHOST_BENCH_SECONDS` sets each load phase (default 10).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cxhost::generate::{SampleSpec, generate};
use cxhost::guests::test_guests;
use serde_json::json;

mod common;

use common::{Bound, KEY};

/// Bound of a quick run (CI, a few seconds of load): a p99 ratio past it is a regression.
const QUICK_SWAP_P99: f64 = 3.0;
const RATE_PER_SECOND: u64 = 200;
const SWAP_EVERY_MS: u64 = 100;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run());
}

struct Bench {
    client: reqwest::Client,
    base: String,
}

impl Bench {
    async fn send(&self, request: reqwest::RequestBuilder) -> serde_json::Value {
        let reply = request.bearer_auth(KEY).send().await.unwrap();
        let status = reply.status();
        let body: serde_json::Value = reply.json().await.unwrap_or_default();
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    async fn upload(&self, bytes: Vec<u8>, activate: bool) -> String {
        let url = format!("{}/v1/tenants/bench/plugins?activate={activate}", self.base);
        self.send(self.client.post(url).body(bytes)).await["hash"].as_str().unwrap().to_string()
    }

    async fn activate(&self, name: &str, hash: &str) {
        let url = format!("{}/v1/tenants/bench/plugins/{name}/activate", self.base);
        self.send(self.client.post(url).json(&json!({ "hash": hash }))).await;
    }
}

async fn run() {
    let default_seconds = if common::quick() { 3 } else { 10 };
    let seconds: u64 =
        std::env::var("CXHOST_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(default_seconds);
    let mut ratios = common::Ratios::default();
    let common::BenchServer { state, base, work } = common::start().await;
    let bench = Arc::new(Bench { client: reqwest::Client::new(), base: base.clone() });

    let mut spec = SampleSpec::demo();
    spec.days = 30;
    let sample = work.path().join("sample");
    generate(&spec, &sample).unwrap();
    bench.send(bench.client.post(format!("{base}/v1/tenants")).json(&json!({"id": "bench", "name": "bench"}))).await;
    for table in ["agents", "interactions"] {
        let body = std::fs::read(sample.join(format!("{table}.csv"))).unwrap();
        let url = format!("{base}/v1/tenants/bench/ingest/{table}");
        bench.send(bench.client.post(url).header("content-type", "text/csv").body(body)).await;
    }

    let v1 = bench.upload(guest(test_guests::TAGGED_V1), true).await;
    let v2 = bench.upload(guest(test_guests::TAGGED_V2), false).await;
    let from = spec.start.to_string();
    let to = (spec.start + chrono::Days::new(7)).to_string();
    let url = Arc::new(format!("{base}/v1/tenants/bench/metrics/tagged?from={from}&to={to}&group_by=agent"));

    let quiet = load(&bench, &url, seconds, None).await;
    let swaps = Arc::new(AtomicU64::new(0));
    let swapping = load(&bench, &url, seconds, Some((v1.clone(), v2.clone(), swaps.clone()))).await;
    println!(
        "steady load {RATE_PER_SECOND}/s for {seconds} s: without swaps p50 {:.2} ms p99 {:.2} ms, {} failed of {}; \
         with {} swaps p50 {:.2} ms p99 {:.2} ms, {} failed of {}: p99 ratio {:.2} (target <= 1.2, zero failed)",
        quiet.p50,
        quiet.p99,
        quiet.failed,
        quiet.sent,
        swaps.load(Ordering::Relaxed),
        swapping.p50,
        swapping.p99,
        swapping.failed,
        swapping.sent,
        swapping.p99 / quiet.p99
    );
    ratios.check("p99 with swaps ÷ without", swapping.p99 / quiet.p99, Bound::AtMost(QUICK_SWAP_P99));
    let failed = (quiet.failed + swapping.failed) as f64;
    ratios.check("failed requests", failed, Bound::AtMost(0.0));

    let custom = guest(test_guests::CUSTOM_AHT);
    let aht_url = format!("{base}/v1/tenants/bench/metrics/aht?from={from}&to={to}");
    let t = Instant::now();
    bench.send(bench.client.get(&aht_url)).await;
    let one_call = t.elapsed();
    let t = Instant::now();
    let hash = bench.upload(custom.clone(), true).await;
    let reply = bench.send(bench.client.get(&aht_url)).await;
    let fresh = t.elapsed();
    assert_eq!(reply["plugin"]["hash"], hash.as_str());
    // The same component again, now from the compiled cache: roll back, re-activate.
    let url = format!("{base}/v1/tenants/bench/plugins/aht/rollback");
    bench.send(bench.client.post(url).json(&json!({}))).await;
    let t = Instant::now();
    bench.activate("aht", &hash).await;
    let reply = bench.send(bench.client.get(&aht_url)).await;
    let cached = t.elapsed();
    assert_eq!(reply["plugin"]["hash"], hash.as_str());
    println!(
        "upload-to-active of custom_aht ({} KiB): compiled fresh {:.1} ms, stored version re-activated {:.1} ms; one aht call {:.1} ms",
        custom.len() >> 10,
        ms(fresh),
        ms(cached),
        ms(one_call)
    );
    let _ = state;
}

struct LoadResult {
    sent: u64,
    failed: u64,
    p50: f64,
    p99: f64,
}

/// Sends requests at a fixed rate (open loop) for `seconds`; with `swap`, activates the two
/// versions in turn every `SWAP_EVERY_MS` meanwhile.
async fn load(
    bench: &Arc<Bench>,
    url: &Arc<String>,
    seconds: u64,
    swap: Option<(String, String, Arc<AtomicU64>)>,
) -> LoadResult {
    let done = Arc::new(AtomicBool::new(false));
    let swapper = swap.map(|(a, b, count)| {
        let (bench, done) = (bench.clone(), done.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while !done.load(Ordering::Relaxed) {
                bench.activate("tagged", if i.is_multiple_of(2) { &b } else { &a }).await;
                count.fetch_add(1, Ordering::Relaxed);
                i += 1;
                tokio::time::sleep(Duration::from_millis(SWAP_EVERY_MS)).await;
            }
            if !i.is_multiple_of(2) {
                bench.activate("tagged", &a).await;
            }
        })
    });
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE_PER_SECOND));
    let mut calls = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        ticker.tick().await;
        let (bench, url) = (bench.clone(), url.clone());
        calls.push(tokio::spawn(async move {
            let t = Instant::now();
            let ok = match bench.client.get(url.as_str()).bearer_auth(KEY).send().await {
                Ok(reply) => reply.status().is_success() && reply.bytes().await.is_ok(),
                Err(_) => false,
            };
            (ok, t.elapsed())
        }));
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    for call in calls {
        let (ok, elapsed) = call.await.unwrap();
        if !ok {
            failed += 1;
        }
        latencies.push(ms(elapsed));
    }
    done.store(true, Ordering::Relaxed);
    if let Some(swapper) = swapper {
        swapper.await.unwrap();
    }
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    LoadResult { sent: latencies.len() as u64, failed, p50: at(0.5), p99: at(0.99) }
}

fn guest(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(cxhost::guests::GUESTS_DIR).join(format!("{name}.wasm"))).unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
