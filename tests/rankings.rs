//! Fair rankings and quartiles end to end on the hand-made fixtures of
//! tests/fixtures/ranking (worked by hand in its EXPECTED.md): an adjusted ranking that
//! reverses the raw one (the agent on the hard queue moves up) with the empirical-Bayes
//! figures σ²w, τ², k and each agent's shrinkage, score and interval; tenure bands as an
//! explicit switch; small samples listed but not ranked; quartiles tenant-wide and per team
//! with the uplift in seconds and in money for both kinds of metric value; metric values set by
//! tenant admins, read by analysts and audited; and the requests refused.

use std::path::{Path, PathBuf};

use cxhost::guests::test_guests::CONSTANT;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::util::{Server, app, guest};

const RANGE: &str = "from=2026-03-01&to=2026-04-01";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ranking").join(name)
}

/// A new tenant with fixture `name` loaded; its tenant-admin key.
async fn tenant_with(s: &Server, tenant: &str, name: &str) -> String {
    let key = s.tenant(tenant).await;
    s.load_fixture_from(&key, tenant, &fixture(name)).await;
    key
}

async fn ranking(s: &Server, key: &str, tenant: &str, query: &str) -> Value {
    let reply = s.get(key, &format!("/v1/tenants/{tenant}/rankings?metric=aht&{RANGE}&{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    reply.body
}

async fn quartiles(s: &Server, key: &str, tenant: &str, query: &str) -> Value {
    let reply = s.get(key, &format!("/v1/tenants/{tenant}/quartiles?metric=aht&{RANGE}&min_sample=2&{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    reply.body
}

fn close(actual: &Value, expected: f64) -> bool {
    actual.as_f64().is_some_and(|a| (a - expected).abs() <= 1e-6 * expected.abs().max(1.0))
}

#[track_caller]
fn assert_close(actual: &Value, expected: f64, what: &str) {
    assert!(close(actual, expected), "{what}: {actual} ≠ {expected}");
}

fn agent<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["agents"].as_array().unwrap().iter().find(|a| a["agent_id"] == id).unwrap_or_else(|| panic!("{id} missing"))
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|a| a["agent_id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn an_adjusted_ranking_moves_the_agent_with_the_hard_queue_up() {
    let s = app();
    let key = tenant_with(s, "rank_fair", "fair").await;
    let analyst = s.key("rank_fair", "analyst").await;
    let body = ranking(s, &analyst, "rank_fair", "min_sample=3").await;

    assert_eq!(body["metric"], "aht");
    assert_eq!(body["unit"], "seconds");
    assert_eq!(body["higher_is_better"], false);
    assert_eq!(body["adjust"], json!(["queue", "contact_reason", "channel"]));
    assert!(body.get("tenure_bands").is_none(), "tenure is adjusted for only when asked");
    assert_eq!(body["min_sample"], 3);
    assert!(body["method"].as_str().unwrap().contains("Empirical Bayes"));
    assert!(body.get("note").is_none(), "{}", body["note"]);
    // 18 handled contacts; the abandoned one counts nowhere.
    let tenant = &body["tenant"];
    assert_eq!((tenant["records"].as_u64(), tenant["cells"].as_u64()), (Some(18), Some(2)));
    assert_close(&tenant["numerator"], 6800.0, "tenant numerator");
    assert_close(&tenant["denominator"], 18.0, "tenant denominator");
    assert_close(&tenant["value"], 6800.0 / 18.0, "tenant figure");

    let stats = &body["statistics"];
    assert_eq!((stats["agents_ranked"].as_u64(), stats["agents_listed"].as_u64()), (Some(4), Some(5)));
    assert_close(&stats["within_variance"], 400.0 / 3.0, "σ²w");
    assert_close(&stats["between_variance"], 2500.0 / 3.0, "τ²");
    assert_close(&stats["k"], 0.16, "k");
    assert_close(&stats["z"], 1.959_964, "z");

    // Raw D, B, A, C; adjusted A, D, B, C; E listed last, unranked.
    assert_eq!(ids(&body["agents"]), ["agent_a", "agent_d", "agent_b", "agent_c", "agent_e"]);
    let half = 1.959_963_984_540_054 * (25.0f64 / 26.0 * 100.0 / 3.0).sqrt();
    let tenant_value = 6800.0 / 18.0;
    // (agent, raw, expected, residual, score, raw rank, adjusted rank, rank change)
    let expected = [
        ("agent_a", 570.0, 600.0, -30.0, -375.0 / 13.0, 3, 1, 2),
        ("agent_d", 180.0, 200.0, -20.0, -250.0 / 13.0, 1, 2, -1),
        ("agent_b", 220.0, 200.0, 20.0, 250.0 / 13.0, 2, 3, -1),
        ("agent_c", 630.0, 600.0, 30.0, 375.0 / 13.0, 4, 4, 0),
    ];
    for (id, raw, exp, residual, score, raw_rank, adjusted_rank, change) in expected {
        let a = agent(&body, id);
        assert_eq!(a["ranked"], true, "{id}");
        assert_eq!(a["records"], 4, "{id}");
        assert_close(&a["denominator"], 4.0, id);
        assert_close(&a["raw_value"], raw, id);
        assert_close(&a["expected"], exp, id);
        assert_close(&a["residual"], residual, id);
        assert_close(&a["shrinkage"], 25.0 / 26.0, id);
        assert_close(&a["score"], score, id);
        assert_close(&a["score_low"], score - half, id);
        assert_close(&a["score_high"], score + half, id);
        assert_close(&a["adjusted_value"], tenant_value + score, id);
        assert_eq!(
            (a["raw_rank"].as_i64(), a["adjusted_rank"].as_i64()),
            (Some(raw_rank), Some(adjusted_rank)),
            "{id}"
        );
        assert_eq!(a["rank_change"].as_i64(), Some(change), "{id}");
    }
    assert_eq!(
        (agent(&body, "agent_a")["team"].as_str(), agent(&body, "agent_a")["name"].as_str()),
        (Some("north"), Some("Ada"))
    );

    let e = agent(&body, "agent_e");
    assert_eq!(e["ranked"], false);
    assert_eq!(e["records"], 2);
    assert!(e["raw_rank"].is_null() && e["adjusted_rank"].is_null() && e["rank_change"].is_null(), "{e}");
    assert_close(&e["raw_value"], 200.0, "agent_e raw");
    assert_close(&e["shrinkage"], 25.0 / 27.0, "agent_e B");
    assert_close(&e["score"], 0.0, "agent_e score");

    // The tenant admin sees the same; an ingest key may not.
    let again = ranking(s, &key, "rank_fair", "min_sample=3").await;
    assert_eq!(again["agents"], body["agents"]);
    let ingest = s.key("rank_fair", "ingest").await;
    let refused = s.get(&ingest, &format!("/v1/tenants/rank_fair/rankings?metric=aht&{RANGE}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

#[tokio::test]
async fn tenure_is_an_explicit_switch_and_no_adjustment_keeps_the_raw_order() {
    let s = app();
    let key = tenant_with(s, "rank_tenure", "fair").await;
    let plain = ranking(s, &key, "rank_tenure", "min_sample=3").await;

    // Tenure splits the password cell (agent_e is in its first 90 days); its rate is the same,
    // so every figure is too.
    let tenure = ranking(s, &key, "rank_tenure", "min_sample=3&adjust=tenure,queue,contact_reason,channel").await;
    assert_eq!(tenure["adjust"], json!(["queue", "contact_reason", "channel", "tenure"]));
    assert_eq!(
        tenure["tenure_bands"],
        json!(["under 90 days", "90 days to 1 year", "1 to 2 years", "2 years or more", "unknown"])
    );
    assert_eq!(tenure["tenant"]["cells"], 3);
    for id in ["agent_a", "agent_b", "agent_c", "agent_d", "agent_e"] {
        for field in ["expected", "score", "adjusted_value"] {
            assert_close(&agent(&tenure, id)[field], agent(&plain, id)[field].as_f64().unwrap(), id);
        }
    }

    // No adjustment: one cell, every expected value the tenant's figure, adjusted ranks = raw.
    let none = ranking(s, &key, "rank_tenure", "min_sample=3&adjust=none").await;
    assert_eq!(none["adjust"], json!([]));
    assert_eq!(none["tenant"]["cells"], 1);
    for id in ["agent_a", "agent_b", "agent_c", "agent_d"] {
        let a = agent(&none, id);
        assert_close(&a["expected"], 6800.0 / 18.0, id);
        assert_eq!(a["raw_rank"], a["adjusted_rank"], "{id}: {a}");
    }
    assert_eq!(ids(&none["agents"]), ["agent_d", "agent_b", "agent_a", "agent_c", "agent_e"]);
}

#[tokio::test]
async fn agents_below_the_minimum_sample_are_listed_but_not_ranked() {
    let s = app();
    let key = tenant_with(s, "rank_small", "fair").await;
    // The default minimum is 30 records: nobody here has that many.
    let body = ranking(s, &key, "rank_small", "").await;
    assert_eq!(body["min_sample"], 30);
    assert_eq!(body["statistics"]["agents_ranked"], 0);
    assert_eq!(body["agents"].as_array().unwrap().len(), 5);
    assert!(body["agents"].as_array().unwrap().iter().all(|a| a["ranked"] == false && a["raw_rank"].is_null()));
    assert!(body["note"].as_str().unwrap().contains("no agent has 30 or more records"), "{}", body["note"]);
    // With 4, agents a–d have exactly enough.
    let four = ranking(s, &key, "rank_small", "min_sample=4").await;
    assert_eq!(four["statistics"]["agents_ranked"], 4);
    assert_eq!(agent(&four, "agent_e")["ranked"], false);
}

/// One quartile's (members, boundary, mean).
fn quartile(group: &Value, i: usize) -> (Vec<&str>, f64, f64) {
    let q = &group["quartiles"][i];
    assert_eq!(q["quartile"], i + 1);
    (ids(&q["members"]), q["boundary"].as_f64().unwrap(), q["mean"].as_f64().unwrap())
}

#[tokio::test]
async fn quartiles_show_the_uplift_of_the_bottom_half_in_seconds_and_money() {
    let s = app();
    let key = tenant_with(s, "rank_quart", "quartiles").await;
    let analyst = s.key("rank_quart", "analyst").await;

    let body = quartiles(s, &analyst, "rank_quart", "").await;
    assert_eq!((body["basis"].as_str(), body["by"].as_str()), (Some("raw"), Some("tenant")));
    assert_eq!(body["unranked"], 1, "q10 has one contact");
    assert!(body["value"].is_null());
    assert!(body["method"].as_str().unwrap().contains("plain mean"));
    assert_close(&body["tenant"]["value"], 195.2, "tenant figure");
    let groups = body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert!(g["team"].is_null());
    assert_eq!(g["agents"], 9);
    assert_eq!(quartile(g, 0), (vec!["q01", "q02", "q03"], 140.0, 120.0));
    assert_eq!(quartile(g, 1), (vec!["q04", "q05"], 180.0, 170.0));
    assert_eq!(quartile(g, 2), (vec!["q06", "q07"], 240.0, 220.0));
    assert_eq!(quartile(g, 3), (vec!["q08", "q09"], 300.0, 280.0));
    let up = &g["uplift"];
    assert_eq!(up["agents_moved"], 4);
    assert_close(&up["numerator_change"], -660.0, "numerator change");
    assert_close(&up["improvement"], 660.0, "improvement");
    assert_close(&up["figure_before"], 195.0, "before");
    assert_close(&up["figure_after"], 167.5, "after");
    assert_close(&up["points"], 27.5, "points");
    assert_close(&up["point"], 1.0, "a point of seconds");
    assert!(up["money"].is_null());

    // Two cents a second of handle time over all contacts.
    let set = s
        .put_json(&key, "/v1/tenants/rank_quart/metric-values/aht", json!({"cents_per_unit": 2, "per": "record"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let priced = quartiles(s, &analyst, "rank_quart", "").await;
    assert_eq!(priced["value"]["cents_per_unit"], 2);
    assert_eq!(priced["groups"][0]["uplift"]["money"], json!({"cents_per_unit": 2, "per": "record", "cents": 1320}));

    // Per team: north 5 agents (2, 1, 1, 1), south 4 (q10 unranked).
    let teams = quartiles(s, &analyst, "rank_quart", "by=team").await;
    let groups = teams["groups"].as_array().unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g["team"].as_str().unwrap()).collect();
    assert_eq!(names, ["north", "south"]);
    let north = &groups[0];
    assert_eq!(quartile(north, 0), (vec!["q01", "q03"], 140.0, 120.0));
    assert_eq!(quartile(north, 1), (vec!["q05"], 180.0, 180.0));
    assert_eq!(quartile(north, 2), (vec!["q07"], 240.0, 240.0));
    assert_eq!(quartile(north, 3), (vec!["q09"], 300.0, 300.0));
    assert_close(&north["uplift"]["numerator_change"], -360.0, "north");
    assert_close(&north["uplift"]["figure_before"], 200.0, "north before");
    assert_close(&north["uplift"]["figure_after"], 2440.0 / 14.0, "north after");
    assert_eq!(north["uplift"]["money"]["cents"], 720);
    let south = &groups[1];
    assert_eq!(south["agents"], 4);
    assert_eq!(quartile(south, 2), (vec!["q06"], 200.0, 200.0));
    assert_close(&south["uplift"]["numerator_change"], -280.0, "south");
    assert_close(&south["uplift"]["points"], 28.0, "south points");
    assert_eq!(south["uplift"]["money"]["cents"], 560);

    // 5,000 cents per point (a second of AHT).
    let set = s
        .put_json(&key, "/v1/tenants/rank_quart/metric-values/aht", json!({"cents_per_unit": 5000, "per": "point"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let by_point = quartiles(s, &analyst, "rank_quart", "by=team").await;
    let cents: Vec<i64> = by_point["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["uplift"]["money"]["cents"].as_i64().unwrap())
        .collect();
    assert_eq!(cents, [128_571, 140_000]);
    let whole = quartiles(s, &analyst, "rank_quart", "by=tenant").await;
    assert_eq!(
        whole["groups"][0]["uplift"]["money"],
        json!({"cents_per_unit": 5000, "per": "point", "cents": 137_500})
    );

    // Adjusted: no within variance here, so B = 1 and the adjusted values are the raw ones.
    let adjusted = quartiles(s, &analyst, "rank_quart", "basis=adjusted").await;
    assert_eq!(adjusted["basis"], "adjusted");
    let g = &adjusted["groups"][0];
    for (i, (members, boundary, mean)) in [
        (vec!["q01", "q02", "q03"], 140.0, 120.0),
        (vec!["q04", "q05"], 180.0, 170.0),
        (vec!["q06", "q07"], 240.0, 220.0),
        (vec!["q08", "q09"], 300.0, 280.0),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(ids(&g["quartiles"][i]["members"]), members);
        assert_close(&g["quartiles"][i]["boundary"], boundary, "adjusted boundary");
        assert_close(&g["quartiles"][i]["mean"], mean, "adjusted mean");
    }
    assert_close(&g["uplift"]["improvement"], 660.0, "adjusted improvement");
}

#[tokio::test]
async fn metric_values_are_set_by_tenant_admins_read_by_analysts_and_audited() {
    let s = app();
    let key = s.tenant("rank_values").await;
    let analyst = s.key("rank_values", "analyst").await;
    let path = "/v1/tenants/rank_values/metric-values";

    let none = s.get(&analyst, &format!("{path}/fcr")).await;
    assert_eq!((none.status, none.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_metric_value")));
    let set = s.put_json(&key, &format!("{path}/fcr"), json!({"cents_per_unit": 150, "per": "point"})).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!((set.body["metric"].as_str(), set.body["per"].as_str()), (Some("fcr"), Some("point")));
    assert!(set.body["updated_by"].as_str().unwrap().starts_with("tenant_admin:"), "{}", set.body);
    s.put_json(&key, &format!("{path}/aht"), json!({"cents_per_unit": 2, "per": "record"})).await;
    let read = s.get(&analyst, &format!("{path}/fcr")).await;
    assert_eq!((read.status, read.body["cents_per_unit"].as_i64()), (StatusCode::OK, Some(150)));
    let all = s.get(&analyst, path).await;
    let metrics: Vec<&str> =
        all.body["values"].as_array().unwrap().iter().map(|v| v["metric"].as_str().unwrap()).collect();
    assert_eq!(metrics, ["aht", "fcr"]);

    // Analysts read, they do not set; values are whole cents of at least 0 for a known metric.
    let refused = s.put_json(&analyst, &format!("{path}/fcr"), json!({"cents_per_unit": 1, "per": "point"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let negative = s.put_json(&key, &format!("{path}/fcr"), json!({"cents_per_unit": -1, "per": "point"})).await;
    assert_eq!((negative.status, negative.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("cents_per_unit")));
    let per = s.put_json(&key, &format!("{path}/fcr"), json!({"cents_per_unit": 1, "per": "minute"})).await;
    assert_eq!(per.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", per.body);
    let unknown = s.put_json(&key, &format!("{path}/colour"), json!({"cents_per_unit": 1, "per": "point"})).await;
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("metric_not_found")));

    let audit = s.get(&key, "/v1/tenants/rank_values/audit?plugin=fcr").await;
    let entry = audit.body.as_array().unwrap().iter().find(|e| e["action"] == "tenant.metric_value").unwrap();
    assert!(entry["detail"].as_str().unwrap().contains("150 cents per point"), "{entry}");
}

#[tokio::test]
async fn bad_ranking_requests_are_refused_with_the_reason() {
    let s = app();
    let key = tenant_with(s, "rank_bad", "fair").await;
    let get = |query: &str| {
        let path = format!("/v1/tenants/rank_bad/{query}");
        let key = key.clone();
        async move { s.get(&key, &path).await }
    };
    for (query, field) in [
        (format!("rankings?metric=aht&{RANGE}&adjust=queue,site"), "adjust"),
        (format!("rankings?metric=aht&{RANGE}&min_sample=0"), "min_sample"),
        (format!("rankings?{RANGE}"), "metric"),
        (format!("rankings?metric=aht&{RANGE}&group_by=team"), "group_by"),
        (format!("rankings?metric=aht&{RANGE}&colour=red"), "colour"),
        ("rankings?metric=aht&from=2026-04-01&to=2026-03-01".to_string(), "from"),
        (format!("quartiles?metric=aht&{RANGE}&basis=median"), "basis"),
        (format!("quartiles?metric=aht&{RANGE}&by=site"), "by"),
    ] {
        let reply = get(&query).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {}", reply.body);
        assert_eq!(reply.body["field"], field, "{query}: {}", reply.body);
    }
    let unknown = get(&format!("rankings?metric=colour&{RANGE}")).await;
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("metric_not_found")));

    // Employee answers are never ranked by agent.
    let survey = get(&format!("rankings?metric=enps&{RANGE}")).await;
    assert_eq!(survey.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", survey.body);
    assert!(survey.body["detail"].as_str().unwrap().contains("agent"), "{}", survey.body);

    // A metric whose plugin does not open to its records cannot be ranked.
    let uploaded = s.upload(&key, "rank_bad", guest(CONSTANT)).await;
    assert!(uploaded.status.is_success(), "{}", uploaded.body);
    for route in ["rankings", "quartiles"] {
        let reply = get(&format!("{route}?metric=constant&{RANGE}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert_eq!(reply.body["code"], "records_unsupported", "{}", reply.body);
    }
}
