//! A hostile rule in every mode it has: guest code that loops, recurses, grows or traps, SQL
//! that escapes or exhausts DuckDB, log floods, nested analytics calls, analytics and judged
//! periods past the finished ones, and garbage or oversized actions. Each run is refused
//! with its clear error (the plugin, its version and the cause, never a host path), logged as
//! a failed run, and writes nothing to the actions ledger; afterwards the attacking tenant
//! and a bystander answer as before and a good run still writes.

use std::time::Instant;

use cxhost::guests::test_guests::HOSTILE_RULE;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{Attacker, DEADLINE_MS, Timed, attacker, server};
use crate::util::guest;

/// The run's time: the finished days end at 2026-03-10 00:00, so the rule judges the week
/// before it (the fixture's week).
const AT: &str = "2026-03-10T02:00:00Z";

/// An attacking tenant that also holds the hostile rule.
async fn rule_attacker(tenant: &str) -> Attacker {
    let a = attacker(tenant).await;
    let uploaded = server().upload(&a.key, tenant, guest(HOSTILE_RULE)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    a
}

/// Runs the hostile rule in `mode` with further parameters.
async fn run(a: &Attacker, mode: &str, extra: &[(&str, Value)]) -> Timed {
    let mut params = serde_json::Map::new();
    params.insert("mode".into(), json!(mode));
    for (name, value) in extra {
        params.insert(name.to_string(), value.clone());
    }
    let body = json!({"plugin": "hostile_rule", "at": AT, "params": params});
    let started = Instant::now();
    let reply = server().post_json(&a.key, &format!("/v1/tenants/{}/rules/runs", a.tenant), body).await;
    let elapsed = started.elapsed();
    eprintln!("hostile_rule {mode}: {} after {} ms", reply.status, elapsed.as_millis());
    Timed { reply, elapsed }
}

/// Asserts a refused run's detail names the plugin and version and no host path.
fn named(detail: &str) {
    assert!(detail.starts_with("plugin `hostile_rule` 0.0.1 "), "{detail}");
    let dir = server().data_dir.canonicalize().unwrap();
    assert!(!detail.contains(&*dir.to_string_lossy()) && !detail.contains("/tmp/"), "a host path: {detail}");
}

/// Asserts nothing is in the attacker's actions ledger and its run log holds exactly the
/// `failed` runs, each with the detail the client was given.
async fn nothing_written(a: &Attacker, failed: &[String]) {
    let s = server();
    let listed = s.get(&a.key, &format!("/v1/tenants/{}/actions", a.tenant)).await;
    assert_eq!(listed.body, json!([]), "a refused run writes no action");
    let log = s.get(&a.key, &format!("/v1/tenants/{}/rules/runs?rule=hostile_rule&limit=1000", a.tenant)).await;
    let runs = log.body.as_array().unwrap();
    assert!(runs.iter().all(|r| r["status"] == "failed" && r["opened"] == 0), "{}", log.body);
    assert!(runs.iter().all(|r| r["rule_version"] == "0.0.1" && r["period_start"].is_null()), "{}", log.body);
    let mut errors: Vec<String> = runs.iter().map(|r| r["error"].as_str().unwrap().to_string()).collect();
    let mut expected = failed.to_vec();
    errors.sort();
    expected.sort();
    assert_eq!(errors, expected, "every refused run is logged as failed, with its error");
}

/// A good run still writes: the `ok` mode opens its one task on a1.
async fn a_good_run_writes(a: &Attacker) {
    let ok = run(a, "ok", &[]).await;
    assert_eq!(ok.reply.status, StatusCode::OK, "{}", ok.reply.body);
    assert_eq!(ok.reply.body["opened"].as_array().unwrap().len(), 1, "{}", ok.reply.body);
    let listed = server().get(&a.key, &format!("/v1/tenants/{}/actions", a.tenant)).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["cause"], "hostile-ok");
}

#[tokio::test]
async fn hostile_rule_code_sql_logs_and_nested_calls_are_stopped_and_write_nothing() {
    let a = rule_attacker("rules-hostile").await;
    let mut failed = Vec::new();
    let mut refused = |call: &Timed, status: StatusCode, code: &str| -> String {
        let detail = call.problem(status, code);
        named(&detail);
        failed.push(detail.clone());
        detail
    };

    // First a trap: the tenant's first rule run does set-up work before the plugin's deadline
    // starts (about 150 ms here), which the loops below should not be timed with.
    let trapped = run(&a, "trap", &[]).await;
    let detail = refused(&trapped, StatusCode::BAD_GATEWAY, "plugin_trap");
    assert!(detail.starts_with("plugin `hostile_rule` 0.0.1 trapped:") && detail.contains("unreachable"), "{detail}");
    let timeout = format!("plugin `hostile_rule` 0.0.1 ran past its deadline of {DEADLINE_MS} ms and was stopped");
    for mode in ["loop", "sql_loop"] {
        let call = run(&a, mode, &[("sql", json!("SELECT count(*) FROM range(3000000)"))]).await;
        assert_eq!(refused(&call, StatusCode::GATEWAY_TIMEOUT, "plugin_timeout"), timeout, "{mode}");
        call.within_deadline();
    }
    let flood = run(&a, "log_flood", &[("size", json!(100))]).await;
    assert_eq!(refused(&flood, StatusCode::GATEWAY_TIMEOUT, "plugin_timeout"), timeout, "an endless log flood");
    flood.within_deadline();
    let recursed = run(&a, "recurse", &[]).await;
    assert!(refused(&recursed, StatusCode::BAD_GATEWAY, "plugin_trap").contains("stack"));
    let grown = run(&a, "grow", &[]).await;
    let detail = refused(&grown, StatusCode::BAD_GATEWAY, "plugin_memory_cap");
    assert!(detail.contains("was stopped: memory cap of 67108864 bytes reached"), "{detail}");
    grown.within_deadline();
    let file = run(&a, "wasi_file", &[]).await;
    let detail = refused(&file, StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
    assert!(detail.ends_with("returned an error: No such file or directory (os error 44)"), "{detail}");
    let huge = run(&a, "huge_error", &[]).await;
    let detail = refused(&huge, StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
    assert!(detail.len() < 2_200 && detail.ends_with("… (cut)"), "a 10 MiB message is cut: {} bytes", detail.len());

    // SQL that escapes the tenant or grabs DuckDB's memory.
    let victim = server().data_dir.canonicalize().unwrap().join("tenants/bystander/data.duckdb");
    for (sql, reason) in [
        ("DELETE FROM actions".to_string(), "only a single SELECT statement may run here"),
        ("INSERT INTO actions SELECT * FROM actions".to_string(), "only a single SELECT statement may run here"),
        (format!("ATTACH '{}' AS v", victim.display()), "only a single SELECT statement may run here"),
        ("SELECT * FROM read_text('/etc/passwd')".to_string(), "is not available to plugins"),
        ("SELECT path FROM duckdb_databases()".to_string(), "is not available to plugins"),
    ] {
        let call = run(&a, "sql", &[("sql", json!(sql))]).await;
        let detail = refused(&call, StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
        assert!(detail.contains(reason), "`{sql}`: {detail}");
    }
    let memory = run(&a, "sql", &[("sql", json!("SELECT length(list(range)) AS n FROM range(400000000)"))]).await;
    assert!(
        matches!(memory.reply.status, StatusCode::UNPROCESSABLE_ENTITY | StatusCode::GATEWAY_TIMEOUT),
        "{}",
        memory.reply.body
    );
    let code = memory.reply.body["code"].as_str().unwrap().to_string();
    let detail = refused(&memory, memory.reply.status, &code);
    assert!(detail.contains("Out of Memory") || detail.contains("ran past its deadline"), "{detail}");
    memory.within_deadline();
    let rows = run(&a, "sql", &[("sql", json!("SELECT * FROM range(2000000)"))]).await;
    assert!(refused(&rows, StatusCode::BAD_GATEWAY, "plugin_limit").contains("read more than 1000000 rows"));

    // Nested analytics: the hostile metric looping inside the rule's own deadline.
    let nested = run(&a, "nested", &[("sql", json!("hostile_metric")), ("n", json!(5))]).await;
    assert!(
        matches!(
            nested.reply.status,
            StatusCode::GATEWAY_TIMEOUT | StatusCode::BAD_GATEWAY | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{}",
        nested.reply.body
    );
    let code = nested.reply.body["code"].as_str().unwrap().to_string();
    let detail = refused(&nested, nested.reply.status, &code);
    assert!(detail.contains("deadline"), "{detail}");
    nested.within_deadline();

    nothing_written(&a, &failed).await;
    a.assert_healthy().await;
    a_good_run_writes(&a).await;
    // A CTE that deletes the ledger runs (its SELECT passes) but is rolled back: the task stays.
    let sneaky = run(
        &a,
        "sql",
        &[("sql", json!("WITH gone AS (DELETE FROM actions RETURNING *) SELECT count(*) AS n FROM gone"))],
    )
    .await;
    assert!(sneaky.reply.status.is_success() || sneaky.reply.status.is_client_error(), "{}", sneaky.reply.body);
    let listed = server().get(&a.key, &format!("/v1/tenants/{}/actions", a.tenant)).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "the ledger is intact: {}", listed.body);
}

#[tokio::test]
async fn garbage_actions_and_unfinished_periods_are_refused_with_the_fault_named() {
    let a = rule_attacker("rules-garbage").await;
    let prefix = "plugin `hostile_rule` 0.0.1 returned an invalid result: ";
    let mut failed = Vec::new();
    for (mode, extra, fault) in [
        (
            "many_actions",
            vec![("n", json!(60_000))],
            "bytes of actions, more than the limit of 4194304 bytes".to_string(),
        ),
        ("huge_title", vec![], "action 1 is invalid: the title has 1048576 bytes, more than the limit of 200".into()),
        (
            "huge_detail",
            vec![],
            "action 1 is invalid: the detail has 1048576 bytes, more than the limit of 2000".into(),
        ),
        ("huge_cause", vec![], "action 1 is invalid: the cause has 1048576 bytes, more than the limit of 256".into()),
        ("multiline_cause", vec![], "action 1 is invalid: the cause `hostile\\ncause` must be on one line".into()),
        ("empty_cause", vec![], "action 1 is invalid: the cause is empty".into()),
        ("control_title", vec![], "action 1 is invalid: the title contains the control character".into()),
        ("unknown_agent", vec![], "action 1 is invalid: agent `nobody-xyz` is not in the tenant's agents".into()),
        ("wrong_team", vec![], "action 1 is invalid: agent `a1` is in team `north`, not `nowhere`".into()),
        ("task_without_agent", vec![], "action 1 is invalid: a coaching task names no agent".into()),
        (
            "alert_with_agent",
            vec![],
            "action 1 is invalid: an alert names agent `a1`; alerts are about a team or the tenant".into(),
        ),
        ("bad_priority", vec![], "action 1 is invalid: priority 10 is more than 9".into()),
        ("bad_due", vec![], "action 1 is invalid: due in 1000 days, more than 366".into()),
        ("many_evidence", vec![], "action 1 is invalid: 61 evidence items, more than the limit of 60".into()),
        ("nan_evidence", vec![], "action 1 is invalid: evidence item 1 has a non-finite value".into()),
        (
            "future_period",
            vec![],
            "the judged period ends at 2026-03-11T00:00:00Z, after the finished periods (which end at \
             2026-03-10T00:00:00Z): a period still receiving data is not judged"
                .into(),
        ),
        (
            "backwards_period",
            vec![],
            "the judged period starts at 2026-03-10 00:00:00 UTC but ends at 2026-03-03 00:00:00 UTC".into(),
        ),
    ] {
        let call = run(&a, mode, &extra).await;
        let detail = call.problem(StatusCode::BAD_GATEWAY, "plugin_invalid_result");
        assert!(detail.starts_with(prefix) && detail.contains(&fault), "{mode}: {detail}");
        assert!(detail.len() < 2_000, "{mode}: the refusal quotes little of the output: {} bytes", detail.len());
        named(&detail);
        failed.push(detail);
    }
    // Analytics past the finished periods are refused to the rule, which fails with the reason.
    let ahead = run(&a, "future_analytics", &[]).await;
    let detail = ahead.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
    assert!(
        detail.contains(
            "a rule judges finished periods only: this range ends at 2026-03-17T00:00:00Z, after the last finished \
             day, which ends at 2026-03-10T00:00:00Z"
        ),
        "{detail}"
    );
    named(&detail);
    failed.push(detail);
    // An unknown mode is the plugin's own error.
    let unknown = run(&a, "no_such_mode", &[]).await;
    let detail = unknown.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
    assert_eq!(detail, "plugin `hostile_rule` 0.0.1 returned an error: unknown mode `no_such_mode`");
    failed.push(detail);

    nothing_written(&a, &failed).await;
    a.assert_healthy().await;
    a_good_run_writes(&a).await;
}
