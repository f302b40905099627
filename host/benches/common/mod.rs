//! What the benchmarks share: a real server on a loopback port over a temporary data directory.
// Each benchmark uses a part of what is here.
#![allow(dead_code)]

use std::sync::Arc;

use cxhost::Services;

pub mod sample;

pub const KEY: &str = "cxk_bench_operator_key_00000000000000000000000";

/// A running server: its state, base URL and the directory holding its data.
pub struct BenchServer {
    pub state: Arc<Services>,
    pub base: String,
    pub work: tempfile::TempDir,
}

/// Opens a fresh data directory and serves it on a free port, with [`KEY`] as operator key.
pub async fn start() -> BenchServer {
    start_with(|config| {
        // The benchmarks measure one tenant against plain DuckDB, so that tenant gets the whole
        // machine, as plain DuckDB does: its memory, every core for its queries and as many
        // plugin requests at once as there are cores (the server's defaults give a tenant half,
        // for fairness between tenants; tests/load measures that).
        config.default_limits.db_memory_bytes = cxhost::config::physical_memory_bytes() * 4 / 5;
        config.default_limits.db_threads = cxhost::config::cores();
        config.default_limits.max_concurrent_calls = cxhost::config::cores();
        config.memory_budget_bytes = config.default_limits.db_memory_bytes;
    })
    .await
}

/// [`start`] with the configuration as `adjust` leaves it (the server's defaults otherwise).
pub async fn start_with(adjust: impl FnOnce(&mut cxhost::Config)) -> BenchServer {
    let work = tempfile::tempdir().unwrap();
    let mut config = cxhost::Config::new(work.path().join("data"));
    config.operator_key = Some(KEY.to_string());
    adjust(&mut config);
    let (state, _) = tokio::task::spawn_blocking(move || Services::open(config)).await.unwrap().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = cxhost::app(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    BenchServer { state, base, work }
}

/// Whether this is the quick run CI makes (`CXHOST_BENCH_QUICK=1`): small data, short phases,
/// and every ratio held to its regression bound.
pub fn quick() -> bool {
    std::env::var_os("CXHOST_BENCH_QUICK").is_some_and(|v| v != "0")
}

/// The data scale: `CXHOST_BENCH_SCALE`, else `quick_scale` in a quick run and 1 otherwise.
pub fn scale(quick_scale: f64) -> f64 {
    let default = if quick() { quick_scale } else { 1.0 };
    std::env::var("CXHOST_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// Which way a ratio may not cross its bound.
#[derive(Clone, Copy)]
pub enum Bound {
    /// Lower is better (server ÷ plain DuckDB).
    AtMost(f64),
    /// Higher is better (server throughput ÷ plain DuckDB's).
    AtLeast(f64),
}

/// The ratios a benchmark measured and the bounds a quick run holds them to.
#[derive(Default)]
pub struct Ratios {
    regressed: Vec<String>,
}

impl Ratios {
    /// Records `ratio` of `what`; in a quick run, one past `quick_bound` is a regression.
    pub fn check(&mut self, what: &str, ratio: f64, quick_bound: Bound) {
        if !quick() {
            return;
        }
        let (ok, shown) = match quick_bound {
            Bound::AtMost(bound) => (ratio <= bound, format!("<= {bound}")),
            Bound::AtLeast(bound) => (ratio >= bound, format!(">= {bound}")),
        };
        let verdict = if ok { "within" } else { "REGRESSED past" };
        println!("quick bound: {what} ratio {ratio:.2} {verdict} its bound {shown}");
        if !ok {
            self.regressed.push(format!("{what}: {ratio:.2}, bound {shown}"));
        }
    }

    /// Ends the benchmark: exits with an error naming every regression, if any.
    pub fn finish(self) {
        if !self.regressed.is_empty() {
            eprintln!("regressed: {}", self.regressed.join("; "));
            std::process::exit(1);
        }
    }
}
