//! Operating the server: liveness and readiness, the OpenAPI document listing every route,
//! Prometheus metrics counting requests, plugin calls and ingested rows, and the schema
//! reference in data/SCHEMA.md matching the code.

use reqwest::StatusCode;
use serde_json::json;

use crate::util::{AGENTS_CSV, app};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

#[tokio::test]
async fn health_and_openapi_are_served() {
    let s = app();
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
    let s = app();
    let key = s.tenant("observed").await;
    let loaded = s.ingest(&key, "observed", "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(loaded.body["inserted"], 2);
    let aht = s.metric(&key, "observed", "aht", RANGE).await;
    assert_eq!(aht.status, StatusCode::OK, "{}", aht.body);
    assert_eq!(aht.body["rows"], json!([]), "no interactions, no rows");
    let response = s.exchange(s.client.get(format!("{}/metrics", s.base))).await;
    assert_eq!(response.status, StatusCode::OK);
    let text = response.text;
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
