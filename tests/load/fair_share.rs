//! Fair share: while one tenant keeps eight runaway plugin calls in flight, another tenant's
//! metric calls keep their latency (p99 within twice the idle p99); the runaway tenant gets
//! `429` with `Retry-After` for what does not fit its places.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;

use super::workload::{exclusive, ms, percentile, sample_tenant, timed_ok};
use crate::util::{ServerProcess, guest};

const CALLS: usize = 400;

async fn latencies(s: &crate::util::Server, key: &str, path: &str) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        samples.push(timed_ok(s, key, path).await.expect("a well-behaved call succeeds"));
    }
    samples
}

#[tokio::test]
async fn a_tenant_keeps_its_latency_while_another_runs_eight_runaway_calls() {
    let _alone = exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let process = ServerProcess::start(dir.path(), &[]).await;
    let s = &process.server;
    let steady = sample_tenant(s, "steady").await;
    let noisy = s.tenant("noisy").await;
    assert_eq!(s.upload(&noisy, "noisy", guest("cxhost_test_hostile_metric")).await.status, StatusCode::CREATED);
    let path = "/v1/tenants/steady/metrics/csat?from=2026-01-05&to=2026-02-02&group_by=agent";
    for _ in 0..50 {
        timed_ok(s, &steady, path).await.unwrap();
    }
    let idle = latencies(s, &steady, path).await;

    let stop = Arc::new(AtomicBool::new(false));
    let (timeouts, refused, retry_after) =
        (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut runaways = Vec::new();
    for _ in 0..8 {
        let (stop, timeouts, refused, retry_after) =
            (stop.clone(), timeouts.clone(), refused.clone(), retry_after.clone());
        let (base, key) = (s.base.clone(), noisy.clone());
        runaways.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let url = format!("{base}/v1/tenants/noisy/metrics/hostile_metric?from=2026-01-05&to=2026-02-02&mode=loop");
            while !stop.load(Ordering::Relaxed) {
                let response = client.get(&url).bearer_auth(&key).send().await.unwrap();
                match response.status() {
                    StatusCode::GATEWAY_TIMEOUT => timeouts.fetch_add(1, Ordering::Relaxed),
                    StatusCode::TOO_MANY_REQUESTS => {
                        let seconds = response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap();
                        retry_after.store(seconds, Ordering::Relaxed);
                        refused.fetch_add(1, Ordering::Relaxed)
                    }
                    other => panic!("a runaway call answered {other}"),
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let busy = latencies(s, &steady, path).await;
    // Keep the runaways going until at least one has run out its deadline.
    while timeouts.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for runaway in runaways {
        runaway.await.unwrap();
    }

    let (idle_p50, idle_p99) = (percentile(&idle, 0.5), percentile(&idle, 0.99));
    let (busy_p50, busy_p99) = (percentile(&busy, 0.5), percentile(&busy, 0.99));
    eprintln!(
        "fair share: idle p50 {:.2} ms p99 {:.2} ms; beside 8 runaway calls p50 {:.2} ms p99 {:.2} ms (ratio {:.2}); \
         runaway calls stopped at their deadline {}, refused with 429 {}",
        ms(idle_p50),
        ms(idle_p99),
        ms(busy_p50),
        ms(busy_p99),
        ms(busy_p99) / ms(idle_p99),
        timeouts.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed)
    );
    assert!(busy_p99 <= idle_p99 * 2, "p99 {busy_p99:?} beside the runaways is more than twice the idle {idle_p99:?}");
    assert!(refused.load(Ordering::Relaxed) > 0, "calls beyond the runaway tenant's places and queue were refused");
    assert!(retry_after.load(Ordering::Relaxed) >= 1, "a refusal says when to retry");
}
