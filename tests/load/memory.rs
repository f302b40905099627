//! Memory bounded by configuration: three tenants at once run SQL built to take gigabytes (the
//! calls that drove the server to 7 GB before), and the server binary's resident memory stays
//! within what their database limits and plugin caps allow.

use std::time::{Duration, Instant};

use cxhost::guests::test_guests::HOSTILE_METRIC;
use reqwest::StatusCode;

use super::workload::exclusive;
use crate::util::{ServerProcess, guest, urlencode};

#[tokio::test]
async fn three_tenants_grabbing_memory_at_once_stay_within_their_limits() {
    let _alone = exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let process = ServerProcess::start(dir.path(), &["--tenant-memory-mib", "256"]).await;
    let s = process.server.clone();
    let greedy = [
        "SELECT length(list(range)) AS n FROM range(400000000)",
        "SELECT length(string_agg(repeat('y', 1000), ',')) AS n FROM range(3000000)",
        "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r WHERE length(s) < 2000000000) \
         SELECT max(length(s)) AS n FROM r",
        "SELECT count(*) AS n FROM (SELECT range % 100000000 AS k, count(*) FROM range(200000000) GROUP BY 1)",
    ];
    let mut tenants = Vec::new();
    for tenant in ["greedy1", "greedy2", "greedy3"] {
        let key = s.tenant(tenant).await;
        assert_eq!(s.upload(&key, tenant, guest(HOSTILE_METRIC)).await.status, StatusCode::CREATED);
        tenants.push((tenant, key));
    }
    let baseline = process.rss_bytes();
    let until = Instant::now() + Duration::from_secs(20);
    let mut attackers = Vec::new();
    for (tenant, key) in tenants.clone() {
        let s = s.clone();
        attackers.push(tokio::spawn(async move {
            let mut calls = 0;
            while Instant::now() < until {
                for sql in greedy {
                    let path = format!(
                        "/v1/tenants/{tenant}/metrics/hostile_metric?from=2026-01-01&to=2026-02-01&mode=sql&sql={}",
                        urlencode(sql)
                    );
                    let reply = s.get(&key, &path).await;
                    assert!(reply.status.is_client_error() || reply.status.is_server_error(), "{sql}: {}", reply.body);
                    assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{sql}: {}", reply.body);
                    calls += 1;
                }
            }
            calls
        }));
    }
    let mut peak = 0;
    while Instant::now() < until {
        peak = peak.max(process.rss_bytes());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut calls = 0;
    for attacker in attackers {
        calls += attacker.await.unwrap();
    }
    // Three databases of 256 MiB, three plugin instances of 64 MiB, the server itself.
    let allowed = baseline + 3 * (256 << 20) + 3 * (64 << 20) + (256 << 20);
    eprintln!(
        "memory: {calls} greedy calls by three tenants at once; server resident memory {} MiB at rest, peak {} MiB \
         (allowed {} MiB)",
        baseline >> 20,
        peak >> 20,
        allowed >> 20
    );
    assert!(peak <= allowed, "peak {} MiB is more than the limits allow ({} MiB)", peak >> 20, allowed >> 20);
    for (tenant, key) in &tenants {
        let ok =
            s.get(key, &format!("/v1/tenants/{tenant}/metrics/hostile_metric?from=2026-01-01&to=2026-02-01")).await;
        assert_eq!(ok.status, StatusCode::OK, "{tenant} answers afterwards: {}", ok.body);
    }
}
