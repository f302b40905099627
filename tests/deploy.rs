//! The plugin lifecycle: uploads refused when they are no component of a known world,
//! versions, atomic activation under load, rollback, canary, shadow runs, failure policy,
//! audit, and restarts.

use std::collections::BTreeMap;

use cxhost::guests::test_guests::{CUSTOM_AHT, TAGGED_BROKEN, TAGGED_V1, TAGGED_V2, WRONG_WORLD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::util::{self, Reply, app, guest, server};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

/// group → value of a metric reply.
fn values(reply: &Reply) -> BTreeMap<String, f64> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["group"].as_str().unwrap().to_string(), r["value"].as_f64().unwrap()))
        .collect()
}

fn scaled(base: &BTreeMap<String, f64>, factor: f64) -> BTreeMap<String, f64> {
    base.iter().map(|(g, v)| (g.clone(), v * factor)).collect()
}

/// A tenant with the fixture loaded and `tagged` 1.0.0 active, 2.0.0 stored; returns
/// (key, hash of 1.0.0, hash of 2.0.0, contacts per agent).
async fn tagged_tenant(tenant: &str) -> (String, String, String, BTreeMap<String, f64>) {
    let s = server();
    let key = s.tenant(tenant).await;
    s.load_fixture(&key, tenant).await;
    let v1 = s.upload(&key, tenant, guest(TAGGED_V1)).await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.body);
    assert_eq!(v1.body["active"], true);
    let v2 = s.upload_with(&key, tenant, guest(TAGGED_V2), "?activate=false").await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    assert_eq!(v2.body["active"], false);
    let base = values(&s.metric(&key, tenant, "tagged", &format!("{RANGE}&group_by=agent")).await);
    assert!(base.len() >= 3 && base.values().all(|v| *v >= 1.0), "{base:?}");
    let hash = |r: &Reply| r.body["hash"].as_str().unwrap().to_string();
    (key, hash(&v1), hash(&v2), base)
}

fn plugin_path(tenant: &str, what: &str) -> String {
    format!("/v1/tenants/{tenant}/plugins/tagged/{what}")
}

#[tokio::test]
async fn swapping_versions_under_load_fails_no_request_and_each_answer_comes_from_one_version() {
    let s = server();
    let (key, v1, v2, base) = tagged_tenant("swap").await;
    let query = format!("{RANGE}&group_by=agent");
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (key, query, base) = (key.clone(), query.clone(), base.clone());
        clients.push(tokio::spawn(async move {
            let s = server();
            let mut versions = BTreeMap::<String, u32>::new();
            for _ in 0..60 {
                let reply = s.metric(&key, "swap", "tagged", &query).await;
                let version = reply.body["plugin"]["version"].as_str().unwrap_or("none").to_string();
                let factor = match version.as_str() {
                    "1.0.0" => 1.0,
                    "2.0.0" => 2.0,
                    other => panic!("answered by unexpected version {other}: {}", reply.body),
                };
                assert_eq!(values(&reply), scaled(&base, factor), "every row from version {version}");
                *versions.entry(version).or_default() += 1;
            }
            versions
        }));
    }
    for i in 0..30 {
        let hash = if i % 2 == 0 { &v2 } else { &v1 };
        let reply = s.post_json(&key, &plugin_path("swap", "activate"), json!({ "hash": hash })).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let mut seen = BTreeMap::<String, u32>::new();
    for client in clients {
        for (version, n) in client.await.expect("no request failed") {
            *seen.entry(version).or_default() += n;
        }
    }
    assert_eq!(seen.values().sum::<u32>(), 240);
    assert!(seen.len() == 2, "both versions answered while they were swapped: {seen:?}");
}

#[tokio::test]
async fn rollback_restores_the_earlier_output_and_everything_is_audited() {
    let s = server();
    let (key, v1, v2, base) = tagged_tenant("rollback").await;
    let query = format!("{RANGE}&group_by=agent");
    let activated = s.post_json(&key, &plugin_path("rollback", "activate"), json!({ "hash": &v2[..10] })).await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.body);
    assert_eq!(activated.body["active_hash"], v2.as_str());
    assert_eq!(activated.body["previous_hash"], v1.as_str());
    assert_eq!(values(&s.metric(&key, "rollback", "tagged", &query).await), scaled(&base, 2.0));

    let rolled = s.post_json(&key, &plugin_path("rollback", "rollback"), json!({})).await;
    assert_eq!(rolled.body["active_hash"], v1.as_str(), "{}", rolled.body);
    let reply = s.metric(&key, "rollback", "tagged", &query).await;
    assert_eq!(reply.body["plugin"]["version"], "1.0.0");
    assert_eq!(values(&reply), base);

    let again = s.post_json(&key, &plugin_path("rollback", "rollback"), json!({ "hash": v2 })).await;
    assert_eq!(again.body["active_hash"], v2.as_str());
    let same = s.post_json(&key, &plugin_path("rollback", "activate"), json!({ "hash": v2 })).await;
    assert_eq!(same.status, StatusCode::CONFLICT);
    let unknown = s.post_json(&key, &plugin_path("rollback", "activate"), json!({ "hash": "0123456789ab" })).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["code"], "version_not_found");

    let garbled = s
        .send(
            s.client
                .post(format!("{}{}", s.base, plugin_path("rollback", "activate")))
                .header("content-type", "application/json")
                .body("{\"hash\":"),
            &key,
        )
        .await;
    assert_eq!((garbled.status, garbled.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")));
    let versions = s.get(&key, &plugin_path("rollback", "versions")).await;
    assert_eq!(versions.body["versions"].as_array().unwrap().len(), 2, "{}", versions.body);

    let audit = s.get(&key, "/v1/tenants/rollback/audit?plugin=tagged").await;
    let entries: Vec<(String, Value, Value)> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["from_hash"].clone(), e["to_hash"].clone()))
        .collect();
    assert_eq!(
        entries,
        vec![
            ("plugin.upload".to_string(), Value::Null, json!(v1)),
            ("plugin.activate".to_string(), Value::Null, json!(v1)),
            ("plugin.upload".to_string(), Value::Null, json!(v2)),
            ("plugin.activate".to_string(), json!(v1), json!(v2)),
            ("plugin.rollback".to_string(), json!(v2), json!(v1)),
            ("plugin.rollback".to_string(), json!(v1), json!(v2)),
        ]
    );
    assert!(audit.body[0]["actor"].as_str().unwrap().starts_with("tenant_admin:"));
}

#[tokio::test]
async fn a_canary_takes_close_to_its_share_and_each_subject_stays_on_its_side() {
    let s = server();
    let (key, _v1, v2, _base) = tagged_tenant("canary").await;
    let started = s.put_json(&key, &plugin_path("canary", "canary"), json!({ "hash": v2, "percent": 30 })).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let mut side = BTreeMap::new();
    for i in 0..300 {
        let reply = s.metric(&key, "canary", "tagged", &format!("{RANGE}&group_by=total&subject=agent-{i}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        side.insert(i, reply.body["served_as"].as_str().unwrap().to_string());
    }
    let canaries = side.values().filter(|s| *s == "canary").count();
    assert!((60..=120).contains(&canaries), "{canaries} of 300 subjects took a 30% canary");
    assert!(side.values().all(|s| s == "canary" || s == "active"));
    for i in 0..60 {
        let reply = s.metric(&key, "canary", "tagged", &format!("{RANGE}&group_by=total&subject=agent-{i}")).await;
        assert_eq!(reply.body["served_as"].as_str().unwrap(), side[&i], "subject agent-{i} switched sides");
    }
    let stats = s.get(&key, &plugin_path("canary", "stats")).await;
    let calls_of = |version: &str| {
        stats.body.as_array().unwrap().iter().find(|v| v["version"] == version).map(|v| v["calls"].as_u64().unwrap())
    };
    let repeated = (0..60).filter(|i| side[i] == "canary").count() as u64;
    assert_eq!(calls_of("2.0.0"), Some(canaries as u64 + repeated), "{}", stats.body);
    assert!(stats.body[0]["p50_ms"].as_f64().unwrap() > 0.0);

    let stopped = s.delete(&key, &plugin_path("canary", "canary")).await;
    assert_eq!(stopped.body["canary_hash"], Value::Null);
    let reply = s.metric(&key, "canary", "tagged", &format!("{RANGE}&subject=agent-0")).await;
    assert_eq!(reply.body["served_as"], "active");
    let bad = s.put_json(&key, &plugin_path("canary", "canary"), json!({ "hash": v2, "percent": 130 })).await;
    assert_eq!((bad.status, bad.body["field"].clone()), (StatusCode::BAD_REQUEST, json!("percent")));
}

#[tokio::test]
async fn a_shadow_run_reports_how_the_candidate_differs_without_serving_it() {
    let s = server();
    let (key, v1, v2, base) = tagged_tenant("shadow").await;
    let started = s.put_json(&key, &plugin_path("shadow", "shadow"), json!({ "hash": v2 })).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    for _ in 0..3 {
        let reply = s.metric(&key, "shadow", "tagged", &format!("{RANGE}&group_by=agent")).await;
        assert_eq!(values(&reply), base, "the shadow's output is never served");
        assert_eq!(reply.body["plugin"]["hash"], v1.as_str());
    }
    let mut report = Value::Null;
    for _ in 0..100 {
        report = s.get(&key, &plugin_path("shadow", "shadow")).await.body;
        if report["calls_compared"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let agents = base.len() as u64;
    assert_eq!(report["calls_compared"], 3, "{report}");
    assert_eq!(report["calls_differing"], 3);
    assert_eq!(report["groups_compared"], 3 * agents);
    assert_eq!(report["groups_differing"], 3 * agents);
    let (top_agent, top_count) = base.iter().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0))).unwrap();
    assert_eq!(report["largest"][0]["group"], top_agent.as_str(), "{report}");
    assert_eq!(report["largest"][0]["active"], *top_count);
    assert_eq!(report["largest"][0]["candidate"], top_count * 2.0);
    assert_eq!(report["agents_most_affected"][0]["agent"], top_agent.as_str());
    assert_eq!(report["agents_most_affected"][0]["rows_differing"], 3);
    assert_eq!(report["agents_most_affected"][0]["total_abs_diff"], top_count * 3.0);

    let run = s
        .post_json(
            &key,
            &plugin_path("shadow", "shadow/run"),
            json!({ "hash": v2, "from": "2026-03-02", "to": "2026-03-09", "group_by": "agent" }),
        )
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert_eq!(run.body["groups_differing"], agents);
    assert_eq!(run.body["candidate_version"], "2.0.0");
    assert_eq!(run.body["active_version"], "1.0.0");
    let stopped = s.delete(&key, &plugin_path("shadow", "shadow")).await;
    assert_eq!(stopped.body["shadow_hash"], Value::Null);
}

#[tokio::test]
async fn a_failing_version_returns_its_error_or_falls_back_as_the_policy_says() {
    let s = server();
    let (key, v1, _v2, base) = tagged_tenant("fallback").await;
    let broken = s.upload(&key, "fallback", guest(TAGGED_BROKEN)).await;
    assert_eq!(broken.status, StatusCode::CREATED, "{}", broken.body);
    let query = format!("{RANGE}&group_by=agent");
    let failed = s.metric(&key, "fallback", "tagged", &query).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.body);
    assert_eq!(failed.body["code"], "plugin_trap");
    assert!(failed.body["detail"].as_str().unwrap().starts_with("plugin `tagged` 3.0.0-broken trapped"));

    let policy = s.put_json(&key, &plugin_path("fallback", "policy"), json!({ "on_failure": "fallback" })).await;
    assert_eq!(policy.body["on_failure"], "fallback", "{}", policy.body);
    let answered = s.metric(&key, "fallback", "tagged", &query).await;
    assert_eq!(values(&answered), base);
    assert_eq!(answered.body["served_as"], "fallback");
    assert_eq!(answered.body["plugin"]["hash"], v1.as_str());
    assert_eq!(answered.body["fallback"]["failed_version"], "3.0.0-broken");
    assert!(answered.body["fallback"]["reason"].as_str().unwrap().contains("trapped"), "{}", answered.body);

    let stats = s.get(&key, &plugin_path("fallback", "stats")).await;
    let broken_stats = stats.body.as_array().unwrap().iter().find(|v| v["version"] == "3.0.0-broken").unwrap();
    assert_eq!((broken_stats["calls"].clone(), broken_stats["errors"].clone()), (json!(2), json!(2)));
    assert_eq!(broken_stats["fallbacks"], 1);
}

#[tokio::test]
async fn wrong_world_and_non_component_uploads_are_refused_with_the_reason() {
    let s = app();
    let key = s.tenant("worlds").await;
    let wrong = s.upload(&key, "worlds", guest(WRONG_WORLD)).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert_eq!(wrong.body["code"], "wrong_world");
    assert!(wrong.body["detail"].as_str().unwrap().contains("metric"), "{}", wrong.body);
    let core_module = b"\0asm\x01\0\0\0".to_vec();
    let reply = s.upload(&key, "worlds", core_module).await;
    assert_eq!(reply.body["code"], "not_a_component", "{}", reply.body);
    let versions = s.get(&key, "/v1/tenants/worlds/plugins/wrong_world/versions").await;
    assert_eq!(versions.status, StatusCode::NOT_FOUND, "nothing was stored: {}", versions.body);
}

#[tokio::test]
async fn garbage_uploads_are_refused_with_the_reason() {
    let s = app();
    let key = s.tenant("garbage").await;
    let reply = s.upload(&key, "garbage", b"definitely not wasm".to_vec()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert_eq!(reply.body["code"], "not_a_component");
    let mut truncated = guest(CUSTOM_AHT);
    truncated.truncate(truncated.len() / 2);
    let reply = s.upload(&key, "garbage", truncated).await;
    assert_eq!(reply.body["code"], "not_a_component", "{}", reply.body);
}

#[test]
fn a_restart_keeps_the_active_version_and_compiles_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _entered = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        let mut config = cxhost::Config::new(dir.path());
        config.operator_key = Some(util::OPERATOR_KEY.to_string());
        cxhost::Services::open(config).expect("server state opens").0
    };
    let (v1, v2) = {
        let state = open();
        state.system.create_tenant("restart", "restart", "test").unwrap();
        let upload = |name: &str| state.registry.upload(&state.system, "restart", &guest(name), "test").unwrap();
        let (v1, v2) = (upload(TAGGED_V1).row.hash, upload(TAGGED_V2).row.hash);
        for hash in [&v1, &v2] {
            state.deployments.activate(&state.system, &state.registry, "restart", "tagged", hash, "test").unwrap();
        }
        (v1, v2)
    };
    let state = open();
    assert_eq!(state.registry.runtime().compilations(), 0, "everything came from the compiled cache");
    let deployment = state.deployments.get("restart", "tagged").expect("deployment survived");
    assert_eq!(deployment.row.active_hash.as_deref(), Some(v2.as_str()));
    assert_eq!(deployment.row.previous_hash.as_deref(), Some(v1.as_str()));
    let plan = state.deployments.plan(&state.registry, "restart", "tagged", "anyone").unwrap();
    assert_eq!(plan.serve.info.version, "2.0.0");
}
