//! Crash safety: the server binary is killed with SIGKILL in the middle of an ingest, a pay run
//! and a plugin activation, then restarted on the same data directory. Every acknowledged row,
//! statement and activation is there afterwards; no half batch, half run or half deployment is.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use cxhost::guests::test_guests::{TAGGED_V1, TAGGED_V2};

use crate::util::{OPERATOR_KEY, Server, ServerProcess, guest};

/// Sample data written once for every test here: 40 agents over 8 weeks.
fn sample() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let spec = cxhost::generate::SampleSpec {
            agents: 40,
            days: 56,
            contacts_per_agent_day: 40.0,
            ..cxhost::generate::SampleSpec::demo()
        };
        cxhost::generate::generate(&spec, &dir).expect("sample data generated");
        dir
    })
}

fn csv(table: &str) -> Vec<u8> {
    std::fs::read(sample().join(format!("{table}.csv"))).unwrap()
}

fn data_rows(table: &str) -> u64 {
    csv(table).iter().filter(|b| **b == b'\n').count() as u64 - 1
}

async fn create_tenant(s: &Server, tenant: &str) -> String {
    s.tenant(tenant).await
}

async fn load(s: &Server, key: &str, tenant: &str, table: &str) {
    let reply = s.ingest(key, tenant, table, "", "text/csv", csv(table)).await;
    assert_eq!(reply.status, StatusCode::OK, "{table}: {}", reply.body);
}

/// Rows of `table` of `tenant`, counted by the standard `read_other_tenant`-free way: a metric
/// over everything would need a plugin, so the test reads the tenant's file after the server
/// is gone.
fn count_rows(data_dir: &Path, tenant: &str, sql: &str) -> i64 {
    let path = data_dir.join(format!("tenants/{tenant}/data.duckdb"));
    let conn = duckdb::Connection::open(&path).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn a_batch_cut_off_by_a_crash_is_all_there_or_not_at_all() {
    let total = data_rows("interactions");
    assert!(total > 50_000, "a batch big enough to be cut off mid-way: {total}");
    let mut outcomes = Vec::new();
    for (attempt, delay_ms) in [40u64, 120, 250, 500].into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap().keep();
        let tenant = format!("crash{attempt}");
        let mut process = ServerProcess::start(&dir, &[]).await;
        let key = create_tenant(&process.server, &tenant).await;
        load(&process.server, &key, &tenant, "agents").await;
        let batch = {
            let (server_base, key, tenant) = (process.server.base.clone(), key.clone(), tenant.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                client
                    .post(format!("{server_base}/v1/tenants/{tenant}/ingest/interactions"))
                    .bearer_auth(key)
                    .header("content-type", "text/csv")
                    .body(csv("interactions"))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        };
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        process.kill();
        let acknowledged = matches!(batch.await.unwrap(), Ok(StatusCode::OK));
        drop(process);

        let stored = count_rows(&dir, &tenant, "SELECT count(*) FROM interactions") as u64;
        let agents = count_rows(&dir, &tenant, "SELECT count(*) FROM agents") as u64;
        assert_eq!(agents, data_rows("agents"), "the acknowledged agents batch is there");
        assert!(stored == 0 || stored == total, "attempt {attempt}: {stored} of {total} rows: a half batch");
        if acknowledged {
            assert_eq!(stored, total, "an acknowledged batch is there whole");
        }
        outcomes.push(stored);

        let restarted = ServerProcess::start(&dir, &[]).await;
        let again = restarted.server.ingest(&key, &tenant, "interactions", "", "text/csv", csv("interactions")).await;
        assert_eq!(again.status, StatusCode::OK, "after the restart the batch loads: {}", again.body);
        assert_eq!(again.body["inserted"].as_u64().unwrap() + again.body["unchanged"].as_u64().unwrap(), total);
    }
    eprintln!("rows found after each crash: {outcomes:?}");
}

/// (current statements, distinct run times among them, statements without lines) of the
/// pay ledger for the period starting `from`, read from the tenant's file.
fn ledger_state(data_dir: &Path, tenant: &str, from: &str) -> (i64, i64, i64) {
    let conn = duckdb::Connection::open(data_dir.join(format!("tenants/{tenant}/data.duckdb"))).unwrap();
    let current = format!("FROM pay_statements WHERE superseded_by IS NULL AND period_start = TIMESTAMP '{from}'");
    let one = |sql: String| conn.query_row(&sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        one(format!("SELECT count(*) {current}")),
        one(format!("SELECT count(DISTINCT created_at) {current}")),
        one("SELECT count(*) FROM pay_statements s WHERE NOT EXISTS \
             (SELECT 1 FROM pay_lines l WHERE l.statement_id = s.statement_id)"
            .to_string()),
    )
}

#[tokio::test]
async fn a_pay_run_cut_off_by_a_crash_leaves_whole_statements_or_none() {
    let dir = tempfile::tempdir().unwrap().keep();
    let tenant = "crashpay";
    let mut process = ServerProcess::start(&dir, &[]).await;
    let key = create_tenant(&process.server, tenant).await;
    for table in ["agents", "interactions", "customer_feedback", "agent_states", "qa_evaluations"] {
        load(&process.server, &key, tenant, table).await;
    }
    let path = format!("/v1/tenants/{tenant}/pay/runs");
    let run = |from: &str, to: &str, cents: u64| json!({"plugin": "standard_pay", "from": from, "to": to, "params": {"per_contact_cents": cents}});
    let january = process.server.post_json(&key, &path, run("2026-01-05", "2026-02-02", 40)).await;
    assert_eq!(january.status, StatusCode::OK, "{}", january.body);
    let january_agents = january.body["agents"].as_i64().unwrap();
    let february = process.server.post_json(&key, &path, run("2026-02-02", "2026-03-02", 40)).await;
    assert_eq!(february.status, StatusCode::OK, "{}", february.body);
    let february_agents = february.body["agents"].as_i64().unwrap();
    assert!(january_agents > 30 && february_agents > 30, "{january_agents} {february_agents}");

    let mut acknowledged = 0;
    for (round, delay_ms) in [5u64, 30, 90, 200].into_iter().enumerate() {
        let cut = {
            let (base, key, path) = (process.server.base.clone(), key.clone(), path.clone());
            let body = run("2026-02-02", "2026-03-02", 41 + round as u64);
            tokio::spawn(async move {
                let reply =
                    reqwest::Client::new().post(format!("{base}{path}")).bearer_auth(key).json(&body).send().await;
                reply.map(|r| r.status())
            })
        };
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        process.kill();
        if matches!(cut.await.unwrap(), Ok(StatusCode::OK)) {
            acknowledged += 1;
        }
        let (current, runs, without_lines) = ledger_state(&dir, tenant, "2026-02-02");
        assert_eq!(
            (current, runs),
            (february_agents, 1),
            "round {round}: every agent's current statement comes from one whole run"
        );
        assert_eq!(without_lines, 0, "round {round}: no statement lost its lines");
        let (january_now, _, _) = ledger_state(&dir, tenant, "2026-01-05");
        assert_eq!(january_now, january_agents, "round {round}: the acknowledged January run is whole");
        process = ServerProcess::start(&dir, &[]).await;
    }
    let again = process.server.post_json(&key, &path, run("2026-02-02", "2026-03-02", 99)).await;
    assert_eq!(again.status, StatusCode::OK, "after the crashes a run completes: {}", again.body);
    let statements =
        process.server.get(&key, &format!("/v1/tenants/{tenant}/pay/statements?from=2026-02-02&to=2026-03-02")).await;
    assert_eq!(statements.body.as_array().map_or(0, Vec::len) as i64, february_agents, "{}", statements.body);
    eprintln!("pay runs acknowledged before a crash: {acknowledged} of 4");
}

#[tokio::test]
async fn an_activation_cut_off_by_a_crash_leaves_a_whole_deployment() {
    let dir = tempfile::tempdir().unwrap().keep();
    let tenant = "crashswap";
    let mut process = ServerProcess::start(&dir, &[]).await;
    let key = create_tenant(&process.server, tenant).await;
    load(&process.server, &key, tenant, "agents").await;
    load(&process.server, &key, tenant, "interactions").await;
    let v1 = process.server.upload(&key, tenant, guest(TAGGED_V1)).await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.body);
    let hash = |r: &crate::util::Reply| r.body["hash"].as_str().unwrap().to_string();
    let (v1, v2) = (hash(&v1), {
        let v2 = process.server.upload_with(&key, tenant, guest(TAGGED_V2), "?activate=false").await;
        assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
        hash(&v2)
    });
    let versions_path = format!("/v1/tenants/{tenant}/plugins/tagged/versions");
    let mut last_active = v1.clone();
    for (round, delay_ms) in [0u64, 2, 5, 10, 20].into_iter().enumerate() {
        let target = if last_active == v1 { v2.clone() } else { v1.clone() };
        let activation = {
            let (base, key, target) = (process.server.base.clone(), key.clone(), target.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{base}/v1/tenants/{tenant}/plugins/tagged/activate"))
                    .bearer_auth(key)
                    .json(&json!({"hash": target}))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        };
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        process.kill();
        let acknowledged = matches!(activation.await.unwrap(), Ok(StatusCode::OK));
        process = ServerProcess::start(&dir, &[]).await;
        let versions = process.server.get(&key, &versions_path).await;
        assert_eq!(versions.status, StatusCode::OK, "{}", versions.body);
        let active = versions.body["deployment"]["active_hash"].as_str().unwrap_or_default().to_string();
        assert!(active == v1 || active == v2, "round {round}: active {active:?} is one of the two versions");
        if acknowledged {
            assert_eq!(active, target, "round {round}: an acknowledged activation holds");
        }
        let stored: Vec<&Value> = versions.body["versions"].as_array().unwrap().iter().collect();
        assert_eq!(stored.len(), 2, "both versions are still stored: {}", versions.body);
        let answer =
            process.server.metric(&key, tenant, "tagged", "from=2026-01-05&to=2026-02-02&group_by=total").await;
        assert_eq!(answer.status, StatusCode::OK, "round {round}: the active version answers: {}", answer.body);
        assert_eq!(answer.body["plugin"]["hash"], active.as_str());
        last_active = active;
    }
    let operator = process.server.get(OPERATOR_KEY, &format!("/v1/tenants/{tenant}/audit?plugin=tagged")).await;
    assert_eq!(operator.status, StatusCode::OK);
}
