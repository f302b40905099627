//! Enrichment on ingest: the standard enricher's hand-checked comments (English, Chinese,
//! mixed) scored in the background with the tenant's taxonomy; what an ingest queues; a
//! failing enricher that loses no row and is retried in smaller batches; enrichment turned
//! off; the sentiment metric over enriched comments and notes; enriched Chinese topics side
//! by side; refused settings.

use std::time::{Duration, Instant};

use cxhost::guests::test_guests::HOSTILE_ENRICHER;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::util::{AGENTS_CSV, Reply, Server, app, guest};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

/// The standard enricher's hand-checked fixtures.
fn fixtures() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/enrichers/standard-enricher/fixtures/comments.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The fixtures' taxonomy as `PUT …/topics` takes it: topic → keywords.
fn fixture_taxonomy(f: &Value) -> Value {
    let mut topics = serde_json::Map::new();
    for t in f["taxonomy"].as_array().unwrap() {
        topics.insert(t["name"].as_str().unwrap().to_string(), t["keywords"].clone());
    }
    json!({ "topics": topics })
}

/// A tenant with the two agents of [`AGENTS_CSV`]; returns its admin key.
async fn tenant(s: &Server, t: &str) -> String {
    let key = s.tenant(t).await;
    let agents = s.ingest(&key, t, "agents", "", "text/csv", AGENTS_CSV.into()).await;
    assert_eq!(agents.status, StatusCode::OK, "{}", agents.body);
    key
}

/// Customer feedback rows `(id, comment)` for agent x1, answered on 2026-03-03 at 10:00 plus
/// a minute per row, as a JSON batch.
fn feedback(rows: &[(&str, &str)]) -> Vec<u8> {
    let rows: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, (id, comment))| {
            json!({"feedback_id": id, "customer_id": format!("k-{id}"), "agent_id": "x1",
                "responded_at": format!("2026-03-03T10:{i:02}:00Z"), "csat": 4, "comment": comment})
        })
        .collect();
    serde_json::to_vec(&rows).unwrap()
}

async fn ingest_feedback(s: &Server, key: &str, t: &str, query: &str, rows: &[(&str, &str)]) -> Reply {
    let reply = s.ingest(key, t, "customer_feedback", query, "application/json", feedback(rows)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply
}

/// The enrichment status once nothing is pending, or a panic after `timeout`.
async fn settled(s: &Server, key: &str, t: &str, timeout: Duration) -> Value {
    let started = Instant::now();
    loop {
        let status = s.get(key, &format!("/v1/tenants/{t}/enrichments")).await;
        assert_eq!(status.status, StatusCode::OK, "{}", status.body);
        let pending: u64 =
            status.body["sources"].as_array().unwrap().iter().map(|s| s["pending"].as_u64().unwrap()).sum();
        if pending == 0 {
            return status.body;
        }
        assert!(started.elapsed() < timeout, "still pending after {timeout:?}: {}", status.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The counts of one source in a status answer.
fn source<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["sources"].as_array().unwrap().iter().find(|s| s["source"] == name).unwrap()
}

async fn row(s: &Server, key: &str, t: &str, src: &str, id: &str) -> Value {
    let reply = s.get(key, &format!("/v1/tenants/{t}/enrichments/{src}/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{src}/{id}: {}", reply.body);
    reply.body
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[tokio::test]
async fn english_chinese_and_mixed_comments_are_scored_as_the_fixtures_say() {
    let s = app();
    let t = "enrich-langs";
    let key = tenant(s, t).await;
    let f = fixtures();
    let set = s.put_json(&key, &format!("/v1/tenants/{t}/topics"), fixture_taxonomy(&f)).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let customer = [
        "en-01", "en-02", "en-04", "en-05", "en-09", "en-10", "zh-01", "zh-04", "zh-07", "zh-09", "zh-10", "zh-11",
        "mx-01", "mx-02", "mx-03", "und-02", "und-04",
    ];
    let employee = ["en-12", "zh-13"];
    let by_id = |id: &str| f["comments"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
    let rows: Vec<(String, String)> =
        customer.iter().map(|id| (id.to_string(), by_id(id)["text"].as_str().unwrap().to_string())).collect();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let reply = ingest_feedback(s, &key, t, "", &rows).await;
    assert_eq!(reply.body["enrichment"], json!({"enricher": "standard_enricher", "queued": 17, "state": "queued"}));
    let surveys: Vec<Value> = employee
        .iter()
        .map(|id| {
            json!({"response_id": id, "agent_id": "x2", "responded_at": "2026-03-04T09:00:00Z", "enps": 7,
                "comment": by_id(id)["text"]})
        })
        .collect();
    let reply =
        s.ingest(&key, t, "employee_surveys", "", "application/json", serde_json::to_vec(&surveys).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["enrichment"]["queued"], 2, "{}", reply.body);

    let status = settled(s, &key, t, Duration::from_secs(20)).await;
    let cf = source(&status, "customer_feedback");
    assert_eq!((cf["done"].clone(), cf["failed"].clone()), (json!(17), json!(0)), "{status}");
    assert_eq!(cf["versions"], json!(["standard_enricher@1.0.0"]));
    assert_eq!(source(&status, "employee_surveys")["done"], 2, "{status}");

    // Topics come in the order of the stored taxonomy, which is by topic name.
    let order = ["billing", "refund", "staff", "wait_time"];
    for (src, ids) in [("customer_feedback", &customer[..]), ("employee_surveys", &employee[..])] {
        for id in ids {
            let want = by_id(id);
            let got = row(s, &key, t, src, id).await;
            assert_eq!(got["state"], "done", "{got}");
            assert_eq!((got["enricher"].as_str(), got["version"].as_str()), (Some("standard_enricher"), Some("1.0.0")));
            assert_eq!(got["language"], want["language"], "{id}: {got}");
            let mut topics: Vec<String> =
                want["topics"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
            topics.sort_by_key(|t| order.iter().position(|o| o == t));
            assert_eq!(got["topics"], json!(topics), "{id}: {got}");
            assert_eq!(got["tags"], want["tags"], "{id}: {got}");
            match want["sentiment_sign"].as_i64() {
                None => assert_eq!(got["sentiment"], Value::Null, "{id}: no sentiment expected: {got}"),
                Some(sign) => {
                    let value = got["sentiment"].as_f64().unwrap_or_else(|| panic!("{id}: {got}"));
                    let seen = if value > 0.0 {
                        1
                    } else if value < 0.0 {
                        -1
                    } else {
                        0
                    };
                    assert_eq!(seen, sign, "{id}: sign of {value}");
                    if let Some(hand) = want["sentiment"].as_f64() {
                        assert!(close(value, hand, 1e-3), "{id}: {value} against the hand value {hand}");
                    }
                }
            }
            assert_eq!(got["attempts"], 0, "{id}: {got}");
            assert_eq!(got["last_error"], Value::Null);
        }
    }
    // Spot checks written out, so the test does not rest on the fixture file alone.
    let zh = row(s, &key, t, "customer_feedback", "zh-01").await;
    assert_eq!((zh["language"].as_str(), zh["tags"].clone()), (Some("zh"), json!(["negated"])));
    assert!(close(zh["sentiment"].as_f64().unwrap(), -0.357, 1e-3), "不满意: {zh}");
    let en = row(s, &key, t, "customer_feedback", "en-01").await;
    assert!(close(en["sentiment"].as_f64().unwrap(), -0.3412, 1e-3), "not good: {en}");
    let mixed = row(s, &key, t, "customer_feedback", "mx-01").await;
    assert_eq!(mixed["topics"], json!(["staff", "wait_time"]));
    assert_eq!(mixed["tags"], json!(["mixed_language"]));
    let wait = row(s, &key, t, "customer_feedback", "zh-04").await;
    assert_eq!(wait["topics"], json!(["wait_time"]), "等 found inside Chinese text: {wait}");
}

#[tokio::test]
async fn an_ingest_queues_new_and_changed_comments_only() {
    let s = app();
    let t = "enrich-queue";
    let key = tenant(s, t).await;
    let rows = [("q1", "The agent was very helpful"), ("q2", "   "), ("q3", "不满意")];
    let first = ingest_feedback(s, &key, t, "", &rows).await;
    assert_eq!(first.body["inserted"], 3, "{}", first.body);
    assert_eq!(first.body["enrichment"], json!({"enricher": "standard_enricher", "queued": 2, "state": "queued"}));
    let status = settled(s, &key, t, Duration::from_secs(20)).await;
    assert_eq!(source(&status, "customer_feedback")["done"], 2, "{status}");
    let blank = s.get(&key, &format!("/v1/tenants/{t}/enrichments/customer_feedback/q2")).await;
    assert_eq!((blank.status, blank.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_enrichment")));

    let again = ingest_feedback(s, &key, t, "", &rows).await;
    assert_eq!(again.body["unchanged"], 3, "{}", again.body);
    assert_eq!(again.body["enrichment"], json!({"enricher": "standard_enricher", "queued": 0, "state": "none"}));
    let replaced = ingest_feedback(s, &key, t, "?on_conflict=replace", &rows).await;
    assert_eq!(replaced.body["enrichment"]["queued"], 0, "the same texts: {}", replaced.body);

    let changed = [("q1", "The agent was very helpful"), ("q2", "   "), ("q3", "很满意")];
    let skipped = ingest_feedback(s, &key, t, "", &changed).await;
    assert_eq!(skipped.body["enrichment"]["queued"], 0, "a skipped row keeps its text: {}", skipped.body);
    let replaced = ingest_feedback(s, &key, t, "?on_conflict=replace", &changed).await;
    assert_eq!(replaced.body["enrichment"], json!({"enricher": "standard_enricher", "queued": 1, "state": "queued"}));
    settled(s, &key, t, Duration::from_secs(20)).await;
    let q3 = row(s, &key, t, "customer_feedback", "q3").await;
    assert!(close(q3["sentiment"].as_f64().unwrap(), 0.5095, 1e-3), "很满意 scored anew: {q3}");
    let q1 = row(s, &key, t, "customer_feedback", "q1").await;
    assert!(close(q1["sentiment"].as_f64().unwrap(), 0.4754, 1e-3), "{q1}");
}

#[tokio::test]
async fn a_failing_enricher_loses_no_row_and_holds_back_only_the_text_it_fails_on() {
    let s = app();
    let t = "enrich-fail";
    let key = tenant(s, t).await;
    let upload = s.upload(&key, t, guest(HOSTILE_ENRICHER)).await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.body);
    let settings = json!({"enricher": "hostile_enricher", "params": {"mode": "fail_on_text"}, "batch_size": 4});
    let set = s.put_json(&key, &format!("/v1/tenants/{t}/enrichment"), settings.clone()).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body, settings);
    let rows = [("p1", "fine"), ("p2", "good"), ("p3", "this one will FAIL"), ("p4", "great"), ("p5", "ok")];
    let reply = ingest_feedback(s, &key, t, "", &rows).await;
    assert_eq!(reply.body["inserted"], 5, "every row is stored whatever the enricher does: {}", reply.body);
    assert_eq!(reply.body["enrichment"], json!({"enricher": "hostile_enricher", "queued": 5, "state": "queued"}));

    // p1..p4 fail together, p5 passes alone; 2 s later p1..p4 come back one at a time.
    let started = Instant::now();
    let status = loop {
        let status = s.get(&key, &format!("/v1/tenants/{t}/enrichments")).await.body;
        if source(&status, "customer_feedback")["done"] == 4 {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let cf = source(&status, "customer_feedback");
    assert_eq!(cf["pending"].as_u64().unwrap() + cf["failed"].as_u64().unwrap(), 1, "{status}");
    let message = "enricher failed on purpose: item p3 contains FAIL";
    assert!(cf["last_error"].as_str().unwrap().contains(message), "{status}");
    assert_eq!(cf["versions"], json!(["hostile_enricher@0.0.1"]));
    for id in ["p1", "p2", "p4", "p5"] {
        let got = row(s, &key, t, "customer_feedback", id).await;
        let seen = (&got["state"], &got["sentiment"], &got["language"], &got["topics"], &got["tags"]);
        assert_eq!(seen, (&json!("done"), &json!(0.5), &json!("en"), &json!([]), &json!([])), "{id}: {got}");
        assert_eq!(got["version"], "0.0.1");
    }
    let failing = row(s, &key, t, "customer_feedback", "p3").await;
    assert!(failing["state"] == "pending" || failing["state"] == "failed", "{failing}");
    assert!(failing["attempts"].as_u64().unwrap() >= 2, "failed in the batch and alone: {failing}");
    assert!(failing["last_error"].as_str().unwrap().contains(message), "{failing}");
    assert_eq!(failing["sentiment"], Value::Null);

    let back = s.put_json(&key, &format!("/v1/tenants/{t}/enrichment"), json!({"enricher": "standard_enricher"})).await;
    assert_eq!(back.body, json!({"enricher": "standard_enricher", "params": {}, "batch_size": 1000}), "{}", back.body);
    let body = json!({"from": "2026-03-03", "to": "2026-03-04", "sources": ["customer_feedback"]});
    let recomputed = s.post_json(&key, &format!("/v1/tenants/{t}/enrichments/recompute"), body).await;
    assert_eq!(recomputed.status, StatusCode::OK, "{}", recomputed.body);
    assert_eq!(recomputed.body, json!({"queued": 5, "enricher": "standard_enricher"}));
    let status = settled(s, &key, t, Duration::from_secs(20)).await;
    let cf = source(&status, "customer_feedback");
    assert_eq!((cf["done"].clone(), cf["failed"].clone()), (json!(5), json!(0)), "{status}");
    assert_eq!(cf["versions"], json!(["standard_enricher@1.0.0"]));
    let p3 = row(s, &key, t, "customer_feedback", "p3").await;
    assert_eq!(
        (p3["state"].as_str(), p3["attempts"].as_u64(), p3["last_error"].clone()),
        (Some("done"), Some(0), Value::Null)
    );
    assert_eq!(p3["version"], "1.0.0");
    let empty_range = json!({"from": "2026-04-01", "to": "2026-05-01"});
    let none = s.post_json(&key, &format!("/v1/tenants/{t}/enrichments/recompute"), empty_range).await;
    assert_eq!(none.body["queued"], 0, "{}", none.body);
}

#[tokio::test]
async fn with_enrichment_off_ingest_queues_nothing_and_recompute_is_refused() {
    let s = app();
    let t = "enrich-off";
    let key = tenant(s, t).await;
    let default = s.get(&key, &format!("/v1/tenants/{t}/enrichment")).await;
    assert_eq!(default.body, json!({"enricher": "standard_enricher", "params": {}, "batch_size": 1000}));
    let off = s.put_json(&key, &format!("/v1/tenants/{t}/enrichment"), json!({"enricher": null})).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(off.body["enricher"], Value::Null);
    let reply = ingest_feedback(s, &key, t, "", &[("o1", "not good")]).await;
    assert_eq!(reply.body["inserted"], 1);
    assert!(reply.body.get("enrichment").is_none(), "{}", reply.body);
    let status = s.get(&key, &format!("/v1/tenants/{t}/enrichments")).await;
    assert_eq!(status.body["enricher"], Value::Null);
    assert_eq!(source(&status.body, "customer_feedback")["pending"], 0, "{}", status.body);
    let refused = s
        .post_json(
            &key,
            &format!("/v1/tenants/{t}/enrichments/recompute"),
            json!({"from": "2026-03-01", "to": "2026-04-01"}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("enrichment_off")),
        "{}",
        refused.body
    );
    let missing = s.get(&key, &format!("/v1/tenants/{t}/enrichments/customer_feedback/o1")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_sentiment_metric_reads_enriched_comments_and_notes_before_the_vendor() {
    let s = app();
    let t = "enrich-sentiment";
    let key = tenant(s, t).await;
    let rows = [("s1", "not good"), ("s2", "很满意"), ("s3", "Rude and useless."), ("s4", "12345")];
    ingest_feedback(s, &key, t, "", &rows).await;
    let interactions = "interaction_id,customer_id,agent_id,channel,queue,contact_reason,offered_at,answered_at,\
        ended_at,outcome,sentiment,notes\n\
        n1,k1,x1,voice,billing,billing,2026-03-03T09:00:00Z,2026-03-03T09:00:10Z,2026-03-03T09:05:00Z,handled,0.9,\
        not good\n\
        n2,k2,x1,voice,billing,billing,2026-03-03T09:10:00Z,2026-03-03T09:10:10Z,2026-03-03T09:15:00Z,handled,0.2,\n\
        n3,k3,x2,voice,billing,billing,2026-03-03T09:20:00Z,2026-03-03T09:20:10Z,2026-03-03T09:25:00Z,handled,,\n";
    let reply = s.ingest(&key, t, "interactions", "", "text/csv", interactions.into()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["enrichment"]["queued"], 1, "only n1 has notes: {}", reply.body);
    settled(s, &key, t, Duration::from_secs(20)).await;

    let mut scored = Vec::new();
    for (id, _) in rows {
        let got = row(s, &key, t, "customer_feedback", id).await;
        if let Some(v) = got["sentiment"].as_f64() {
            scored.push(v);
        }
    }
    assert_eq!(scored.len(), 3, "12345 has no sentiment");
    let mean = scored.iter().sum::<f64>() / 3.0;
    assert!(close(mean, (-0.3412 + 0.5095 - 0.7003) / 3.0, 1e-3), "{scored:?}");
    let value = |reply: &Reply| {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["rows"][0]["value"].as_f64().unwrap_or_else(|| panic!("{}", reply.body))
    };
    let comments = s.metric(&key, t, "sentiment", &format!("{RANGE}&group_by=total&source=comments")).await;
    assert_eq!(comments.body["plugin"]["version"], "1.1.0", "{}", comments.body);
    assert!(close(value(&comments), mean, 1e-9), "{}", comments.body);

    let notes = row(s, &key, t, "interactions", "n1").await["sentiment"].as_f64().unwrap();
    assert!(close(notes, -0.3412, 1e-3));
    let contact = s.metric(&key, t, "sentiment", &format!("{RANGE}&group_by=total&source=contact")).await;
    assert!(close(value(&contact), (notes + 0.2) / 2.0, 1e-9), "n1 by its notes, n2 by the vendor: {}", contact.body);
    let default = s.metric(&key, t, "sentiment", &format!("{RANGE}&group_by=total")).await;
    assert!(close(value(&default), (notes + 0.2) / 2.0, 1e-9), "contact is the default: {}", default.body);
    let vendor = s.metric(&key, t, "sentiment", &format!("{RANGE}&group_by=total&source=vendor")).await;
    assert!(close(value(&vendor), (0.9 + 0.2) / 2.0, 1e-9), "{}", vendor.body);
    let by_agent = s.metric(&key, t, "sentiment", &format!("{RANGE}&group_by=agent&source=comments")).await;
    assert_eq!(by_agent.body["rows"].as_array().unwrap().len(), 1, "all comments are about x1: {}", by_agent.body);
}

#[tokio::test]
async fn topics_side_by_side_count_an_enriched_chinese_comment_under_its_topic() {
    let s = app();
    let t = "enrich-topics";
    let key = tenant(s, t).await;
    let off = s.put_json(&key, &format!("/v1/tenants/{t}/enrichment"), json!({"enricher": null})).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let taxonomy = json!({"topics": {"wait": ["wait", "等"], "staff": ["agent", "客服"]}});
    let set = s.put_json(&key, &format!("/v1/tenants/{t}/topics"), taxonomy).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let comments = [("t1", "等了太久"), ("t2", "客服态度很差，等了半个小时"), ("t3", "long wait")];
    ingest_feedback(s, &key, t, "", &comments).await;
    let side = format!("/v1/tenants/{t}/topics/side-by-side?level=total&{RANGE}");
    let counts = |reply: &Reply| {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let total = &reply.body["groups"][0];
        (
            total["customer_comments"].as_u64().unwrap(),
            total["customer"]["wait"].clone(),
            total["customer"]["staff"].clone(),
        )
    };
    // By keyword alone (`\b等\b` finds nothing inside Chinese text), only `long wait` counts.
    assert_eq!(counts(&s.get(&key, &side).await), (3, json!(1), json!(0)));

    let on = s.put_json(&key, &format!("/v1/tenants/{t}/enrichment"), json!({"enricher": "standard_enricher"})).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    let recomputed = s
        .post_json(
            &key,
            &format!("/v1/tenants/{t}/enrichments/recompute"),
            json!({"from": "2026-03-01", "to": "2026-04-01"}),
        )
        .await;
    assert_eq!(recomputed.body["queued"], 3, "{}", recomputed.body);
    settled(s, &key, t, Duration::from_secs(20)).await;
    assert_eq!(row(s, &key, t, "customer_feedback", "t2").await["topics"], json!(["staff", "wait"]));
    assert_eq!(counts(&s.get(&key, &side).await), (3, json!(3), json!(1)), "enriched topics count");

    // A new taxonomy queues every text again; once rescored the counts follow it.
    let narrower = json!({"topics": {"wait": ["wait"], "staff": ["客服"]}});
    assert_eq!(s.put_json(&key, &format!("/v1/tenants/{t}/topics"), narrower).await.status, StatusCode::OK);
    settled(s, &key, t, Duration::from_secs(20)).await;
    assert_eq!(counts(&s.get(&key, &side).await), (3, json!(1), json!(1)));
}

#[tokio::test]
async fn bad_enrichment_settings_are_refused_with_the_reason() {
    let s = app();
    let t = "enrich-bad";
    let key = tenant(s, t).await;
    let path = format!("/v1/tenants/{t}/enrichment");
    let unknown = s.put_json(&key, &path, json!({"enricher": "no_such_enricher"})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    assert_eq!(
        (unknown.body["code"].as_str(), unknown.body["field"].as_str()),
        (Some("plugin_not_found"), Some("enricher"))
    );
    let metric = s.put_json(&key, &path, json!({"enricher": "aht"})).await;
    assert_eq!(metric.status, StatusCode::NOT_FOUND, "{}", metric.body);
    assert!(metric.body["detail"].as_str().unwrap().contains("is a metric plugin"), "{}", metric.body);
    let zero = s.put_json(&key, &path, json!({"enricher": "standard_enricher", "batch_size": 0})).await;
    assert_eq!(
        (zero.status, zero.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_settings")),
        "{}",
        zero.body
    );
    assert_eq!(zero.body["field"], "batch_size");
    let big = s.put_json(&key, &path, json!({"enricher": "standard_enricher", "batch_size": 1001})).await;
    assert_eq!(big.status, StatusCode::BAD_REQUEST, "{}", big.body);
    let param =
        s.put_json(&key, &path, json!({"enricher": "standard_enricher", "params": {"max_chars": "many"}})).await;
    assert_eq!(param.status, StatusCode::BAD_REQUEST, "{}", param.body);
    let extra = s.put_json(&key, &path, json!({"enricher": "standard_enricher", "colour": "red"})).await;
    assert_eq!((extra.status, extra.body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")));
    assert_eq!(extra.body["field"], "colour", "{}", extra.body);
    let analyst = s.key(t, "analyst").await;
    let refused = s.put_json(&analyst, &path, json!({"enricher": null})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let unknown_source = s.get(&key, &format!("/v1/tenants/{t}/enrichments/agents/x1")).await;
    assert_eq!(unknown_source.body["code"], "unknown_source", "{}", unknown_source.body);
    let kept = s.get(&key, &path).await;
    assert_eq!(
        kept.body,
        json!({"enricher": "standard_enricher", "params": {}, "batch_size": 1000}),
        "nothing was stored"
    );
}
