//! A hostile enricher in every mode it has: guest code that loops, recurses, grows, traps,
//! floods the log or probes WASI, SQL that escapes or exhausts DuckDB, and garbage or
//! oversized enrichments. Ingest always stores the rows and queues their texts; the enricher's
//! batch fails with the fault named (plugin, version, cause, never a host path), its texts stay
//! pending, nothing the hostile enricher said is ever stored as done; the tenant's rows are
//! intact, it scores its texts again once switched back to the standard enricher, and the
//! attacker and a bystander tenant answer as before — the bystander's comments are enriched
//! while the attacks run.

use std::time::{Duration, Instant};

use cxhost::guests::test_guests::HOSTILE_ENRICHER;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{Attacker, attacker, server};
use crate::util::guest;

/// How long the first attempt at a batch may take to show (a looping batch takes the 1 s
/// deadline; the one enrichment worker serves every tenant in turns of 2 s).
const FIRST_ATTEMPT: Duration = Duration::from_secs(40);
/// How long texts may take to be enriched by the standard enricher (a retry waits 2 s or 4 s).
const RECOVERY: Duration = Duration::from_secs(40);

/// The tenant's enrichment status, summed over its sources: (pending, done, failed, versions).
async fn status(key: &str, tenant: &str) -> (u64, u64, u64, Vec<String>) {
    let reply = server().get(key, &format!("/v1/tenants/{tenant}/enrichments")).await;
    assert_eq!(reply.status, StatusCode::OK, "{tenant}: {}", reply.body);
    let mut sums = (0, 0, 0, Vec::new());
    for source in reply.body["sources"].as_array().unwrap() {
        sums.0 += source["pending"].as_u64().unwrap();
        sums.1 += source["done"].as_u64().unwrap();
        sums.2 += source["failed"].as_u64().unwrap();
        for v in source["versions"].as_array().unwrap() {
            sums.3.push(v.as_str().unwrap().to_string());
        }
    }
    sums
}

/// Waits until the tenant has no pending text (the standard enricher finished), then a moment
/// longer so that the worker's turn is over before the settings change.
async fn settled(key: &str, tenant: &str, within: Duration) -> (u64, u64, u64, Vec<String>) {
    let started = Instant::now();
    loop {
        let now = status(key, tenant).await;
        if now.0 == 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            return status(key, tenant).await;
        }
        assert!(started.elapsed() < within, "{tenant}: texts still pending after {within:?}: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn set_enricher(key: &str, tenant: &str, enricher: &str, params: Value) {
    let body = json!({"enricher": enricher, "params": params, "batch_size": 200});
    let reply = server().put_json(key, &format!("/v1/tenants/{tenant}/enrichment"), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{tenant}: {}", reply.body);
    assert_eq!(reply.body["enricher"], enricher, "{}", reply.body);
}

/// Ingests `n` customer comments with ids `<prefix>-<i>` (dated after the fixture's week, so
/// no figure of it changes); asserts every row was stored and its text queued.
async fn ingest_comments(key: &str, tenant: &str, prefix: &str, n: usize) -> Vec<String> {
    let mut csv = String::from("feedback_id,interaction_id,customer_id,agent_id,responded_at,comment\n");
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        csv.push_str(&format!(
            "{id},i01,c01,a1,2026-04-0{}T10:00:00Z,Comment {i}: the agent was very helpful\n",
            1 + i % 9
        ));
    }
    let reply = server().ingest(key, tenant, "customer_feedback", "", "text/csv", csv.into_bytes()).await;
    assert_eq!(reply.status, StatusCode::OK, "{tenant}: {}", reply.body);
    assert_eq!(reply.body["inserted"], n, "{tenant}: every row is stored: {}", reply.body);
    assert_eq!(reply.body["enrichment"]["queued"], n, "{tenant}: every text is queued: {}", reply.body);
    ids
}

/// The stored enrichment of one comment.
async fn enrichment_of(key: &str, tenant: &str, id: &str) -> Value {
    let reply = server().get(key, &format!("/v1/tenants/{tenant}/enrichments/customer_feedback/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{tenant} {id}: {}", reply.body);
    reply.body
}

/// Waits until every text of `ids` was attempted at least once (or failed) and returns their
/// enrichments.
async fn attempted(key: &str, tenant: &str, ids: &[String]) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let mut all = Vec::new();
        for id in ids {
            all.push(enrichment_of(key, tenant, id).await);
        }
        if all.iter().all(|e| e["attempts"].as_u64().unwrap() >= 1 || e["state"] != "pending") {
            return all;
        }
        assert!(started.elapsed() < FIRST_ATTEMPT, "{tenant}: no attempt after {FIRST_ATTEMPT:?}: {all:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until every text of `ids` is done and returns their enrichments.
async fn done(key: &str, tenant: &str, ids: &[String], within: Duration) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let mut all = Vec::new();
        for id in ids {
            all.push(enrichment_of(key, tenant, id).await);
        }
        if all.iter().all(|e| e["state"] == "done") {
            return all;
        }
        assert!(started.elapsed() < within, "{tenant}: not done after {within:?}: {all:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asserts an enrichment error names the hostile enricher and its version and shows no host path.
fn named(tenant: &str, error: &str) {
    assert!(error.starts_with("plugin `hostile_enricher` 0.0.1 "), "{tenant}: {error}");
    let dir = server().data_dir.canonicalize().unwrap();
    for leak in [&*dir.to_string_lossy(), "/work/", "/root", ".rs:", "panicked"] {
        assert!(!error.contains(leak), "{tenant}: `{leak}` in the error: {error}");
    }
}

/// How many of the tenant's feedback rows there are, counted by the hostile metric's SQL.
async fn feedback_rows(a: &Attacker) -> f64 {
    let reply = a.sql("SELECT feedback_id FROM customer_feedback").await.reply;
    assert_eq!(reply.status, StatusCode::OK, "{}: {}", a.tenant, reply.body);
    reply.body["rows"][0]["value"].as_f64().unwrap()
}

/// An attack: the mode's parameters, and what the batch's error must say (`None`: the
/// batch may also pass, as a data-modifying CTE that DuckDB rolls back may).
struct Attack {
    mode: &'static str,
    extra: Vec<(&'static str, Value)>,
    fault: Option<Vec<String>>,
}

fn attack(mode: &'static str, extra: Vec<(&'static str, Value)>, fault: &[&str]) -> Attack {
    Attack { mode, extra, fault: Some(fault.iter().map(|f| f.to_string()).collect()) }
}

/// One tenant holding the hostile enricher runs `attacks` one after the other: each switches
/// the tenant to the hostile enricher in that mode, ingests three comments, waits for the
/// first attempt, checks that the rows are stored, the texts pending (or failed) with the
/// fault named and nothing done by the hostile enricher; then switches back to the standard
/// enricher, which scores them. At the end the tenant and the bystander answer as before.
async fn run_attacks(tenant: &'static str, attacks: Vec<Attack>) {
    let a = attacker(tenant).await;
    let s = server();
    let uploaded = s.upload(&a.key, tenant, guest(HOSTILE_ENRICHER)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    // The fixture's texts are enriched by the standard enricher first.
    let (_, mut done_before, failed, versions) = settled(&a.key, tenant, RECOVERY).await;
    assert_eq!(failed, 0, "{tenant}: {versions:?}");
    assert!(done_before > 0, "{tenant}: the fixture's comments are enriched");
    let mut rows = feedback_rows(&a).await;
    for (n, Attack { mode, extra, fault }) in attacks.into_iter().enumerate() {
        let mut params = serde_json::Map::new();
        params.insert("mode".into(), json!(mode));
        for (name, value) in extra {
            params.insert(name.to_string(), value);
        }
        set_enricher(&a.key, tenant, "hostile_enricher", Value::Object(params)).await;
        let started = Instant::now();
        let ids = ingest_comments(&a.key, tenant, &format!("h{n}"), 3).await;
        let seen = attempted(&a.key, tenant, &ids).await;
        eprintln!("{tenant} {mode}: first attempt after {} ms", started.elapsed().as_millis());
        eprintln!("{tenant} {mode}: {} {}", seen[0]["state"], seen[0]["last_error"]);
        rows += 3.0;
        assert_eq!(feedback_rows(&a).await, rows, "{tenant} {mode}: the rows are stored and none was lost");
        match &fault {
            Some(fault) => {
                for e in &seen {
                    assert_ne!(e["state"], "done", "{tenant} {mode}: a refused batch is not stored: {e}");
                    assert!(e["enricher"].is_null() && e["sentiment"].is_null(), "{tenant} {mode}: {e}");
                    assert_eq!(e["topics"], json!([]), "{tenant} {mode}: {e}");
                    assert_eq!(e["tags"], json!([]), "{tenant} {mode}: {e}");
                    let error = e["last_error"].as_str().unwrap_or_else(|| panic!("{tenant} {mode}: no error: {e}"));
                    named(tenant, error);
                    assert!(error.len() < 2_200, "{tenant} {mode}: the error is cut: {} bytes", error.len());
                    for part in fault {
                        assert!(error.contains(part.as_str()), "{tenant} {mode}: expected `{part}` in: {error}");
                    }
                }
                let (_, done_now, _, versions) = status(&a.key, tenant).await;
                assert_eq!(done_now, done_before, "{tenant} {mode}: nothing more is done");
                assert!(versions.iter().all(|v| v.starts_with("standard_enricher@")), "{tenant} {mode}: {versions:?}");
                let reply = s.get(&a.key, &format!("/v1/tenants/{tenant}/enrichments")).await;
                let last = reply.body["sources"][0]["last_error"].as_str().unwrap_or_default().to_string();
                named(tenant, &last);
            }
            None => {
                for e in &seen {
                    assert!(e["state"] == "done" || e["last_error"].is_string(), "{tenant} {mode}: {e}");
                    if let Some(error) = e["last_error"].as_str() {
                        named(tenant, error);
                    }
                }
            }
        }
        // The tenant still answers a metric while its texts wait.
        let ok = a.metric("ok", &[]).await;
        assert_eq!(ok.reply.status, StatusCode::OK, "{tenant} {mode}: {}", ok.reply.body);
        // Back to the standard enricher: it scores the texts the hostile one could not.
        set_enricher(&a.key, tenant, "standard_enricher", json!({})).await;
        let scored = done(&a.key, tenant, &ids, RECOVERY).await;
        for e in &scored {
            if fault.is_some() {
                assert_eq!(e["enricher"], "standard_enricher", "{tenant} {mode}: {e}");
                assert!(e["last_error"].is_null(), "{tenant} {mode}: {e}");
            }
        }
        let (_, done_now, failed, versions) = settled(&a.key, tenant, RECOVERY).await;
        assert_eq!(failed, 0, "{tenant} {mode}");
        if fault.is_some() {
            assert!(versions.iter().all(|v| v.starts_with("standard_enricher@")), "{tenant} {mode}: {versions:?}");
        }
        done_before = done_now;
    }
    assert_eq!(feedback_rows(&a).await, rows, "{tenant}: the rows are intact");
    a.assert_healthy().await;
}

/// A tenant with the standard enricher whose comments are enriched to done, batch after batch,
/// while `attacks` run.
async fn bystander_meanwhile(tenant: &'static str, attacks: impl std::future::Future<Output = ()>) {
    let s = server();
    let key = s.tenant(tenant).await;
    s.load_fixture(&key, tenant).await;
    let finished = std::sync::atomic::AtomicBool::new(false);
    let bystander = async {
        let mut round = 0;
        while !finished.load(std::sync::atomic::Ordering::Relaxed) || round < 2 {
            let ids = ingest_comments(&key, tenant, &format!("b{round}"), 2).await;
            let started = Instant::now();
            let scored = done(&key, tenant, &ids, Duration::from_secs(20)).await;
            assert!(scored.iter().all(|e| e["enricher"] == "standard_enricher"), "{scored:?}");
            eprintln!("{tenant}: round {round} enriched after {} ms", started.elapsed().as_millis());
            round += 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    let attacks = async {
        attacks.await;
        finished.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    tokio::join!(bystander, attacks);
}

#[tokio::test]
async fn hostile_enricher_code_and_sql_are_stopped_and_nothing_is_stored() {
    let timeout = "ran past its deadline of 1000 ms and was stopped";
    let not_select = "only a single SELECT statement may run here";
    let victim = server().data_dir.canonicalize().unwrap().join("tenants/bystander/data.duckdb");
    let victim = victim.display().to_string();
    let code = vec![
        attack("loop", vec![], &[timeout]),
        attack("grow", vec![], &["was stopped: memory cap of 67108864 bytes reached"]),
        attack("trap", vec![], &["trapped:", "unreachable"]),
        attack("recurse", vec![], &["trapped:", "stack"]),
        attack("log_flood", vec![("size", json!(100))], &[timeout]),
    ];
    let escape = vec![
        attack("huge_error", vec![], &["returned an error: line with /etc/passwd", "… (cut)"]),
        attack("fail", vec![], &["returned an error: enricher failed on purpose"]),
        attack("wasi_file", vec![], &["returned an error: No such file or directory (os error 44)"]),
    ];
    let sql = |text: String| vec![("sql", json!(text))];
    let sql_attacks = vec![
        attack("sql_loop", sql("SELECT count(*) FROM range(3000000)".into()), &[timeout]),
        attack("sql", sql(format!("ATTACH '{victim}' AS v")), &["returned an error", not_select]),
        attack(
            "sql",
            sql("COPY customer_feedback TO '/tmp/cxhost-leak.csv'".into()),
            &["returned an error", not_select],
        ),
        attack("sql", sql("DELETE FROM customer_feedback".into()), &["returned an error", not_select]),
        attack("sql", sql(format!("SELECT * FROM '{victim}'")), &["returned an error"]),
        attack(
            "sql",
            sql("SELECT * FROM read_text('/etc/passwd')".into()),
            &["returned an error", "is not available to plugins"],
        ),
        attack(
            "sql",
            sql("SELECT path FROM duckdb_databases()".into()),
            &["returned an error", "is not available to plugins"],
        ),
        attack("sql", sql("SELECT * FROM range(2000000)".into()), &["read more than 1000000 rows"]),
        // A CTE that deletes the tenant's feedback: refused, or rolled back (the rows are counted).
        Attack {
            mode: "sql",
            extra: sql("WITH gone AS (DELETE FROM customer_feedback RETURNING *) SELECT count(*) AS n FROM gone".into()),
            fault: None,
        },
    ];
    let attacks = async {
        join_all([
            run_attacks("enr-code", code),
            run_attacks("enr-escape", escape),
            run_attacks("enr-sql", sql_attacks),
        ])
        .await;
    };
    bystander_meanwhile("enr-bystander-a", attacks).await;
}

#[tokio::test]
async fn garbage_enrichments_are_refused_and_nothing_is_stored() {
    let invalid = "returned an invalid result: ";
    let first = [
        attack("huge", vec![], &[invalid, "bytes of enrichments, more than the limit of 4194304 bytes"]),
        attack("bad_sentiment", vec![], &[invalid, "has sentiment 7, outside [-1, 1]"]),
        attack("nan_sentiment", vec![], &[invalid, "has sentiment NaN, outside [-1, 1]"]),
        attack("unknown_id", vec![], &[invalid, "names `not-sent-by-the-host`, which is not one of the texts sent"]),
        attack(
            "unknown_topic",
            vec![],
            &[invalid, "names topic `no_such_topic`, which is not in the tenant's taxonomy"],
        ),
    ];
    let second = [
        attack("duplicate_id", vec![], &[invalid, "is enriched twice"]),
        attack("bad_language", vec![], &[invalid, "has language `EN-us!`, not an ISO 639-1 code"]),
        attack("too_many_tags", vec![], &[invalid, "has 17 tags, more than 16"]),
        attack("long_tag", vec![], &[invalid, "has 41 bytes, more than the limit of 40"]),
        attack("multiline_tag", vec![], &[invalid, "must be on one line"]),
    ];
    let attacks = async {
        join_all([run_attacks("enr-garbage-a", first.into()), run_attacks("enr-garbage-b", second.into())]).await;
    };
    bystander_meanwhile("enr-bystander-b", attacks).await;
}
