//! End-to-end tests: a real server on a loopback port, real DuckDB files, real Wasm
//! components built from `plugins/` and `examples/`.

mod analytics;
mod browser;
mod crash;
mod dashboards;
mod deploy;
mod game;
mod pay;
mod ui_session;
mod util;

use reqwest::StatusCode;
use serde_json::{Value, json};
use util::{OPERATOR_KEY, Reply, guest, server};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

fn expected() -> Value {
    let text = std::fs::read_to_string(util::fixture_dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(actual: &Value, expected: &Value) -> bool {
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(e)) => (a - e).abs() <= 1e-9 * e.abs().max(1.0),
        _ => actual.is_null() && expected.is_null(),
    }
}

/// Compares a metric reply's rows with expected rows (group, numerator, denominator, value).
fn assert_rows(what: &str, reply: &Reply, expected_rows: &Value) {
    assert_eq!(reply.status, StatusCode::OK, "{what}: {}", reply.body);
    let rows = reply.body["rows"].as_array().unwrap();
    let expected_rows = expected_rows.as_array().unwrap();
    let groups = |rows: &[Value]| rows.iter().map(|r| r["group"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(groups(rows), groups(expected_rows), "{what}: groups differ");
    for (row, want) in rows.iter().zip(expected_rows) {
        for field in ["value", "numerator", "denominator"] {
            if want.get(field).is_some() {
                assert!(
                    close(&row[field], &want[field]),
                    "{what} group {}: {field} is {} but should be {}",
                    row["group"],
                    row[field],
                    want[field]
                );
            }
        }
    }
}

#[tokio::test]
async fn every_standard_metric_matches_the_hand_computed_fixture() {
    let s = server();
    let key = s.tenant("handcheck").await;
    s.load_fixture(&key, "handcheck").await;
    let expected = expected();
    let mut checked = 0;
    for (entry, by_group) in expected.as_object().unwrap() {
        if entry == "range" || entry == "errors" || entry == "custom_aht" {
            continue;
        }
        let (metric, params) = entry.split_once('?').unwrap_or((entry, ""));
        for (group_by, rows) in by_group.as_object().unwrap() {
            let mut query = format!("{RANGE}&group_by={group_by}");
            if !params.is_empty() {
                query = format!("{query}&{params}");
            }
            let reply = s.metric(&key, "handcheck", metric, &query).await;
            assert_rows(&format!("{entry} by {group_by}"), &reply, rows);
            assert_eq!(reply.body["plugin"]["source"], "standard");
            checked += 1;
        }
    }
    assert!(checked >= 28, "only {checked} metric/grouping pairs were checked");
    for (metric, group_bys) in expected["errors"].as_object().unwrap() {
        for group_by in group_bys.as_array().unwrap() {
            let reply =
                s.metric(&key, "handcheck", metric, &format!("{RANGE}&group_by={}", group_by.as_str().unwrap())).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{metric} by {group_by}: {}", reply.body);
            assert_eq!(reply.body["code"], "plugin_error");
            assert!(
                reply.body["detail"].as_str().unwrap().contains(&format!("plugin `{metric}` 1.0.0")),
                "{}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn every_standard_metric_is_listed_with_its_definition() {
    let s = server();
    let key = s.tenant("listing").await;
    let reply = s.get(&key, "/v1/tenants/listing/plugins").await;
    assert_eq!(reply.status, StatusCode::OK);
    let names: Vec<&str> = reply.body.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for metric in [
        "abandon_rate",
        "aht",
        "asa",
        "attendance",
        "ces",
        "containment",
        "conversion",
        "csat",
        "enps",
        "fcr",
        "nps",
        "occupancy",
        "qa_score",
        "schedule_adherence",
        "sentiment",
        "service_level",
        "survey_item",
        "transfer_rate",
    ] {
        assert!(names.contains(&metric), "{metric} missing from {names:?}");
    }
    let service_level = reply.body.as_array().unwrap().iter().find(|p| p["name"] == "service_level").unwrap();
    assert_eq!(service_level["kind"], "metric");
    let params: Vec<&str> =
        service_level["params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(params.contains(&"threshold_seconds"), "{params:?}");
    assert!(service_level["description"].as_str().unwrap().len() > 40);
}

#[tokio::test]
async fn a_tenant_plugin_replaces_a_standard_metric_for_that_tenant_only() {
    let s = server();
    let acme = s.tenant("acme").await;
    let other = s.tenant("globex").await;
    s.load_fixture(&acme, "acme").await;
    s.load_fixture(&other, "globex").await;
    let uploaded = s.upload(&acme, "acme", guest("custom_aht")).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    assert_eq!(uploaded.body["name"], "aht");
    assert_eq!(uploaded.body["version"], "2.0.0-acme");

    let expected = expected();
    let acme_aht = s.metric(&acme, "acme", "aht", &format!("{RANGE}&group_by=total")).await;
    assert_rows("acme aht", &acme_aht, &expected["custom_aht"]["total"]);
    assert_eq!(acme_aht.body["plugin"]["source"], "tenant");
    assert_eq!(acme_aht.body["plugin"]["version"], "2.0.0-acme");

    let globex_aht = s.metric(&other, "globex", "aht", &format!("{RANGE}&group_by=total")).await;
    assert_rows("globex aht", &globex_aht, &expected["aht"]["total"]);
    assert_eq!(globex_aht.body["plugin"]["source"], "standard");

    let again = s.upload(&acme, "acme", guest("custom_aht")).await;
    assert_eq!(again.body["hash"], uploaded.body["hash"], "same bytes, same version");
}

const AGENTS_CSV: &str = "agent_id,employment_type,team,site\nx1,employee,north,berlin\nx2,crowd,south,home\n";

#[tokio::test]
async fn a_bad_batch_is_rejected_with_row_and_column_and_writes_nothing() {
    let s = server();
    let key = s.tenant("strict").await;
    assert_eq!(s.upload(&key, "strict", guest("cxhost_test_read_other_tenant")).await.status, StatusCode::CREATED);
    let loaded = s.ingest(&key, "strict", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    assert_eq!(loaded.body["inserted"], 2);

    let batch = "interaction_id,customer_id,agent_id,channel,queue,offered_at,answered_at,ended_at,outcome,talk_seconds\n\
                 i1,c1,x1,voice,billing,2026-03-02T09:00:00Z,2026-03-02T09:00:20Z,2026-03-02T09:05:00Z,handled,200\n\
                 i2,c2,x1,voice,billing,2026-03-02T09:10:00Z,2026-03-02T09:09:00Z,2026-03-02T09:15:00Z,handled,100\n\
                 i3,c3,nobody,chat,billing,2026-03-02T09:20:00Z,2026-03-02T09:20:05Z,2026-03-02T09:25:00Z,handled,100\n\
                 i4,c4,x2,fax,billing,2026-03-02T09:30:00Z,2026-03-02T09:30:05Z,2026-03-02T09:35:00Z,handled,abc\n";
    let rejected = s.ingest(&key, "strict", "interactions", "", "text/csv", batch.into()).await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", rejected.body);
    assert_eq!(rejected.body["code"], "batch_rejected");
    let report = &rejected.body["report"];
    assert_eq!(report["committed"], false);
    assert_eq!(report["rows_received"], 4);
    assert_eq!(report["rejected"], 3);
    let errors: Vec<(u64, String, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (2, "answered_at".into(), "answered_at is before offered_at".into()),
            (3, "agent_id".into(), "unknown agent_id 'nobody' (not in agents)".into()),
            (4, "channel".into(), "'fax' is not one of voice, chat, email, messaging, self_service".into()),
            (4, "talk_seconds".into(), "'abc' is not a valid integer".into()),
        ]
    );
    let count = s.count_rows(&key, "strict", "SELECT * FROM interactions").await;
    assert_eq!(count.body["rows"][0]["value"], 0.0, "nothing written: {}", count.body);

    let partial = s.ingest(&key, "strict", "interactions", "?mode=load_valid", "text/csv", batch.into()).await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.body);
    assert_eq!(partial.body["inserted"], 1);
    assert_eq!(partial.body["rejected"], 3);
    assert_eq!(partial.body["errors"].as_array().unwrap().len(), 4);
    let count = s.count_rows(&key, "strict", "SELECT * FROM interactions").await;
    assert_eq!(count.body["rows"][0]["value"], 1.0);
}

#[tokio::test]
async fn resending_a_batch_changes_nothing_and_replace_overwrites() {
    let s = server();
    let key = s.tenant("resend").await;
    let first = s.ingest(&key, "resend", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!((first.body["inserted"].clone(), first.body["unchanged"].clone()), (json!(2), json!(0)));
    let again = s.ingest(&key, "resend", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!((again.body["inserted"].clone(), again.body["unchanged"].clone()), (json!(0), json!(2)));
    let moved = "agent_id,employment_type,team,site\nx1,employee,south,berlin\n";
    let replaced = s.ingest(&key, "resend", "agents", "?on_conflict=replace", "text/csv", moved.into()).await;
    assert_eq!(replaced.body["replaced"], 1, "{}", replaced.body);
    assert_eq!(replaced.body["inserted"], 0);
}

#[tokio::test]
async fn json_ndjson_and_parquet_batches_load_like_csv() {
    let s = server();
    let key = s.tenant("formats").await;
    let ndjson = "{\"agent_id\":\"n1\",\"employment_type\":\"contractor\",\"team\":\"t\",\"site\":\"home\"}\n\
                  {\"agent_id\":\"n2\",\"employment_type\":\"crowd\",\"team\":\"t\",\"site\":\"home\",\"hired_at\":\"2025-01-02\"}\n";
    let reply = s.ingest(&key, "formats", "agents", "", "application/x-ndjson", ndjson.into()).await;
    assert_eq!(reply.body["inserted"], 2, "{}", reply.body);
    let array = json!([{"agent_id": "j1", "employment_type": "employee", "team": "t", "site": "berlin"}]).to_string();
    let reply = s.ingest(&key, "formats", "agents", "", "application/json", array.into()).await;
    assert_eq!(reply.body["inserted"], 1, "{}", reply.body);

    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("agents.parquet");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT 'p' || i AS agent_id, 'employee' AS employment_type, 't' AS team, 'berlin' AS site,
               DATE '2024-01-01' AS hired_at FROM range(3) r(i)) TO '{}' (FORMAT parquet)",
        parquet.display()
    ))
    .unwrap();
    let reply = s
        .ingest(&key, "formats", "agents", "", "application/vnd.apache.parquet", std::fs::read(&parquet).unwrap())
        .await;
    assert_eq!(reply.body["inserted"], 3, "{}", reply.body);

    let bad = "{\"agent_id\":\"n9\",\"employment_type\":\"robot\",\"team\":\"t\",\"site\":\"home\"}\n";
    let reply = s.ingest(&key, "formats", "agents", "", "application/x-ndjson", bad.into()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["report"]["errors"][0]["column"], "employment_type");
}

#[tokio::test]
async fn unknown_columns_and_unreadable_batches_get_clear_errors() {
    let s = server();
    let key = s.tenant("unknowns").await;
    let reply = s.ingest(&key, "unknowns", "agents", "", "text/csv", "agent_id,shoe_size\nx,42\n".into()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["code"], "unknown_columns");
    assert!(reply.body["detail"].as_str().unwrap().contains("shoe_size"));
    let reply = s.ingest(&key, "unknowns", "agents", "", "text/csv", "agent_id,team\nx,north\n".into()).await;
    assert_eq!(reply.body["code"], "missing_columns", "{}", reply.body);
    let reply = s.ingest(&key, "unknowns", "calls", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["code"], "unknown_table");
    let reply =
        s.ingest(&key, "unknowns", "agents", "", "application/vnd.apache.parquet", b"not parquet".to_vec()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["code"], "unreadable_batch");
    let reply = s.ingest(&key, "unknowns", "agents", "", "image/png", AGENTS_CSV.into()).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn runaway_plugins_are_stopped_and_the_server_keeps_answering() {
    let s = server();
    let key = s.tenant("runaway").await;
    s.load_fixture(&key, "runaway").await;
    let limits =
        json!({"deadline_ms": 300, "memory_bytes": 16 << 20, "max_rows_read": 1000, "max_result_bytes": 1 << 20});
    let reply = s.send(s.client.put(format!("{}/v1/tenants/runaway/limits", s.base)).json(&limits), OPERATOR_KEY).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for plugin in ["cxhost_test_spin_forever", "cxhost_test_grow_memory", "cxhost_test_read_other_tenant"] {
        assert_eq!(s.upload(&key, "runaway", guest(plugin)).await.status, StatusCode::CREATED);
    }

    let started = std::time::Instant::now();
    let spin = s.metric(&key, "runaway", "spin_forever", RANGE).await;
    assert_eq!(spin.status, StatusCode::GATEWAY_TIMEOUT, "{}", spin.body);
    assert_eq!(spin.body["code"], "plugin_timeout");
    assert_eq!(spin.body["detail"], "plugin `spin_forever` 0.0.1 ran past its deadline of 300 ms and was stopped");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    let grow = s.metric(&key, "runaway", "grow_memory", RANGE).await;
    assert_eq!(grow.status, StatusCode::BAD_GATEWAY, "{}", grow.body);
    assert_eq!(grow.body["code"], "plugin_memory_cap");
    assert!(
        grow.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("plugin `grow_memory` 0.0.1 was stopped: memory cap of 16777216 bytes")
    );

    let slow_sql = util::urlencode("SELECT count(*) AS n FROM range(100000000000) a");
    let slow = s.metric(&key, "runaway", "read_other_tenant", &format!("{RANGE}&sql={slow_sql}")).await;
    assert_eq!(slow.status, StatusCode::GATEWAY_TIMEOUT, "{}", slow.body);

    let many = s.count_rows(&key, "runaway", "SELECT * FROM range(5000)").await;
    assert_eq!(many.status, StatusCode::BAD_GATEWAY, "{}", many.body);
    assert_eq!(many.body["code"], "plugin_limit");
    assert!(many.body["detail"].as_str().unwrap().contains("read more than 1000 rows"));

    assert_eq!(s.get("", "/healthz").await.status, StatusCode::OK);
    let aht = s.metric(&key, "runaway", "aht", RANGE).await;
    assert_eq!(aht.status, StatusCode::OK, "a well-behaved plugin still answers: {}", aht.body);
}

#[tokio::test]
async fn plugin_sql_sees_only_its_own_tenant_and_cannot_write() {
    let s = server();
    let victim = s.tenant("victim").await;
    s.load_fixture(&victim, "victim").await;
    let key = s.tenant("snoop").await;
    assert_eq!(s.upload(&key, "snoop", guest("cxhost_test_read_other_tenant")).await.status, StatusCode::CREATED);
    let victim_db = s.data_dir.join("tenants/victim/data.duckdb");
    let victim_file = victim_db.display();
    let attempts = [
        format!("SELECT * FROM read_csv('{}')", s.data_dir.join("tenants/victim/staging/x.csv").display()),
        format!("SELECT * FROM read_blob('{victim_file}')"),
        format!("ATTACH '{victim_file}' AS v"),
        format!("SELECT * FROM '{victim_file}'"),
        "SELECT 1; DROP TABLE agents".to_string(),
        "DELETE FROM agents".to_string(),
        "SET enable_external_access = true".to_string(),
        "INSTALL httpfs".to_string(),
        "COPY agents TO '/tmp/cxhost-leak.csv'".to_string(),
        "SELECT * FROM read_text('/etc/passwd')".to_string(),
    ];
    for sql in &attempts {
        let reply = s.count_rows(&key, "snoop", sql).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{sql} should fail: {}", reply.body);
        assert_eq!(reply.body["code"], "plugin_error", "{sql}");
    }
    let own = s.count_rows(&key, "snoop", "SELECT * FROM agents").await;
    assert_eq!(own.body["rows"][0]["value"], 0.0, "snoop sees only its own (empty) agents table");
    let loaded = s.ingest(&key, "snoop", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(loaded.body["inserted"], 2, "{}", loaded.body);
    for sneaky in ["SELECT * FROM query('DELETE FROM agents')", "SELECT * FROM query('DROP TABLE agents')"] {
        s.count_rows(&key, "snoop", sneaky).await;
        let own = s.count_rows(&key, "snoop", "SELECT * FROM agents").await;
        assert_eq!(own.body["rows"][0]["value"], 2.0, "`{sneaky}` changed nothing: {}", own.body);
    }
    let victim_agents = s.metric(&victim, "victim", "aht", RANGE).await;
    assert_eq!(victim_agents.status, StatusCode::OK, "the victim's data is intact");
    assert!(!std::path::Path::new("/tmp/cxhost-leak.csv").exists());
}

#[tokio::test]
async fn keys_are_checked_for_role_and_tenant() {
    let s = server();
    let admin = s.tenant("roles").await;
    s.tenant("roles-other").await;
    let analyst = s.key("roles", "analyst").await;
    let ingest = s.key("roles", "ingest").await;
    assert_eq!(s.get("", "/v1/tenants/roles/plugins").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.get("cxk_wrong", "/v1/tenants/roles/plugins").await.body["code"], "unauthorized");
    assert_eq!(s.get(&analyst, "/v1/tenants/roles/plugins").await.status, StatusCode::OK);
    assert_eq!(s.get(&analyst, "/v1/tenants/roles-other/plugins").await.status, StatusCode::FORBIDDEN);
    let by_analyst = s.ingest(&analyst, "roles", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(by_analyst.status, StatusCode::FORBIDDEN);
    assert_eq!(s.ingest(&ingest, "roles", "agents", "", "text/csv", AGENTS_CSV.into()).await.status, StatusCode::OK);
    assert_eq!(s.metric(&ingest, "roles", "aht", RANGE).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.upload(&analyst, "roles", guest("custom_aht")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.post_json(&admin, "/v1/tenants", json!({"id": "x", "name": "x"})).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_metric_requests_name_the_offending_parameter() {
    let s = server();
    let key = s.tenant("params").await;
    let cases = [
        ("aht", "from=2026-03-02", "missing_parameter", "to"),
        ("aht", "from=2026-03-09&to=2026-03-02", "invalid_range", "from"),
        ("aht", "from=yesterday&to=2026-03-02", "invalid_parameter", "from"),
        ("aht", &format!("{RANGE}&group_by=planet"), "invalid_parameter", "group_by"),
        ("aht", &format!("{RANGE}&colour=red"), "unknown_parameter", "colour"),
        ("service_level", &format!("{RANGE}&threshold_seconds=soon"), "invalid_parameter", "threshold_seconds"),
    ];
    for (metric, query, code, field) in cases {
        let reply = s.metric(&key, "params", metric, query).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {}", reply.body);
        assert_eq!(
            (reply.body["code"].as_str().unwrap(), reply.body["field"].as_str().unwrap()),
            (code, field),
            "{query}"
        );
    }
    let missing = s.metric(&key, "params", "handle_time_of_dreams", RANGE).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["code"], "metric_not_found");
}

#[tokio::test]
async fn garbage_uploads_are_refused_with_the_reason() {
    let s = server();
    let key = s.tenant("garbage").await;
    let reply = s.upload(&key, "garbage", b"definitely not wasm".to_vec()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert_eq!(reply.body["code"], "not_a_component");
    let mut truncated = guest("custom_aht");
    truncated.truncate(truncated.len() / 2);
    let reply = s.upload(&key, "garbage", truncated).await;
    assert_eq!(reply.body["code"], "not_a_component", "{}", reply.body);
}

#[tokio::test]
async fn health_and_openapi_are_served() {
    let s = server();
    assert_eq!(s.get("", "/healthz").await.body["status"], "ok");
    assert_eq!(s.get("", "/readyz").await.body["status"], "ready");
    let doc = s.get("", "/openapi.json").await.body;
    for path in [
        "/v1/tenants",
        "/v1/tenants/{tenant}/keys",
        "/v1/tenants/{tenant}/limits",
        "/v1/tenants/{tenant}/ingest/{table}",
        "/v1/tenants/{tenant}/plugins",
        "/v1/tenants/{tenant}/metrics/{name}",
        "/v1/tenants/{tenant}/plugins/{name}/versions",
        "/v1/tenants/{tenant}/plugins/{name}/activate",
        "/v1/tenants/{tenant}/plugins/{name}/rollback",
        "/v1/tenants/{tenant}/plugins/{name}/canary",
        "/v1/tenants/{tenant}/plugins/{name}/shadow",
        "/v1/tenants/{tenant}/plugins/{name}/shadow/run",
        "/v1/tenants/{tenant}/plugins/{name}/policy",
        "/v1/tenants/{tenant}/plugins/{name}/stats",
        "/v1/tenants/{tenant}/audit",
        "/v1/tenants/{tenant}/correlations",
        "/v1/tenants/{tenant}/correlations/matrix",
        "/v1/tenants/{tenant}/privacy",
        "/v1/tenants/{tenant}/topics",
        "/v1/tenants/{tenant}/topics/side-by-side",
        "/v1/tenants/{tenant}/dashboards/{name}",
        "/v1/tenants/{tenant}/pay/runs",
        "/v1/tenants/{tenant}/pay/statements",
        "/v1/tenants/{tenant}/pay/statements.csv",
        "/v1/tenants/{tenant}/awards/runs",
        "/v1/tenants/{tenant}/awards/ledger",
        "/v1/tenants/{tenant}/awards/flags",
        "/v1/tenants/{tenant}/leaderboards",
        "/v1/tenants/{tenant}/leaderboards/agents/{agent}",
        "/healthz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    assert!(doc["components"]["schemas"].get("Problem").is_some());
}

#[tokio::test]
async fn prometheus_metrics_count_requests_plugin_calls_and_ingested_rows() {
    let s = server();
    let key = s.tenant("observed").await;
    let loaded = s.ingest(&key, "observed", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(loaded.body["inserted"], 2);
    let aht = s.metric(&key, "observed", "aht", RANGE).await;
    assert_eq!(aht.status, StatusCode::OK, "{}", aht.body);
    assert_eq!(aht.body["rows"], json!([]), "no interactions, no rows");
    let response = s.client.get(format!("{}/metrics", s.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for expected in [
        "cxhost_plugin_calls_total{tenant=\"observed\",plugin=\"aht\",version=\"1.0.0\",outcome=\"ok\"} 1",
        "cxhost_ingest_rows_total{tenant=\"observed\",table=\"agents\",result=\"inserted\"} 2",
        "cxhost_http_requests_total{route=\"/v1/tenants/{tenant}/metrics/{name}\",method=\"GET\",status=\"200\"}",
        "cxhost_plugin_call_duration_seconds_bucket{tenant=\"observed\",plugin=\"aht\",version=\"1.0.0\",le=\"5\"} 1",
    ] {
        assert!(text.contains(expected), "/metrics lacks `{expected}`:\n{text}");
    }
}

#[test]
fn the_schema_reference_in_data_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/SCHEMA.md");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == cxhost::store::schema::reference_markdown(),
        "data/SCHEMA.md is stale: regenerate it with `cargo run --release -- schema > data/SCHEMA.md`"
    );
}
