//! Access: a request without a key or with an unknown one is refused, and a key acts only in
//! its own tenant and only within its role (analyst reads, ingest loads, tenant admin manages
//! its tenant, only the operator creates tenants).

use cxhost::guests::test_guests::CUSTOM_AHT;
use reqwest::StatusCode;
use serde_json::json;

use crate::util::{AGENTS_CSV, app, guest};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

#[tokio::test]
async fn keys_are_checked_for_role_and_tenant() {
    let s = app();
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
    assert_eq!(s.upload(&analyst, "roles", guest(CUSTOM_AHT)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.post_json(&admin, "/v1/tenants", json!({"id": "x", "name": "x"})).await.status, StatusCode::FORBIDDEN);
}
