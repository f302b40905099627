//! What the load tests share: one test at a time, tenants loaded with generated sample data,
//! and latency figures.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::StatusCode;

use crate::util::Server;

/// Held by each load test for its whole run, so measurements do not overlap.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// Sample data written once: 20 agents over four weeks from 2026-01-05.
pub fn sample() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let spec = cxhost::generate::SampleSpec {
            agents: 20,
            days: 28,
            contacts_per_agent_day: 25.0,
            ..cxhost::generate::SampleSpec::demo()
        };
        cxhost::generate::generate(&spec, &dir).expect("sample data generated");
        dir
    })
}

/// Creates `tenant` with the sample data and returns its tenant-admin key.
pub async fn sample_tenant(s: &Server, tenant: &str) -> String {
    let key = s.tenant(tenant).await;
    s.load_fixture_from(&key, tenant, sample()).await;
    key
}

/// The latency below which `share` of `samples` fall.
pub fn percentile(samples: &[Duration], share: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A GET that must succeed; returns how long it took.
pub async fn timed_ok(s: &Server, key: &str, path: &str) -> Result<Duration, String> {
    let started = std::time::Instant::now();
    let reply = s.get(key, path).await;
    if reply.status != StatusCode::OK {
        return Err(format!("GET {path}: {} {}", reply.status, reply.body));
    }
    Ok(started.elapsed())
}
