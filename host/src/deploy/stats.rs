//! Calls, errors, fallbacks and latency per plugin version, kept in memory since the start,
//! so an operator can compare a canary with the active version.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde::Serialize;
use utoipa::ToSchema;

/// Latencies kept per version for the percentiles.
const RECENT: usize = 4096;

#[derive(Default)]
struct Counters {
    version: String,
    calls: u64,
    errors: u64,
    fallbacks: u64,
    recent_ms: VecDeque<f64>,
}

/// Figures of one version of one plugin.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionStats {
    pub hash: String,
    pub version: String,
    pub calls: u64,
    pub errors: u64,
    /// Failed calls that were answered by the fallback version instead.
    pub fallbacks: u64,
    pub error_rate: f64,
    /// Over the most recent calls (up to 4096).
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// How one call ended, for the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    FellBack,
}

#[derive(Default)]
pub struct CallStats {
    by_version: Mutex<HashMap<(String, String, String), Counters>>,
}

impl CallStats {
    pub fn record(&self, tenant: &str, name: &str, hash: &str, version: &str, outcome: Outcome, elapsed_ms: f64) {
        let mut map = self.by_version.lock().unwrap_or_else(|e| e.into_inner());
        let counters = map.entry((tenant.to_string(), name.to_string(), hash.to_string())).or_default();
        if counters.version.is_empty() {
            counters.version = version.to_string();
        }
        counters.calls += 1;
        match outcome {
            Outcome::Ok => {}
            Outcome::Failed => counters.errors += 1,
            Outcome::FellBack => {
                counters.errors += 1;
                counters.fallbacks += 1;
            }
        }
        if counters.recent_ms.len() == RECENT {
            counters.recent_ms.pop_front();
        }
        counters.recent_ms.push_back(elapsed_ms);
    }

    /// Every version of the plugin that has been called, most calls first.
    pub fn report(&self, tenant: &str, name: &str) -> Vec<VersionStats> {
        let map = self.by_version.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<VersionStats> = map
            .iter()
            .filter(|((t, n, _), _)| t == tenant && n == name)
            .map(|((_, _, hash), c)| {
                let mut sorted: Vec<f64> = c.recent_ms.iter().copied().collect();
                sorted.sort_by(f64::total_cmp);
                VersionStats {
                    hash: hash.clone(),
                    version: c.version.clone(),
                    calls: c.calls,
                    errors: c.errors,
                    fallbacks: c.fallbacks,
                    error_rate: if c.calls == 0 { 0.0 } else { c.errors as f64 / c.calls as f64 },
                    p50_ms: percentile(&sorted, 0.5),
                    p99_ms: percentile(&sorted, 0.99),
                }
            })
            .collect();
        out.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.hash.cmp(&b.hash)));
        out
    }
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    Some(sorted[((sorted.len() - 1) as f64 * p).round() as usize])
}
