//! End-to-end tests of dashboard plugins: the standard `cx_ex` on the small fixture, a
//! tenant's own dashboard replacing it, invalid panels refused, and names kept to their kind.

use reqwest::StatusCode;
use serde_json::Value;

use cxhost::guests::test_guests::TENANT_DASHBOARD;

use crate::util::{guest, server};

const RANGE: &str = "from=2026-03-02&to=2026-03-09";

fn panel<'a>(body: &'a Value, title: &str) -> &'a Value {
    body["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("no panel `{title}` in {body}"))
}

#[tokio::test]
async fn the_standard_dashboard_shows_the_same_figures_as_the_metric_routes() {
    let s = server();
    let key = s.tenant("dash-std").await;
    s.load_fixture(&key, "dash-std").await;
    let reply = s.get(&key, &format!("/v1/tenants/dash-std/dashboards/cx_ex?{RANGE}&level=site&period=week")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["plugin"]["source"], "standard");
    assert_eq!(body["params"]["level"], "site");
    let kinds: Vec<&str> = body["panels"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["kpi", "kpi", "kpi", "scatter", "line", "line", "heat_map", "table", "bar"]);
    // CSAT over the fixture week: 6 of 10 answers are 4 or 5 (tests/fixtures/small/expected.json).
    assert_eq!(panel(body, "csat")["data"]["value"], 0.6);
    assert_eq!(panel(body, "csat")["data"]["note"], "customers, whole range; n = 10");
    let per_team = s.metric(&key, "dash-std", "csat", &format!("{RANGE}&group_by=team")).await;
    let table = &panel(body, "Per team")["data"];
    assert_eq!(table["drill"], "team");
    for (row, expected) in table["rows"].as_array().unwrap().iter().zip(per_team.body["rows"].as_array().unwrap()) {
        assert_eq!((&row[0], &row[1]), (&expected["group"], &expected["value"]));
    }
    let heat = &panel(body, "Pearson r: employee (rows) × customer (columns), per site and week")["data"];
    assert_eq!(heat["rows"].as_array().unwrap().len(), 4);
    assert_eq!(heat["columns"].as_array().unwrap().len(), 4);
    // eNPS per site in the week: only berlin has 5 or more answers (6); the other site is
    // withheld, so eNPS pairs once and no coefficient is claimed from one pair.
    let enps = s.metric(&key, "dash-std", "enps", &format!("{RANGE}&group_by=site")).await;
    let sites: Vec<(&str, f64)> = enps.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["group"].as_str().unwrap(), r["denominator"].as_f64().unwrap()))
        .collect();
    assert_eq!(sites, [("berlin", 6.0)]);
    assert_eq!(heat["values"][0], serde_json::json!([null, null, null, null]));
}

#[tokio::test]
async fn a_tenant_replaces_the_standard_dashboard_and_invalid_panels_are_refused() {
    let s = server();
    let key = s.tenant("dash-own").await;
    s.load_fixture(&key, "dash-own").await;
    let uploaded = s.upload(&key, "dash-own", guest(TENANT_DASHBOARD)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    assert_eq!(uploaded.body["kind"], "dashboard");

    let versions = s.get(&key, "/v1/tenants/dash-own/plugins/cx_ex/versions").await;
    assert_eq!(versions.body["deployment"]["kind"], "dashboard", "{}", versions.body);
    let reply = s.get(&key, &format!("/v1/tenants/dash-own/dashboards/cx_ex?{RANGE}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["plugin"]["version"], "2.0.0-tenant");
    assert_eq!(reply.body["served_as"], "active");
    // 29 of the fixture's 31 contacts were offered in the week; CSAT comes through analytics.
    assert_eq!(panel(&reply.body, "Offered contacts")["data"]["value"], 29.0);
    assert_eq!(panel(&reply.body, "CSAT")["data"]["value"], 0.6);

    let broken = s.get(&key, &format!("/v1/tenants/dash-own/dashboards/cx_ex?{RANGE}&broken=true")).await;
    assert_eq!(broken.status, StatusCode::BAD_GATEWAY, "{}", broken.body);
    assert_eq!(broken.body["code"], "plugin_invalid_result");
    assert_eq!(
        broken.body["detail"],
        "plugin `cx_ex` 2.0.0-tenant returned an invalid result: panel 1 (`Broken`): row 1 has 1 cells for 2 columns"
    );
    let unknown = s.get(&key, &format!("/v1/tenants/dash-own/dashboards/cx_ex?{RANGE}&colour=red")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["field"], "colour");

    let as_metric = s.metric(&key, "dash-own", "cx_ex", RANGE).await;
    assert_eq!(as_metric.status, StatusCode::NOT_FOUND);
    assert_eq!(as_metric.body["detail"], "`cx_ex` of tenant `dash-own` is a dashboard plugin, not a metric");
    let as_dashboard = s.get(&key, &format!("/v1/tenants/dash-own/dashboards/csat?{RANGE}")).await;
    assert_eq!(as_dashboard.status, StatusCode::NOT_FOUND);
    assert_eq!(as_dashboard.body["code"], "dashboard_not_found");

    let rolled = s.post_json(&key, "/v1/tenants/dash-own/plugins/cx_ex/rollback", serde_json::json!({})).await;
    assert_eq!(rolled.status, StatusCode::OK, "{}", rolled.body);
    let standard = s.get(&key, &format!("/v1/tenants/dash-own/dashboards/cx_ex?{RANGE}")).await;
    assert_eq!(standard.body["plugin"]["source"], "standard", "{}", standard.body);
}
