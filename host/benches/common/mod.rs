//! What the benchmarks share: a real server on a loopback port over a temporary data directory.

use std::sync::Arc;

use cxhost::Services;

pub const KEY: &str = "cxk_bench_operator_key_00000000000000000000000";

/// A running server: its state, base URL and the directory holding its data.
pub struct BenchServer {
    pub state: Arc<Services>,
    pub base: String,
    pub work: tempfile::TempDir,
}

/// Opens a fresh data directory and serves it on a free port, with [`KEY`] as operator key.
pub async fn start() -> BenchServer {
    let work = tempfile::tempdir().unwrap();
    let mut config = cxhost::Config::new(work.path().join("data"));
    config.operator_key = Some(KEY.to_string());
    // The benchmarks measure one tenant against plain DuckDB, so that tenant gets the whole
    // machine, as plain DuckDB does: its memory, every core for its queries and as many plugin
    // requests at once as there are cores (the server's defaults give a tenant half, for
    // fairness between tenants; tests/load measures that).
    config.default_limits.db_memory_bytes = cxhost::config::physical_memory_bytes() * 4 / 5;
    config.default_limits.db_threads = cxhost::config::cores();
    config.default_limits.max_concurrent_calls = cxhost::config::cores();
    config.memory_budget_bytes = config.default_limits.db_memory_bytes;
    let (state, _) = tokio::task::spawn_blocking(move || Services::open(config)).await.unwrap().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = cxhost::app(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    BenchServer { state, base, work }
}
