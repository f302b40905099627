//! What a plugin in Python or JavaScript costs against the same metric in Rust: the AHT
//! metric as the standard Rust plugin (`plugins/metrics/aht`), as `py_aht` (componentize-py)
//! and as `js_aht` (jco / componentize-js), the last two built here with their toolchains'
//! default settings. For each, on one server: upload to active (the upload, compiling
//! included, until a call answers from the new version), call latency over HTTP (p50, p99),
//! the instance's linear memory (its peak in a call) and the server's RSS growth from before
//! the upload to after the calls; each as a ratio to the Rust version.
//!
//! Run with `cargo bench --bench polyglot`; the toolchains come from
//! `scripts/polyglot-toolchains` (`CXHOST_COMPONENTIZE_PY`, `CXHOST_JCO`, or their places
//! under `~/.cache/cxhost-polyglot`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cxhost::generate::{SampleSpec, generate};
use cxhost::guests::test_guests;
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt;

mod common;

use common::{Bound, KEY};

/// Quick-run bounds (CI): each language's figure ÷ Rust's. Loose: they catch a path that got
/// several times dearer, not a few percent (figures measured in host/benches/README.md).
const QUICK_UPLOAD_TO_ACTIVE: f64 = 300.0;
const QUICK_P50: f64 = 8.0;
const QUICK_P99: f64 = 12.0;
const QUICK_LINEAR_MEMORY: f64 = 40.0;

fn main() {
    // The limiter reports each growth of a plugin's linear memory as a `debug` event; the
    // largest size a call grows to is its instance's peak (linear memory never shrinks).
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(MemoryPeak))
        .expect("the bench's subscriber is the first");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run());
}

/// The largest linear memory any plugin instance grew to since the last [`take_peak`].
static PEAK: AtomicU64 = AtomicU64::new(0);

fn take_peak() -> u64 {
    PEAK.swap(0, Ordering::Relaxed)
}

struct MemoryPeak;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for MemoryPeak {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "cxhost::runtime::limiter" {
            return;
        }
        struct Desired(Option<u64>);
        impl tracing::field::Visit for Desired {
            fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                if field.name() == "desired_bytes" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut desired = Desired(None);
        event.record(&mut desired);
        if let Some(bytes) = desired.0 {
            PEAK.fetch_max(bytes, Ordering::Relaxed);
        }
    }
}

/// A toolchain's executable: `$var` when set, else where `scripts/polyglot-toolchains` puts it.
fn toolchain(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var_os("HOME").expect("HOME is set")).join(".cache/cxhost-polyglot").join(default)
    });
    assert!(
        path.is_file(),
        "{} not found ({var}): install it with `eval \"$(scripts/polyglot-toolchains)\"`",
        path.display()
    );
    path
}

fn build(command: &mut Command, out: &Path) -> Vec<u8> {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} did not start: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(out).unwrap()
}

/// The Python and JavaScript AHT, built with default settings under the cargo target directory.
fn build_polyglot() -> (Vec<u8>, Vec<u8>) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("polyglot-bench");
    std::fs::create_dir_all(&out).unwrap();
    let py = out.join("py_aht.wasm");
    let python = build(
        Command::new(toolchain("CXHOST_COMPONENTIZE_PY", "venv/bin/componentize-py"))
            .arg("-d")
            .arg(repo.join("wit"))
            .args(["-w", "metric", "componentize", "-p"])
            .arg(repo.join("plugins/polyglot/python-aht"))
            .arg("app")
            .arg("-o")
            .arg(&py),
        &py,
    );
    let js = out.join("js_aht.wasm");
    let javascript = build(
        Command::new(toolchain("CXHOST_JCO", "node/node_modules/.bin/jco"))
            .arg("componentize")
            .arg(repo.join("plugins/polyglot/js-aht/aht.js"))
            .arg("--wit")
            .arg(repo.join("wit"))
            .args(["--world-name", "metric", "-o"])
            .arg(&js),
        &js,
    );
    (python, javascript)
}

/// The standard Rust AHT with a custom section of its own, so that its upload is a new
/// version compiled fresh, as the other two are (the server compiled the standard one at start).
fn rust_aht() -> Vec<u8> {
    use wasm_encoder::ComponentSection;
    let path = Path::new(cxhost::guests::GUESTS_DIR).join(format!("{}.wasm", test_guests::METRIC_AHT));
    let mut bytes = std::fs::read(path).unwrap();
    wasm_encoder::CustomSection { name: "cxhost-bench".into(), data: b"polyglot".into() }
        .append_to_component(&mut bytes);
    bytes
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib << 10)
}

struct Figures {
    size: usize,
    upload_to_active: Duration,
    p50: f64,
    p99: f64,
    linear_memory: u64,
    rss_growth: u64,
}

async fn send(request: reqwest::RequestBuilder) -> Value {
    let reply = request.bearer_auth(KEY).send().await.unwrap();
    let status = reply.status();
    let body: Value = reply.json().await.unwrap_or_default();
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn measure(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    bytes: Vec<u8>,
    calls: usize,
    query: &str,
) -> Figures {
    let size = bytes.len();
    let rss_before = rss_bytes();
    let url = format!("{base}/v1/tenants/bench/metrics/{name}?{query}");
    let t = Instant::now();
    let uploaded = send(client.post(format!("{base}/v1/tenants/bench/plugins?activate=true")).body(bytes)).await;
    let first = send(client.get(&url)).await;
    let upload_to_active = t.elapsed();
    assert_eq!(first["plugin"]["hash"], uploaded["hash"], "{name}: the first call after the upload");
    for _ in 0..5 {
        send(client.get(&url)).await;
    }
    take_peak();
    let mut latencies = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let reply = send(client.get(&url)).await;
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(reply["rows"], first["rows"], "{name}: every call gives the same figures");
    }
    let linear_memory = take_peak();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Figures {
        size,
        upload_to_active,
        p50: at(0.5),
        p99: at(0.99),
        linear_memory,
        rss_growth: rss_bytes().saturating_sub(rss_before),
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

async fn run() {
    let quick = common::quick();
    let calls = if quick { 50 } else { 500 };
    let mut ratios = common::Ratios::default();
    let t = Instant::now();
    let (python, javascript) = build_polyglot();
    println!(
        "built py_aht ({:.1} MiB) and js_aht ({:.1} MiB) with default settings in {:.1} s",
        mib(python.len() as u64),
        mib(javascript.len() as u64),
        t.elapsed().as_secs_f64()
    );

    let common::BenchServer { state, base, work } = common::start().await;
    let client = reqwest::Client::new();
    let mut spec = SampleSpec::demo();
    spec.days = 30;
    let sample = work.path().join("sample");
    generate(&spec, &sample).unwrap();
    send(client.post(format!("{base}/v1/tenants")).json(&json!({"id": "bench", "name": "bench"}))).await;
    for table in ["agents", "interactions"] {
        let body = std::fs::read(sample.join(format!("{table}.csv"))).unwrap();
        let url = format!("{base}/v1/tenants/bench/ingest/{table}");
        send(client.post(url).header("content-type", "text/csv").body(body)).await;
    }
    let from = spec.start.to_string();
    let to = (spec.start + chrono::Days::new(7)).to_string();
    let query = format!("from={from}&to={to}&group_by=agent");
    println!(
        "data: {} agents over {} days; each call: AHT by agent over 7 days; {calls} calls each",
        spec.agents, spec.days
    );

    let rust = measure(&client, &base, "aht", rust_aht(), calls, &query).await;
    let py = measure(&client, &base, "py_aht", python, calls, &query).await;
    let js = measure(&client, &base, "js_aht", javascript, calls, &query).await;
    let rust_rows = send(client.get(format!("{base}/v1/tenants/bench/metrics/aht?{query}"))).await;
    for name in ["py_aht", "js_aht"] {
        let rows = send(client.get(format!("{base}/v1/tenants/bench/metrics/{name}?{query}"))).await;
        assert_eq!(rows["rows"], rust_rows["rows"], "{name} gives the Rust aht's figures");
    }

    for (language, f) in [("rust", &rust), ("python", &py), ("javascript", &js)] {
        println!(
            "{language:<10} component {:>6.1} MiB: upload to active {:>8.1} ms ({:>6.1}x rust); call p50 {:>6.2} ms \
             ({:>5.1}x), p99 {:>6.2} ms ({:>5.1}x); linear memory {:>6.1} MiB ({:>5.1}x); server RSS +{:>6.1} MiB",
            mib(f.size as u64),
            f.upload_to_active.as_secs_f64() * 1000.0,
            f.upload_to_active.as_secs_f64() / rust.upload_to_active.as_secs_f64(),
            f.p50,
            f.p50 / rust.p50,
            f.p99,
            f.p99 / rust.p99,
            mib(f.linear_memory),
            f.linear_memory as f64 / rust.linear_memory.max(1) as f64,
            mib(f.rss_growth),
        );
    }
    assert!(rust.linear_memory > 0, "no linear memory growth was seen: the limiter's `plugin memory grows` event");
    for (language, f) in [("python", &py), ("javascript", &js)] {
        let upload = f.upload_to_active.as_secs_f64() / rust.upload_to_active.as_secs_f64();
        ratios.check(&format!("{language} upload to active ÷ rust"), upload, Bound::AtMost(QUICK_UPLOAD_TO_ACTIVE));
        ratios.check(&format!("{language} call p50 ÷ rust"), f.p50 / rust.p50, Bound::AtMost(QUICK_P50));
        ratios.check(&format!("{language} call p99 ÷ rust"), f.p99 / rust.p99, Bound::AtMost(QUICK_P99));
        let memory = f.linear_memory as f64 / rust.linear_memory as f64;
        ratios.check(&format!("{language} linear memory ÷ rust"), memory, Bound::AtMost(QUICK_LINEAR_MEMORY));
    }
    let _ = state;
    ratios.finish();
}
