//! A hostile router on the live path: guest code that loops, recurses, grows, traps, floods
//! the log or probes WASI, SQL it may not run, failing, and garbage or oversized routes. Every
//! `POST /route` answers 200 within its deadline with the tenant's configured fallback and the
//! right cause, whose detail names the plugin and shows nothing of the host; the tenant routes
//! normally once switched back to the standard router, a bystander's decisions never change,
//! and fifty concurrent contacts at a looping router all get an answer.

use std::time::{Duration, Instant};

use cxhost::guests::test_guests::HOSTILE_ROUTER;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{Attacker, Timed, attacker, server, timed};

/// The configured fallback decision of the attacking tenants: not what the hostile router
/// answers (crowd, the queue, priority 5), so that it is told apart.
fn fallback() -> Value {
    json!({"pool": "in_house", "skill": "fallback-skill", "priority": 3})
}

async fn set_router(key: &str, tenant: &str, router: &str, params: Value, deadline_ms: u64) {
    let body = json!({"router": router, "params": params, "deadline_ms": deadline_ms, "fallback": fallback()});
    let reply = server().put_json(key, &format!("/v1/tenants/{tenant}/routing"), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{tenant}: {}", reply.body);
}

async fn route(key: &str, tenant: &str, contact_id: &str) -> Timed {
    let body = json!({"contact_id": contact_id, "channel": "voice", "queue": "billing",
        "contact_reason": "billing", "customer_id": "x"});
    timed(server().post_json(key, &format!("/v1/tenants/{tenant}/route"), body)).await
}

/// Asserts text a client sees shows nothing of the host.
fn clean(what: &str, text: &str) {
    let dir = server().data_dir.canonicalize().unwrap();
    for leak in [&*dir.to_string_lossy(), "/work/", "/root", ".rs:", "panicked", "/tmp/"] {
        assert!(!text.contains(leak), "{what}: `{leak}` shown to the client: {text}");
    }
}

/// Asserts `call` is the configured fallback decision for `cause`, returning the detail.
fn configured_fallback(what: &str, call: &Timed, cause: &str) -> String {
    let body = &call.reply.body;
    assert_eq!(call.reply.status, StatusCode::OK, "{what}: {body}");
    assert_eq!(body["served_as"], "configured_fallback", "{what}: {body}");
    assert_eq!(body["fallback"]["cause"], cause, "{what}: {body}");
    assert_eq!(body["pool"], "in_house", "{what}: {body}");
    assert_eq!(body["skill"], "fallback-skill", "{what}: {body}");
    assert_eq!(body["priority"], 3, "{what}: {body}");
    assert_eq!(body["agents"], json!([]), "{what}: {body}");
    assert!(body["version"].is_null(), "{what}: {body}");
    assert_eq!(body["reason"], format!("configured fallback ({cause})"), "{what}: {body}");
    let detail = body["fallback"]["detail"].as_str().unwrap().to_string();
    clean(what, &detail);
    detail
}

/// An attacking tenant that also holds the hostile router.
async fn router_attacker(tenant: &str) -> Attacker {
    let a = attacker(tenant).await;
    let uploaded = server().upload(&a.key, tenant, crate::util::guest(HOSTILE_ROUTER)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    a
}

/// A tenant routing with the standard router, and the decision it makes for one contact.
async fn route_bystander(tenant: &str) -> (String, Value) {
    let s = server();
    let key = s.tenant(tenant).await;
    s.load_fixture(&key, tenant).await;
    let built = s.post_json(&key, &format!("/v1/tenants/{tenant}/routing/snapshot"), json!({})).await;
    assert_eq!(built.status, StatusCode::OK, "{}", built.body);
    let first = route(&key, tenant, "b-1").await;
    assert_eq!(first.reply.status, StatusCode::OK, "{}", first.reply.body);
    assert_eq!(first.reply.body["served_as"], "standard", "{}", first.reply.body);
    assert!(first.reply.body["fallback"].is_null(), "{}", first.reply.body);
    (key, decision(&first.reply.body))
}

/// The decision itself, without latency and snapshot time.
fn decision(body: &Value) -> Value {
    json!({
        "pool": body["pool"], "skill": body["skill"], "priority": body["priority"], "agents": body["agents"],
        "reason": body["reason"], "router": body["router"], "version": body["version"],
        "served_as": body["served_as"], "fallback": body["fallback"],
    })
}

/// The bystander decides the same contact exactly as before, quickly.
async fn assert_route_bystander(key: &str, tenant: &str, before: &Value) {
    let again = route(key, tenant, "b-1").await;
    assert_eq!(again.reply.status, StatusCode::OK, "{}", again.reply.body);
    assert_eq!(&decision(&again.reply.body), before, "the bystander's decision changed");
    assert!(again.elapsed < Duration::from_secs(1), "the bystander waited {:?}", again.elapsed);
}

#[tokio::test]
async fn hostile_router_falls_back_with_the_cause_and_shows_nothing_of_the_host() {
    let a = router_attacker("rt-hostile").await;
    let (by_key, by_before) = route_bystander("rt-bystander").await;
    let (key, tenant) = (a.key.as_str(), a.tenant.as_str());
    // The plugin's own answer first (the tenant's first decision sets up its places).
    set_router(key, tenant, "hostile_router", json!({"mode": "normal"}), 50).await;
    let normal = route(key, tenant, "c1").await;
    assert_eq!(normal.reply.status, StatusCode::OK, "{}", normal.reply.body);
    assert_eq!(normal.reply.body["served_as"], "active", "{}", normal.reply.body);
    assert_eq!(normal.reply.body["reason"], "hostile-router normal", "{}", normal.reply.body);

    // A loop ends at the 20 ms deadline: the answer comes well within a second.
    set_router(key, tenant, "hostile_router", json!({"mode": "loop"}), 20).await;
    for i in 0..3 {
        let call = route(key, tenant, &format!("loop-{i}")).await;
        let detail = configured_fallback("loop", &call, "timeout");
        assert_eq!(detail, "plugin `hostile_router` 0.0.1 ran past its deadline of 20 ms and was stopped");
        assert!(call.elapsed < Duration::from_secs(1), "loop: answered after {:?}", call.elapsed);
        eprintln!("hostile_router loop: answered after {} ms", call.elapsed.as_millis());
    }

    let timeout = "ran past its deadline of 50 ms and was stopped";
    let invalid = "returned an invalid result: ";
    let cases: Vec<(&str, Value, u64, &str, Vec<&str>)> = vec![
        ("sql_loop", json!({"sql": "SELECT count(*) FROM range(3000000)"}), 50, "timeout", vec![timeout]),
        ("log_flood", json!({"size": 100}), 50, "timeout", vec![timeout]),
        ("grow", json!({}), 1000, "memory_cap", vec!["was stopped: memory cap of 67108864 bytes reached"]),
        ("trap", json!({}), 50, "trap", vec!["trapped:", "unreachable"]),
        ("recurse", json!({}), 1000, "trap", vec!["trapped:", "stack"]),
        (
            "huge_reason",
            json!({}),
            50,
            "invalid_result",
            vec![invalid, "the reason has 1048576 bytes, more than the limit of 300"],
        ),
        ("control_chars", json!({}), 50, "invalid_result", vec![invalid, "the reason contains the control character"]),
        ("bad_priority", json!({}), 50, "invalid_result", vec![invalid, "priority 0 is outside 1 to 10"]),
        ("bad_priority", json!({"n": 11}), 50, "invalid_result", vec![invalid, "priority 11 is outside 1 to 10"]),
        ("too_many_agents", json!({}), 50, "invalid_result", vec![invalid, "11 preferred agents, more than 10"]),
        ("bad_skill", json!({}), 50, "invalid_result", vec![invalid, "the skill `", "must be on one line"]),
        ("bad_agent", json!({}), 50, "invalid_result", vec![invalid, "a preferred agent `", "must be on one line"]),
        ("fail", json!({}), 50, "plugin_error", vec!["returned an error: hostile-router fails as asked"]),
        ("huge_error", json!({}), 1000, "plugin_error", vec!["returned an error: line with /etc/passwd", "… (cut)"]),
        (
            "wasi_file",
            json!({}),
            50,
            "plugin_error",
            vec!["returned an error: No such file or directory (os error 44)"],
        ),
    ];
    for (mode, extra, deadline_ms, cause, parts) in cases {
        let mut params = extra.as_object().unwrap().clone();
        params.insert("mode".into(), json!(mode));
        set_router(key, tenant, "hostile_router", Value::Object(params), deadline_ms).await;
        let call = route(key, tenant, &format!("{mode}-1")).await;
        eprintln!("hostile_router {mode}: answered after {} ms", call.elapsed.as_millis());
        let detail = configured_fallback(mode, &call, cause);
        assert!(detail.starts_with("plugin `hostile_router` 0.0.1 "), "{mode}: {detail}");
        assert!(detail.len() < 2_200, "{mode}: the detail is cut: {} bytes", detail.len());
        for part in parts {
            assert!(detail.contains(part), "{mode}: expected `{part}` in: {detail}");
        }
        let bound = Duration::from_millis(deadline_ms + 500);
        assert!(call.elapsed < bound, "{mode}: answered after {:?}, more than {bound:?}", call.elapsed);
        // The raw response shows nothing of the host either.
        clean(mode, &call.reply.text);
    }

    // SQL on the live path: the host refuses it, and the router says so in its reason (it
    // fails instead if the query answers).
    let victim = server().data_dir.canonicalize().unwrap().join("tenants/bystander/data.duckdb");
    for sql in [
        "SELECT 1 AS x".to_string(),
        "SELECT * FROM customer_feedback".to_string(),
        format!("ATTACH '{}' AS v", victim.display()),
        "SELECT * FROM read_text('/etc/passwd')".to_string(),
    ] {
        set_router(key, tenant, "hostile_router", json!({"mode": "sql", "sql": sql}), 50).await;
        let call = route(key, tenant, "sql-1").await;
        let body = &call.reply.body;
        assert_eq!(call.reply.status, StatusCode::OK, "`{sql}`: {body}");
        assert_eq!(body["served_as"], "active", "`{sql}`: the host's refusal, not data: {body}");
        assert_eq!(
            body["reason"], "routers run on the live path and read the `roster` snapshot, not SQL",
            "`{sql}`: {body}"
        );
        clean(&sql, &call.reply.text);
    }

    // Back to the standard router: the tenant routes normally.
    set_router(key, tenant, "standard_router", json!({}), 50).await;
    let standard = route(key, tenant, "after-1").await;
    assert_eq!(standard.reply.status, StatusCode::OK, "{}", standard.reply.body);
    assert_eq!(standard.reply.body["served_as"], "standard", "{}", standard.reply.body);
    assert_eq!(standard.reply.body["router"], "standard_router", "{}", standard.reply.body);
    assert!(standard.reply.body["fallback"].is_null(), "{}", standard.reply.body);
    // The fallbacks were logged with their causes.
    let log = server().get(key, &format!("/v1/tenants/{tenant}/routing/decisions?limit=100")).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    clean("the decision log", &log.text);

    assert_route_bystander(&by_key, "rt-bystander", &by_before).await;
    a.assert_healthy().await;
}

#[tokio::test]
async fn fifty_concurrent_contacts_at_a_looping_router_all_get_an_answer() {
    let a = router_attacker("rt-concurrent").await;
    let (by_key, by_before) = route_bystander("rt-bystander-c").await;
    let (key, tenant) = (a.key.clone(), a.tenant.clone());
    set_router(&key, &tenant, "hostile_router", json!({"mode": "loop"}), 20).await;
    let started = Instant::now();
    let contacts = (0..50).map(|i| {
        let (key, tenant) = (key.clone(), tenant.clone());
        tokio::spawn(async move { route(&key, &tenant, &format!("burst-{i}")).await })
    });
    let health = tokio::spawn(async {
        let started = Instant::now();
        let reply = server().get("", "/healthz").await;
        (reply.status, started.elapsed())
    });
    let answers = join_all(contacts).await;
    let elapsed = started.elapsed();
    let mut causes = std::collections::BTreeMap::<String, u32>::new();
    for answer in answers {
        let call = answer.expect("the request task ends");
        let cause = call.reply.body["fallback"]["cause"].as_str().unwrap_or("none").to_string();
        assert!(cause == "timeout" || cause == "busy", "{}", call.reply.body);
        configured_fallback("a burst at a looping router", &call, &cause);
        *causes.entry(cause).or_default() += 1;
    }
    eprintln!("50 concurrent contacts at a looping router: {causes:?} in {} ms", elapsed.as_millis());
    assert!(elapsed < Duration::from_secs(10), "the burst took {elapsed:?}");
    let (status, waited) = health.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(waited < Duration::from_secs(2), "/healthz waited {waited:?}");
    assert_route_bystander(&by_key, "rt-bystander-c", &by_before).await;
    // Back to the standard router: the tenant routes normally.
    set_router(&key, &tenant, "standard_router", json!({}), 50).await;
    let standard = route(&key, &tenant, "after-1").await;
    assert_eq!(standard.reply.body["served_as"], "standard", "{}", standard.reply.body);
    a.assert_healthy().await;
}
