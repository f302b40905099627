//! Routing on the live path: the standard router's rules over a hand-made roster
//! (tests/fixtures/routing), the configured fallback when the router runs away, fails or
//! answers garbage, contacts refused, a canary by contact and a shadow compared field by
//! field, the decision log, and the roster snapshot.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cxhost::guests::test_guests::{HOSTILE_ROUTER, ROUTER_STANDARD_ROUTER};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::util::{Reply, Server, app, guest};

fn fixture() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/routing")
}

/// A tenant with the routing fixture loaded and its roster built; returns its admin key.
async fn tenant(s: &Server, t: &str) -> String {
    let key = s.tenant(t).await;
    s.load_fixture_from(&key, t, &fixture()).await;
    let snapshot = s.post_json(&key, &format!("/v1/tenants/{t}/routing/snapshot"), json!({})).await;
    assert_eq!(snapshot.status, StatusCode::OK, "{}", snapshot.body);
    key
}

async fn route(s: &Server, key: &str, t: &str, contact: Value) -> Reply {
    s.post_json(key, &format!("/v1/tenants/{t}/route"), contact).await
}

/// A contact on `queue` for `reason`, with `extra` fields merged in.
fn contact(id: &str, queue: &str, reason: &str, extra: Value) -> Value {
    let mut c = json!({"contact_id": id, "channel": "voice", "queue": queue, "contact_reason": reason,
        "customer_id": format!("cust-{id}"), "language": "en"});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// (pool, skill, priority, agents, reason) of a decision.
fn decision(reply: &Reply) -> (String, String, u64, Vec<String>, String) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let b = &reply.body;
    (
        b["pool"].as_str().unwrap().to_string(),
        b["skill"].as_str().unwrap().to_string(),
        b["priority"].as_u64().unwrap(),
        b["agents"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect(),
        b["reason"].as_str().unwrap().to_string(),
    )
}

fn want(
    pool: &str,
    skill: &str,
    priority: u64,
    agents: &[&str],
    reason: &str,
) -> (String, String, u64, Vec<String>, String) {
    (pool.into(), skill.into(), priority, agents.iter().map(|a| a.to_string()).collect(), reason.into())
}

async fn set_routing(s: &Server, key: &str, t: &str, settings: Value) -> Reply {
    let reply = s.put_json(key, &format!("/v1/tenants/{t}/routing"), settings).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply
}

#[tokio::test]
async fn the_roster_snapshot_holds_every_agent_and_the_figures_of_the_window() {
    let s = app();
    let t = "route-snapshot";
    let key = s.tenant(t).await;
    let empty = s.post_json(&key, &format!("/v1/tenants/{t}/routing/snapshot"), json!({})).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert_eq!((empty.body["agents"].clone(), empty.body["with_quality"].clone()), (json!(0), json!(0)));
    s.load_fixture_from(&key, t, &fixture()).await;
    let snapshot = s.post_json(&key, &format!("/v1/tenants/{t}/routing/snapshot"), json!({})).await;
    assert_eq!(snapshot.status, StatusCode::OK, "{}", snapshot.body);
    let b = &snapshot.body;
    assert_eq!(b["agents"], 8, "{b}");
    assert_eq!(b["window_days"], 28);
    assert_eq!(b["with_quality"], 7, "everyone but c3 was evaluated in the window: {b}");
    assert_eq!(b["with_aht"], 2, "h1 and c1 handled a contact: {b}");
    assert_eq!(b["with_csat"], 1, "h1's f1: {b}");
    assert_eq!(b["with_fcr"], 2, "h1 and c1, one contact each: {b}");
    assert!(b["taken_at"].as_str().unwrap().starts_with("20"), "{b}");
    let analyst = s.key(t, "analyst").await;
    let refused = s.post_json(&analyst, &format!("/v1/tenants/{t}/routing/snapshot"), json!({})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The roster routers read: the hostile router's `roster` mode names the best ten by quality.
    assert_eq!(s.upload(&key, t, guest(HOSTILE_ROUTER)).await.status, StatusCode::CREATED);
    set_routing(s, &key, t, json!({"router": "hostile_router", "params": {"mode": "roster"}})).await;
    let reply = route(s, &key, t, contact("r1", "billing", "x", json!({}))).await;
    let (_, _, _, agents, reason) = decision(&reply);
    assert_eq!(reason, "roster: 8 agents, 28 days");
    assert_eq!(agents, ["h4", "h2", "c2", "h1", "h3", "c1", "c4", "c3"], "quality first, none last");
    assert_eq!(reply.body["snapshot_taken_at"], b["taken_at"]);
}

#[tokio::test]
async fn each_rule_of_the_standard_router_routes_as_its_readme_says() {
    let s = app();
    let t = "route-rules";
    let key = tenant(s, t).await;
    let ingest = s.key(t, "ingest").await;
    let settings = s.get(&key, &format!("/v1/tenants/{t}/routing")).await;
    assert_eq!(settings.body["router"], "standard_router", "{}", settings.body);
    assert_eq!(settings.body["deadline_ms"], 50);

    // High tier: in-house, 5 + 3; `invoice_question` is nobody's skill, so the queue; the
    // in-house billing agents available by quality (h4 is unavailable).
    let high =
        route(s, &ingest, t, contact("c-1", "billing", "invoice_question", json!({"customer_tier": " Gold "}))).await;
    assert_eq!(decision(&high), want("in_house", "billing", 8, &["h2", "h1"], "high tier (Gold) → in-house"));
    assert_eq!(high.body["router"], "standard_router");
    assert_eq!((high.body["version"].as_str(), high.body["served_as"].as_str()), (Some("1.0.0"), Some("standard")));
    assert_eq!(high.body["fallback"], Value::Null);
    assert!(high.body["snapshot_taken_at"].is_string() && high.body["latency_us"].as_u64().unwrap() > 0);
    // Sales-likely: in-house, 5 + 2, skill `sales` (h2 holds it).
    let sales = route(s, &key, t, contact("c-2", "general", "product_info", json!({"sales_likelihood": 0.72}))).await;
    assert_eq!(decision(&sales), want("in_house", "sales", 7, &["h2"], "sales-likely (0.72) → in-house"));
    let below = route(s, &key, t, contact("c-3", "general", "product_info", json!({"sales_likelihood": 0.49}))).await;
    assert_eq!(decision(&below), want("crowd", "general", 5, &["c2", "c3"], "standard contact → crowd"));
    // Hard by reason and by attribute: in-house, 5 + 1.
    let complaint = route(s, &key, t, contact("c-4", "general", "complaint", json!({}))).await;
    assert_eq!(decision(&complaint), want("in_house", "general", 6, &["h1", "h3"], "hard (complaint) → in-house"));
    let flagged =
        route(s, &key, t, contact("c-5", "billing", "plan_change", json!({"attributes": {"hard": "yes"}}))).await;
    assert_eq!(decision(&flagged), want("in_house", "billing", 6, &["h2", "h1"], "hard (attribute hard) → in-house"));
    let not_flagged =
        route(s, &key, t, contact("c-6", "billing", "plan_change", json!({"attributes": {"hard": "no"}}))).await;
    assert_eq!(decision(&not_flagged).0, "crowd");
    // Standard: the crowd's billing agents by quality.
    let standard = route(s, &key, t, contact("c-7", "billing", "invoice_question", json!({}))).await;
    assert_eq!(decision(&standard), want("crowd", "billing", 5, &["c2", "c1"], "standard contact → crowd"));
    // Every rule: 5 + 3 + 2 + 1 clamped at 10.
    let all = contact("c-8", "billing", "cancellation", json!({"customer_tier": "gold", "sales_likelihood": 0.9}));
    let reason = "high tier (gold); sales-likely (0.90); hard (cancellation) → in-house";
    assert_eq!(decision(&route(s, &key, t, all).await), want("in_house", "sales", 10, &["h2"], reason));
    // The skill is the reason when the chosen pool holds it, else the queue.
    let dispute = route(s, &key, t, contact("c-9", "billing", "charge_dispute", json!({}))).await;
    let expected = want("in_house", "charge_dispute", 6, &["h3"], "hard (charge_dispute) → in-house");
    assert_eq!(decision(&dispute), expected);
    // `tech` is held only by c4, whose state is unknown: the skill, but nobody preferred.
    let tech = route(s, &key, t, contact("c-10", "general", "tech", json!({}))).await;
    assert_eq!(decision(&tech), want("crowd", "tech", 5, &[], "standard contact → crowd"));

    // Parameters: only complaints are hard, one agent preferred, unavailable agents too.
    let params = json!({"hard_reasons": "complaint", "preferred_agents": 1, "available_only": false});
    set_routing(s, &key, t, json!({"router": "standard_router", "params": params})).await;
    let dispute = route(s, &key, t, contact("c-11", "billing", "charge_dispute", json!({}))).await;
    assert_eq!(
        decision(&dispute),
        want("crowd", "billing", 5, &["c2"], "standard contact → crowd"),
        "the crowd lacks the skill"
    );
    let gold = route(s, &key, t, contact("c-12", "billing", "x", json!({"customer_tier": "platinum"}))).await;
    assert_eq!(decision(&gold), want("in_house", "billing", 8, &["h4"], "high tier (platinum) → in-house"));
    let tech = route(s, &key, t, contact("c-13", "general", "tech", json!({}))).await;
    assert_eq!(decision(&tech).3, ["c4"]);
    // By handle time, shortest first; agents without the figure last.
    let params = json!({"order": "aht", "preferred_agents": 10, "base_priority": 2});
    set_routing(s, &key, t, json!({"router": "standard_router", "params": params})).await;
    let by_aht = route(s, &key, t, contact("c-14", "billing", "x", json!({}))).await;
    assert_eq!(decision(&by_aht), want("crowd", "billing", 2, &["c1", "c2"], "standard contact → crowd"));
    let by_aht = route(s, &key, t, contact("c-15", "billing", "x", json!({"customer_tier": "gold"}))).await;
    assert_eq!(decision(&by_aht), want("in_house", "billing", 5, &["h1", "h2"], "high tier (gold) → in-house"));
    let none = json!({"router": "standard_router", "params": {"preferred_agents": 0}});
    set_routing(s, &key, t, none).await;
    assert!(decision(&route(s, &key, t, contact("c-16", "billing", "x", json!({}))).await).3.is_empty());
}

#[tokio::test]
async fn a_runaway_failing_or_garbled_router_answers_the_configured_fallback() {
    let s = app();
    let t = "route-fallback";
    let key = tenant(s, t).await;
    assert_eq!(s.upload(&key, t, guest(HOSTILE_ROUTER)).await.status, StatusCode::CREATED);
    let fallback = json!({"pool": "crowd", "skill": "general", "priority": 3});
    let settings = |mode: &str| {
        let params = json!({ "mode": mode });
        json!({"router": "hostile_router", "params": params, "deadline_ms": 20, "fallback": fallback})
    };
    let stored = set_routing(s, &key, t, settings("loop")).await;
    assert_eq!(stored.body["fallback"], fallback);
    for i in 0..3 {
        let started = Instant::now();
        let reply = route(s, &key, t, contact(&format!("l-{i}"), "billing", "x", json!({}))).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(1), "answered in {took:?} with a 20 ms deadline");
        assert_eq!(decision(&reply), want("crowd", "general", 3, &[], "configured fallback (timeout)"));
        assert_eq!(
            (reply.body["served_as"].as_str(), reply.body["version"].clone()),
            (Some("configured_fallback"), Value::Null)
        );
        assert_eq!(reply.body["fallback"]["cause"], "timeout", "{}", reply.body);
        assert!(reply.body["fallback"]["detail"].as_str().unwrap().contains("hostile_router"), "{}", reply.body);
    }
    let metric = s.metric(&key, t, "aht", "from=2026-03-01&to=2026-04-01&group_by=total").await;
    assert_eq!(metric.status, StatusCode::OK, "the tenant still answers: {}", metric.body);

    for (mode, cause) in [("fail", "plugin_error"), ("bad_priority", "invalid_result"), ("trap", "trap")] {
        set_routing(s, &key, t, settings(mode)).await;
        let reply = route(s, &key, t, contact("f-1", "billing", "x", json!({}))).await;
        assert_eq!(reply.body["fallback"]["cause"], cause, "{mode}: {}", reply.body);
        assert_eq!(decision(&reply), want("crowd", "general", 3, &[], &format!("configured fallback ({cause})")));
    }
    // An empty fallback skill is the contact's queue.
    let mut queue_fallback = settings("fail");
    queue_fallback["fallback"] = json!({"pool": "in_house", "priority": 9});
    set_routing(s, &key, t, queue_fallback).await;
    let reply = route(s, &key, t, contact("f-2", "billing", "x", json!({}))).await;
    assert_eq!(decision(&reply), want("in_house", "billing", 9, &[], "configured fallback (plugin_error)"));

    // Routers cannot run SQL: the query answers the host's refusal, which the router reports.
    set_routing(s, &key, t, settings("sql")).await;
    let reply = route(s, &key, t, contact("q-1", "billing", "x", json!({}))).await;
    let (pool, skill, priority, _, reason) = decision(&reply);
    assert_eq!((pool.as_str(), skill.as_str(), priority), ("crowd", "billing", 5), "{}", reply.body);
    assert!(reason.contains("routers run on the live path"), "{reason}");
    assert_eq!((reply.body["served_as"].as_str(), reply.body["version"].as_str()), (Some("active"), Some("0.0.1")));
    assert_eq!(reply.body["fallback"], Value::Null);
    // A plain answer from the same router.
    set_routing(s, &key, t, settings("normal")).await;
    let reply = route(s, &key, t, contact("n-1", "tech", "x", json!({}))).await;
    assert_eq!(decision(&reply), want("crowd", "tech", 5, &[], "hostile-router normal"));
}

#[tokio::test]
async fn contacts_and_settings_are_checked_and_analysts_may_not_route() {
    let s = app();
    let t = "route-checks";
    let key = tenant(s, t).await;
    let path = format!("/v1/tenants/{t}/route");
    let blank_queue = route(s, &key, t, contact("v-1", "  ", "x", json!({}))).await;
    assert_eq!(
        (blank_queue.status, blank_queue.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_contact"))
    );
    assert_eq!(blank_queue.body["field"], "queue", "{}", blank_queue.body);
    let missing = s.post_json(&key, &path, json!({"channel": "voice", "customer_id": "k"})).await;
    assert_eq!(
        (missing.status, missing.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
    assert!(missing.body["detail"].as_str().unwrap().contains("missing field `queue`"), "{}", missing.body);
    let likely = route(s, &key, t, contact("v-2", "billing", "x", json!({"sales_likelihood": 2.0}))).await;
    assert_eq!((likely.status, likely.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_contact")));
    assert_eq!(likely.body["field"], "sales_likelihood");
    let forged = route(s, &key, t, contact("v-3", "billing\nx", "x", json!({}))).await;
    assert_eq!(
        (forged.status, forged.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("queue")),
        "{}",
        forged.body
    );
    let many: serde_json::Map<String, Value> = (0..33).map(|i| (format!("a{i}"), json!("v"))).collect();
    let crowded = route(s, &key, t, contact("v-4", "billing", "x", json!({"attributes": many}))).await;
    assert_eq!((crowded.status, crowded.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("attributes")));
    let unknown = route(s, &key, t, contact("v-5", "billing", "x", json!({"colour": "red"}))).await;
    assert_eq!((unknown.status, unknown.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("colour")));

    let analyst = s.key(t, "analyst").await;
    let refused = route(s, &analyst, t, contact("v-6", "billing", "x", json!({}))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let ingest = s.key(t, "ingest").await;
    assert_eq!(route(s, &ingest, t, contact("v-7", "billing", "x", json!({}))).await.status, StatusCode::OK);
    assert_eq!(
        route(s, crate::util::OPERATOR_KEY, t, contact("v-8", "billing", "x", json!({}))).await.status,
        StatusCode::OK
    );
    let other = s.tenant("route-checks-other").await;
    assert_eq!(route(s, &other, t, contact("v-9", "billing", "x", json!({}))).await.status, StatusCode::FORBIDDEN);

    let settings = format!("/v1/tenants/{t}/routing");
    let bad = |field: &str, body: Value| (field.to_string(), body);
    for (field, body) in [
        bad("deadline_ms", json!({"router": "standard_router", "deadline_ms": 0})),
        bad("deadline_ms", json!({"router": "standard_router", "deadline_ms": 1001})),
        bad("fallback.priority", json!({"router": "standard_router", "fallback": {"pool": "crowd", "priority": 11}})),
        bad("window_days", json!({"router": "standard_router", "window_days": 0})),
        bad("refresh_seconds", json!({"router": "standard_router", "refresh_seconds": 1})),
        bad("log_one_in", json!({"router": "standard_router", "log_one_in": 0})),
    ] {
        let reply = s.put_json(&key, &settings, body).await;
        assert_eq!(
            (reply.status, reply.body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_settings")),
            "{field}: {}",
            reply.body
        );
        assert_eq!(reply.body["field"], field.as_str());
    }
    let unknown = s.put_json(&key, &settings, json!({"router": "no_such_router"})).await;
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("plugin_not_found")));
    assert_eq!(unknown.body["field"], "router");
    let metric = s.put_json(&key, &settings, json!({"router": "aht"})).await;
    assert_eq!(metric.status, StatusCode::NOT_FOUND, "{}", metric.body);
    let param =
        s.put_json(&key, &settings, json!({"router": "standard_router", "params": {"preferred_agents": "five"}})).await;
    assert_eq!(param.status, StatusCode::BAD_REQUEST, "{}", param.body);
    let as_analyst = s.put_json(&analyst, &settings, json!({"router": "standard_router"})).await;
    assert_eq!(as_analyst.status, StatusCode::FORBIDDEN);
    assert_eq!(s.get(&key, &settings).await.body["deadline_ms"], 50, "nothing was stored");
    // Parameters out of the router's own ranges are its error: the configured fallback answers.
    set_routing(s, &key, t, json!({"router": "standard_router", "params": {"order": "speed"}})).await;
    let reply = route(s, &key, t, contact("v-10", "billing", "x", json!({}))).await;
    assert_eq!(reply.body["served_as"], "configured_fallback", "{}", reply.body);
    assert_eq!(reply.body["fallback"]["cause"], "plugin_error");
    assert!(reply.body["fallback"]["detail"].as_str().unwrap().contains("parameter `order` must be"), "{}", reply.body);
}

/// The standard router with its `sales` skill renamed `salez`: a second version of
/// `standard_router` (same name and version, other bytes) that never finds an in-house
/// `sales` holder, so sales-likely contacts take the reason's skill or the queue instead.
fn router_without_sales() -> Vec<u8> {
    let mut bytes = guest(ROUTER_STANDARD_ROUTER);
    let needle = "salesstandard contact".as_bytes();
    let at: Vec<usize> =
        bytes.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).collect();
    assert_eq!(at.len(), 1, "the `sales` literal sits once before `standard contact` in the data segment");
    bytes[at[0] + 4] = b'z';
    bytes
}

async fn upload_without_sales(s: &Server, key: &str, t: &str) -> String {
    let uploaded = s.upload_with(key, t, router_without_sales(), "?activate=false").await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    assert_eq!(uploaded.body["active"], false);
    uploaded.body["hash"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_canary_router_takes_its_share_of_contacts_and_each_contact_stays_on_its_side() {
    let s = app();
    let t = "route-canary";
    let key = tenant(s, t).await;
    let hash = upload_without_sales(s, &key, t).await;
    let canary = s
        .put_json(
            &key,
            &format!("/v1/tenants/{t}/plugins/standard_router/canary"),
            json!({"hash": hash, "percent": 50}),
        )
        .await;
    assert_eq!(canary.status, StatusCode::OK, "{}", canary.body);
    let sales = |i: usize| contact(&format!("k-{i}"), "general", "product_info", json!({"sales_likelihood": 0.72}));
    let mut side = BTreeMap::new();
    for i in 0..60 {
        let reply = route(s, &key, t, sales(i)).await;
        let served_as = reply.body["served_as"].as_str().unwrap().to_string();
        let expected = match served_as.as_str() {
            "canary" => want("in_house", "general", 7, &["h1", "h3"], "sales-likely (0.72) → in-house"),
            "standard" | "active" => want("in_house", "sales", 7, &["h2"], "sales-likely (0.72) → in-house"),
            other => panic!("served as {other}: {}", reply.body),
        };
        assert_eq!(decision(&reply), expected, "{served_as}");
        assert_eq!(reply.body["version"], "1.0.0");
        side.insert(i, served_as);
    }
    let canaries = side.values().filter(|s| *s == "canary").count();
    assert!((12..=48).contains(&canaries), "{canaries} of 60 contacts took a 50% canary");
    for i in 0..20 {
        let reply = route(s, &key, t, sales(i)).await;
        assert_eq!(reply.body["served_as"].as_str().unwrap(), side[&i], "contact k-{i} switched sides");
    }
    let stopped = s.delete(&key, &format!("/v1/tenants/{t}/plugins/standard_router/canary")).await;
    assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.body);
    let k = side.iter().find(|(_, s)| *s == "canary").map(|(i, _)| *i).unwrap();
    assert_eq!(decision(&route(s, &key, t, sales(k)).await).1, "sales", "the canary stopped");
}

#[tokio::test]
async fn a_shadow_router_is_compared_field_by_field_without_being_served() {
    let s = app();
    let t = "route-shadow";
    let key = tenant(s, t).await;
    let hash = upload_without_sales(s, &key, t).await;
    let path = format!("/v1/tenants/{t}/plugins/standard_router/shadow");
    let started = s.put_json(&key, &path, json!({"hash": hash})).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    // 8 sales-likely contacts (the candidate finds no `sales` skill: skill and agents differ),
    // 4 gold ones and 8 standard ones (decided alike).
    for i in 0..20 {
        let c = match i % 5 {
            0 | 1 => contact(&format!("s-{i}"), "general", "product_info", json!({"sales_likelihood": 0.72})),
            2 => contact(&format!("s-{i}"), "billing", "x", json!({"customer_tier": "gold"})),
            _ => contact(&format!("s-{i}"), "billing", "invoice_question", json!({})),
        };
        let reply = route(s, &key, t, c).await;
        assert_eq!(reply.body["served_as"], "standard", "the shadow is never served: {}", reply.body);
        if i % 5 < 2 {
            assert_eq!(decision(&reply).1, "sales");
        }
        // The candidate runs after the answer, in a free place only: one contact at a time.
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.get(&key, &path).await.body["calls_compared"].as_u64().unwrap_or(0) < i + 1 {
            assert!(Instant::now() < deadline, "{}", s.get(&key, &path).await.body);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let report = s.get(&key, &path).await.body;
    assert_eq!(report["calls_compared"], 20, "{report}");
    assert_eq!(report["calls_differing"], 8, "{report}");
    assert_eq!(report["candidate_errors"], 0, "{report}");
    assert_eq!(report["route_fields_differing"], json!({"skill": 8, "agents": 8}), "{report}");
    assert_eq!(
        report["route_differences"],
        json!([{"queue": "general", "contact_reason": "product_info", "active_pool": "in_house",
            "candidate_pool": "in_house", "active_skill": "sales", "candidate_skill": "general", "contacts": 8}]),
        "{report}"
    );
    let stopped = s.delete(&key, &path).await;
    assert_eq!(stopped.body["shadow_hash"], Value::Null, "{}", stopped.body);
}

#[tokio::test]
async fn the_decision_log_counts_decisions_by_pool_role_and_fallback_cause() {
    let s = app();
    let t = "route-log";
    let key = tenant(s, t).await;
    let log = format!("/v1/tenants/{t}/routing/decisions");
    let empty = s.get(&key, &log).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert_eq!((empty.body["decisions"].clone(), empty.body["logged"].clone()), (json!(0), json!(0)));
    for i in 0..5 {
        route(s, &key, t, contact(&format!("d-{i}"), "billing", "x", json!({}))).await;
    }
    for i in 5..8 {
        route(s, &key, t, contact(&format!("d-{i}"), "billing", "x", json!({"customer_tier": "gold"}))).await;
    }
    assert_eq!(s.upload(&key, t, guest(HOSTILE_ROUTER)).await.status, StatusCode::CREATED);
    let settings = json!({"router": "hostile_router", "params": {"mode": "fail"},
        "fallback": {"pool": "crowd", "priority": 2}});
    set_routing(s, &key, t, settings).await;
    for i in 8..10 {
        let reply = route(s, &key, t, contact(&format!("d-{i}"), "billing", "x", json!({}))).await;
        assert_eq!(reply.body["fallback"]["cause"], "plugin_error", "{}", reply.body);
    }
    set_routing(s, &key, t, json!({"router": "hostile_router", "params": {"mode": "loop"}, "deadline_ms": 20})).await;
    let reply = route(s, &key, t, contact("d-10", "billing", "x", json!({}))).await;
    assert_eq!(reply.body["fallback"]["cause"], "timeout", "{}", reply.body);

    let started = Instant::now();
    let summary = loop {
        let summary = s.get(&key, &format!("{log}?limit=3")).await;
        assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
        if summary.body["decisions"] == 11 {
            break summary.body;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{}", summary.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(summary["logged"], 11, "below the full-log rate every decision is logged: {summary}");
    assert_eq!(summary["by_pool"], json!({"crowd": 7, "in_house": 4}), "{summary}");
    assert_eq!(summary["by_served_as"], json!({"standard": 8, "configured_fallback": 3}), "{summary}");
    assert_eq!(summary["fallbacks"], json!({"plugin_error": 2, "timeout": 1}), "{summary}");
    assert!(summary["latency_p50_us"].as_f64().unwrap() > 0.0, "{summary}");
    let latest = summary["latest"].as_array().unwrap();
    assert_eq!(latest.len(), 3);
    assert_eq!(latest[0]["contact_id"], "d-10", "{summary}");
    assert_eq!((latest[0]["pool"].as_str(), latest[0]["fallback_cause"].as_str()), (Some("in_house"), Some("timeout")));
    assert_eq!(latest[0]["version"], Value::Null);
    assert_eq!(latest[1]["router"], "hostile_router");
    assert_eq!((latest[1]["skill"].as_str(), latest[1]["priority"].as_i64()), (Some("billing"), Some(2)));
    let old = s.get(&key, &format!("{log}?from=2020-01-01&to=2020-02-01")).await;
    assert_eq!(old.body["decisions"], 0, "{}", old.body);
    let too_many = s.get(&key, &format!("{log}?limit=501")).await;
    assert_eq!((too_many.status, too_many.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")));
}
