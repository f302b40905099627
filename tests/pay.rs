//! End-to-end tests of pay runs with the standard pay model on the small fixture: every line
//! hand-checked (tests/fixtures/small/EXPECTED.md), re-runs idempotent, changes reported as
//! differences, CSV export, and clear refusals.

use reqwest::StatusCode;
use serde_json::{Value, json};

use cxhost::guests::test_guests::FLAT_PAY;

use crate::util::{app, guest, server};

fn params() -> Value {
    json!({
        "per_minute_cents": 20, "per_contact_cents": 50,
        "peak_windows": "23:00-10:05", "peak_multiplier": 1.5,
        "commission_percent": 10, "min_csat": 0.5, "min_qa": 70,
        "platform_fee_cents": 500, "min_wage_cents_per_hour": 1200
    })
}

fn run_body(params: Value) -> Value {
    json!({"plugin": "standard_pay", "from": "2026-03-02", "to": "2026-03-09", "params": params})
}

fn amounts(statement: &Value) -> Vec<(String, i64)> {
    statement["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["component"].as_str().unwrap().to_string(), l["amount_cents"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn pay_statements_are_exact_idempotent_and_exported() {
    let s = server();
    let key = s.tenant("payroll").await;
    s.load_fixture(&key, "payroll").await;
    let run = s.post_json(&key, "/v1/tenants/payroll/pay/runs", run_body(params())).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert_eq!((run.body["agents"].as_u64(), run.body["created"].as_u64()), (Some(6), Some(6)), "{}", run.body);
    assert_eq!(run.body["total_cents"], 16580);
    assert_eq!(run.body["plugin"]["name"], "standard_pay");

    let listed = s.get(&key, "/v1/tenants/payroll/pay/statements?from=2026-03-02&to=2026-03-09").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let statements = listed.body.as_array().unwrap();
    let by_agent = |agent: &str| statements.iter().find(|s| s["agent_id"] == agent).unwrap();
    let lines = |pairs: &[(&str, i64)]| pairs.iter().map(|(c, a)| (c.to_string(), *a)).collect::<Vec<_>>();
    // a1 (Berlin): 1870 s handled, 330 s of it from a contact answered 10:00 local (inside the
    // window 23:00-10:05 that crosses midnight); 6.5 h logged in -> floor 7800.
    assert_eq!(
        amounts(by_agent("a1")),
        lines(&[
            ("per_minute", 623),
            ("per_contact", 200),
            ("peak_premium", 55),
            ("commission", 990),
            ("platform_fee", -500),
            ("minimum_wage_top_up", 6432)
        ])
    );
    assert_eq!(by_agent("a1")["total_cents"], 7800);
    // a3 (Lisbon, UTC+0 in March): 350 s in the window, but CSAT 0 of 1 closes the gate.
    let a3 = by_agent("a3");
    assert_eq!(amounts(a3)[2], ("peak_premium".to_string(), 0));
    assert_eq!(a3["lines"][2]["note"], "withheld: CSAT 0.000 is below 0.5");
    assert_eq!(a3["total_cents"], 3000);
    // a5 (Madrid): 230 s answered 10:00 local; gate open; a 1 h floor of 1200 still tops up.
    assert_eq!(
        amounts(by_agent("a5")),
        lines(&[
            ("per_minute", 538),
            ("per_contact", 200),
            ("peak_premium", 38),
            ("commission", 450),
            ("platform_fee", -500),
            ("minimum_wage_top_up", 474)
        ])
    );
    // a6 (no time zone: UTC): no CSAT answers, so no bonus; no logged time, so no floor.
    assert_eq!(by_agent("a6")["total_cents"], 80);
    let totals: Vec<i64> = statements.iter().map(|s| s["total_cents"].as_i64().unwrap()).collect();
    assert_eq!(totals, [7800, 2400, 3000, 2100, 1200, 80]);

    // The same run again: nothing new.
    let again = s.post_json(&key, "/v1/tenants/payroll/pay/runs", run_body(params())).await;
    assert_eq!(
        (again.body["created"].as_u64(), again.body["unchanged"].as_u64()),
        (Some(0), Some(6)),
        "{}",
        again.body
    );
    assert_eq!(again.body["differences"], json!([]));
    let all = s.get(&key, "/v1/tenants/payroll/pay/statements?all=true").await;
    assert_eq!(all.body.as_array().unwrap().len(), 6, "no statement was added");

    // A different rate: new statements supersede the old ones, with the difference. The floor
    // absorbs the raise for agents below it; a6 has no floor and gains 3 × 10 cents.
    let mut raised = params();
    raised["per_contact_cents"] = json!(60);
    let changed = s.post_json(&key, "/v1/tenants/payroll/pay/runs", run_body(raised)).await;
    assert_eq!(changed.body["created"], 6, "{}", changed.body);
    let deltas: Vec<(String, i64)> = changed.body["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["agent_id"].as_str().unwrap().to_string(), d["delta_cents"].as_i64().unwrap()))
        .collect();
    assert_eq!(deltas.last().unwrap(), &("a6".to_string(), 30));
    assert_eq!(deltas[0], ("a1".to_string(), 0));
    let all = s.get(&key, "/v1/tenants/payroll/pay/statements?all=true&agent=a6").await;
    let a6: Vec<(Option<&str>, i64)> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["superseded_by"].as_str(), s["total_cents"].as_i64().unwrap()))
        .collect();
    assert_eq!(a6.len(), 2);
    assert!(a6.contains(&(None, 110)) && a6.iter().any(|(by, total)| by.is_some() && *total == 80), "{a6:?}");

    let csv = s
        .client
        .get(format!("{}/v1/tenants/payroll/pay/statements.csv?agent=a6", s.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "statement_id,agent_id,period_start,period_end,plugin,plugin_version,line_no,component,quantity,rate_cents,amount_cents,note"
    );
    assert_eq!(rows.len(), 1 + 5, "{text}");
    assert!(rows[2].ends_with(",2,per_contact,3,60,180,"), "{}", rows[2]);
}

#[tokio::test]
async fn surge_pays_for_hours_when_demand_exceeds_staffed_capacity() {
    let s = server();
    let key = s.tenant("surge").await;
    s.load_fixture(&key, "surge").await;
    let surge = json!({"per_minute_cents": 20, "surge_contacts_per_agent_hour": 1, "surge_slope": 0.5, "surge_cap": 2.0,
                       "certification_bonus_cents": 1000});
    let run = s.post_json(&key, "/v1/tenants/surge/pay/runs", run_body(surge)).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    let listed = s.get(&key, "/v1/tenants/surge/pay/statements").await;
    let surge_of = |statement: &Value| amounts(statement).into_iter().find(|(c, _)| c == "surge_premium").unwrap().1;
    let got: Vec<(String, i64)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["agent_id"].as_str().unwrap().to_string(), surge_of(s)))
        .collect();
    // 2026-03-02 10:00 UTC: 2 contacts offered, 1 agent logged in (a1; a2 logged off at 10:00)
    // -> 1 + 0.5 × (2 − 1) = 1.5; hours with demand and nobody logged in take the cap 2.0. a4:
    // i03 570 s × 0.5 + i12 330 s + i19 280 s + i28 230 s (× 1.0) = 1125 s -> 1125 × 20 / 60 = 375.
    let expected = [("a1", 513), ("a2", 190), ("a3", 117), ("a4", 375), ("a5", 538), ("a6", 290)];
    assert_eq!(got, expected.map(|(a, c)| (a.to_string(), c)));
    // a3 completed chat_de in the week (certifications.csv); a1's billing_expert was in February.
    let bonuses: Vec<(String, i64, String)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            let agent = s["agent_id"].as_str().unwrap().to_string();
            s["lines"].as_array().unwrap().iter().filter(|l| l["component"] == "certification_bonus").map(move |l| {
                (agent.clone(), l["amount_cents"].as_i64().unwrap(), l["note"].as_str().unwrap().to_string())
            })
        })
        .collect();
    assert_eq!(bonuses, [("a3".to_string(), 1000, "chat_de".to_string())]);
}

#[tokio::test]
async fn the_team_bonus_pool_is_sized_from_the_bottom_quartiles_uplift() {
    let s = server();
    let key = s.tenant("bonus").await;
    s.load_fixture(&key, "bonus").await;
    // QA of the following week; the fixture's week is the baseline (a1 80, a2 60, a4 85, a5 95).
    let next_week = "evaluation_id,agent_id,interaction_id,evaluated_at,score,evaluator\n\
                     n1,a1,,2026-03-10T09:00:00Z,85,lead1\nn2,a2,,2026-03-10T10:00:00Z,75,lead1\n\
                     n3,a4,,2026-03-11T09:00:00Z,80,lead2\nn4,a5,,2026-03-11T10:00:00Z,96,lead2\n";
    let loaded = s.ingest(&key, "bonus", "qa_evaluations", "", "text/csv", next_week.as_bytes().to_vec()).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let body = json!({"plugin": "team_bonus_pool", "from": "2026-03-09", "to": "2026-03-16", "params": {"cents_per_point": 100}});
    let run = s.post_json(&key, "/v1/tenants/bonus/pay/runs", body).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    // north: a1 80 -> 85 and a2 60 -> 75 have both weeks (a3 only the second); the bottom
    // quartile is a2 alone: +15 points × 100 × 1 = 1500 cents, shared by a1 and a2, who handled
    // contacts that week (i29, i30). south: its bottom quartile a4 fell (85 -> 80): no pool.
    let listed = s.get(&key, "/v1/tenants/bonus/pay/statements?plugin=team_bonus_pool").await;
    let got: Vec<(String, i64)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["agent_id"].as_str().unwrap().to_string(), s["total_cents"].as_i64().unwrap()))
        .collect();
    assert_eq!(got, [("a1".to_string(), 750), ("a2".to_string(), 750)]);
    assert_eq!(
        listed.body[0]["lines"][0]["note"],
        "team north: bottom quartile (a2) QA +15.00 points -> pool 1500 cents over 2 agents"
    );
}

#[tokio::test]
async fn a_candidate_pay_model_is_compared_in_a_shadow_run_before_it_pays_anyone() {
    let s = server();
    let key = s.tenant("payshadow").await;
    s.load_fixture(&key, "payshadow").await;
    let stored = s.upload_with(&key, "payshadow", guest(FLAT_PAY), "?activate=false").await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.body);
    let hash = stored.body["hash"].as_str().unwrap().to_string();
    let body = json!({"hash": hash, "from": "2026-03-02", "to": "2026-03-09", "params": {"per_contact_cents": 50}});
    let report = s.post_json(&key, "/v1/tenants/payshadow/plugins/standard_pay/shadow/run", body).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    // The candidate pays 60 cents a contact instead of 50: every agent's total moves by 10 per
    // handled contact (a1, a2, a4, a5: 4 contacts; a3, a6: 3).
    assert_eq!((report.body["groups_compared"].as_u64(), report.body["groups_differing"].as_u64()), (Some(6), Some(6)));
    let largest = &report.body["largest"][0];
    assert_eq!(
        (largest["active"].as_f64(), largest["candidate"].as_f64()),
        (Some(200.0), Some(240.0)),
        "{}",
        report.body
    );
    let statements = s.get(&key, "/v1/tenants/payshadow/pay/statements?all=true").await;
    assert_eq!(statements.body, json!([]), "a shadow run writes no statement");

    // Shadowing every run: the standard version pays, the candidate is compared.
    let started = s.put_json(&key, "/v1/tenants/payshadow/plugins/standard_pay/shadow", json!({"hash": hash})).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let run = s.post_json(&key, "/v1/tenants/payshadow/pay/runs", run_body(json!({"per_contact_cents": 50}))).await;
    assert_eq!(
        (run.body["plugin"]["version"].as_str(), run.body["total_cents"].as_i64()),
        (Some("1.0.0"), Some(22 * 50))
    );
    let shadow = s.get(&key, "/v1/tenants/payshadow/plugins/standard_pay/shadow").await;
    assert_eq!(
        (shadow.body["calls_compared"].as_u64(), shadow.body["groups_differing"].as_u64()),
        (Some(1), Some(6)),
        "{}",
        shadow.body
    );
}

#[tokio::test]
async fn bad_pay_runs_are_refused_with_the_reason() {
    let s = app();
    let key = s.tenant("payfail").await;
    s.load_fixture(&key, "payfail").await;
    let mut body = run_body(params());
    body["plugin"] = json!("csat");
    let not_pay = s.post_json(&key, "/v1/tenants/payfail/pay/runs", body).await;
    assert_eq!((not_pay.status, not_pay.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("pay_model_not_found")));
    let mut bad_window = params();
    bad_window["peak_windows"] = json!("25:00-26:00");
    let reply = s.post_json(&key, "/v1/tenants/payfail/pay/runs", run_body(bad_window)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert!(
        reply.body["detail"].as_str().unwrap().contains("peak window `25:00-26:00` is not HH:MM-HH:MM"),
        "{}",
        reply.body
    );
    let mut unknown = params();
    unknown["bonus_for_everyone"] = json!(true);
    let reply = s.post_json(&key, "/v1/tenants/payfail/pay/runs", run_body(unknown)).await;
    assert_eq!((reply.status, reply.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("bonus_for_everyone")));
    let analyst = s.key("payfail", "analyst").await;
    let reply = s.post_json(&analyst, "/v1/tenants/payfail/pay/runs", run_body(params())).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let listed = s.get(&key, "/v1/tenants/payfail/pay/statements").await;
    assert_eq!(listed.body, json!([]), "nothing was written by refused runs");
}
