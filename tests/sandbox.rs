//! The sandbox against a real server: plugins that spin, grow or read too much are stopped
//! with their own error while the server keeps answering, and plugin SQL sees only its own
//! tenant's tables and can change nothing.

use cxhost::guests::test_guests::{GROW_MEMORY, READ_OTHER_TENANT, SPIN_FOREVER};
use reqwest::StatusCode;
use serde_json::json;

use crate::util::{self, AGENTS_CSV, OPERATOR_KEY, guest, server};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

#[tokio::test]
async fn runaway_plugins_are_stopped_and_the_server_keeps_answering() {
    let s = server();
    let key = s.tenant("runaway").await;
    s.load_fixture(&key, "runaway").await;
    let limits =
        json!({"deadline_ms": 300, "memory_bytes": 16 << 20, "max_rows_read": 1000, "max_result_bytes": 1 << 20});
    let reply = s.send(s.client.put(format!("{}/v1/tenants/runaway/limits", s.base)).json(&limits), OPERATOR_KEY).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for plugin in [SPIN_FOREVER, GROW_MEMORY, READ_OTHER_TENANT] {
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
    assert_eq!(s.upload(&key, "snoop", guest(READ_OTHER_TENANT)).await.status, StatusCode::CREATED);
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
