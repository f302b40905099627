//! Rule modules that act, end to end on the hand-made fixtures of tests/fixtures/rules:
//! `standard_coaching` opening coaching tasks ("3 of the last 4 weeks", the team percentile,
//! the sample guard) with their evidence; the actions ledger keeping one task per agent and
//! cause (re-runs, an overlapping rule, the higher priority taking over), expiring overdue
//! tasks and resolving unstarted ones whose condition went away; people moving tasks on
//! (roles, forward only, a reason to dismiss, the session recorded); coaching impact as a
//! difference in differences with a planted answer; the run log; schedules run by the
//! scheduler itself; and hot swap (shadow, canary, activate, rollback) for rules.
//!
//! The coaching fixture (tests/fixtures/rules/coaching): team north, e-mail contacts, so a
//! contact's handle time is its talk time; two contacts a week on Tuesdays of the ISO weeks
//! from Monday 2026-03-02, 03-09, 03-16 and 03-23 (AHT per week; "bad" weeks are 380 s and
//! 420 s, AHT 400; "good" weeks 150 s and 250 s, AHT 200):
//!
//! | agent | 03-02 | 03-09 | 03-16 | 03-23 | whole window (AHT, contacts) |
//! |---|---|---|---|---|---|
//! | r1 | 400 | 400 | 200 | 400 | 2800 / 8 = 350 |
//! | r2 | 400 | 200 | 400 | 200 | 2400 / 8 = 300 |
//! | r3 | 400 (1 contact) | 400 (1) | 400 (1) | 400 (1) | 1600 / 4 = 400 |
//! | r4 | 200 | 200 | 200 | 200 | 1600 / 8 = 200 |
//!
//! A run at 2026-03-30 02:00 UTC (settling 60 minutes) judges the days up to 03-30 00:00, so
//! the last four finished weeks are exactly those four. The team's own AHT per week is
//! 2400/7 = 342.9, then 2000/7 = 285.7 three times: one breach of 300, so no team alert.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use cxhost::guests::test_guests::{SCRIPTED_RULE_V1, SCRIPTED_RULE_V2};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::util::{Server, app, guest, start_server_with};

/// The on-demand runs' time: Monday 2026-03-30 02:00 UTC.
const AT: &str = "2026-03-30T02:00:00Z";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/rules").join(name)
}

/// A new tenant with the coaching fixture loaded; its tenant-admin key.
async fn coaching_tenant(s: &Server, tenant: &str) -> String {
    let key = s.tenant(tenant).await;
    s.load_fixture_from(&key, tenant, &fixture("coaching")).await;
    key
}

/// `standard_coaching`'s parameters for the fixture: AHT above 300 s in 3 of the last 4
/// weeks (the defaults `breaches` 3, `periods` 4, `grain` week), a week counting with at least
/// `min_sample` contacts.
fn aht_params(min_sample: u32) -> Value {
    json!({"metric": "aht", "direction": "above", "threshold": 300, "min_sample": min_sample})
}

/// Runs a rule; asserts it succeeded and returns what it did.
async fn run(s: &Server, key: &str, tenant: &str, body: Value) -> Value {
    let reply = s.post_json(key, &format!("/v1/tenants/{tenant}/rules/runs"), body.clone()).await;
    assert_eq!(reply.status, StatusCode::OK, "{body}: {}", reply.body);
    reply.body
}

fn standard(at: &str, params: Value) -> Value {
    json!({"plugin": "standard_coaching", "at": at, "params": params})
}

fn scripted(at: &str, actions: &str) -> Value {
    json!({"plugin": "scripted_rule", "at": at, "params": {"actions": actions}})
}

/// The ids in a JSON array of strings.
fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// `(opened, duplicates, raised, resolved, expired)` of a run's answer.
fn did(run: &Value) -> (usize, u64, usize, usize, usize) {
    (
        run["opened"].as_array().unwrap().len(),
        run["duplicates"].as_u64().unwrap(),
        run["raised"].as_array().unwrap().len(),
        run["resolved"].as_array().unwrap().len(),
        run["expired"].as_array().unwrap().len(),
    )
}

async fn actions(s: &Server, key: &str, tenant: &str, query: &str) -> Vec<Value> {
    let reply = s.get(key, &format!("/v1/tenants/{tenant}/actions{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body.as_array().unwrap().clone()
}

async fn action(s: &Server, key: &str, tenant: &str, id: &str) -> Value {
    let reply = s.get(key, &format!("/v1/tenants/{tenant}/actions/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

async fn patch(s: &Server, key: &str, tenant: &str, id: &str, body: Value) -> crate::util::Reply {
    s.send(s.client.patch(format!("{}/v1/tenants/{tenant}/actions/{id}", s.base)).json(&body), key).await
}

/// One week's evidence item of the AHT rule.
fn week(start: &str, end: &str, value: f64, sample: f64, breach: bool) -> Value {
    json!({
        "metric": "aht", "period_start": format!("{start}T00:00:00Z"), "period_end": format!("{end}T00:00:00Z"),
        "value": value, "threshold": 300.0, "sample": sample, "breach": breach
    })
}

#[tokio::test]
async fn three_of_the_last_four_weeks_opens_a_task_with_its_evidence_and_the_sample_guard_holds() {
    let s = app();
    let t = "rules-threshold";
    let key = coaching_tenant(s, t).await;
    let first = run(s, &key, t, standard(AT, aht_params(2))).await;
    assert_eq!(first["plugin"]["name"], "standard_coaching");
    assert_eq!((first["plugin"]["version"].as_str(), first["served_as"].as_str()), (Some("1.0.0"), Some("standard")));
    assert_eq!(first["run_at"], AT);
    assert_eq!(first["judged_until"], "2026-03-30T00:00:00Z");
    assert_eq!(
        (first["period_start"].as_str(), first["period_end"].as_str()),
        (Some("2026-03-02T00:00:00Z"), Some("2026-03-30T00:00:00Z"))
    );
    assert_eq!(first["params"]["breaches"], 3);
    // r1 breaches in 3 of 4 weeks and gets the one task; r2 breaches in only 2 (03-02 and
    // 03-16); r3's four weeks of 400 s count for nothing with 1 contact each (min_sample 2);
    // r4 never breaches.
    assert_eq!((first["proposed"].as_u64(), did(&first)), (Some(1), (1, 0, 0, 0, 0)), "{first}");
    let listed = actions(s, &key, t, "").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let task = &listed[0];
    assert_eq!(task["action_id"], first["opened"][0]);
    assert_eq!((task["kind"].as_str(), task["state"].as_str()), (Some("coaching_task"), Some("open")));
    assert_eq!((task["agent_id"].as_str(), task["team"].as_str()), (Some("r1"), Some("north")));
    assert_eq!((task["subject"].as_str(), task["cause"].as_str()), (Some("aht"), Some("aht-above-300")));
    assert_eq!(task["title"], "aht above 300 in 3 of the last 4 weeks");
    assert_eq!((task["rule"].as_str(), task["rule_version"].as_str()), (Some("standard_coaching"), Some("1.0.0")));
    assert_eq!(task["run_id"], first["run_id"]);
    // Priority 2 and due 14 days after the run: the defaults.
    assert_eq!((task["priority"].as_i64(), task["due_at"].as_str()), (Some(2), Some("2026-04-13T02:00:00Z")));
    assert_eq!(task["created_at"], AT);
    assert_eq!(
        task["evidence"],
        json!([
            week("2026-03-02", "2026-03-09", 400.0, 2.0, true),
            week("2026-03-09", "2026-03-16", 400.0, 2.0, true),
            week("2026-03-16", "2026-03-23", 200.0, 2.0, false),
            week("2026-03-23", "2026-03-30", 400.0, 2.0, true),
        ])
    );
    assert_eq!(
        task["detail"],
        "aht per week (threshold above 300; a period counts with a sample of at least 2): 2026-03-02 400, sample 2, \
         missed; 2026-03-09 400, sample 2, missed; 2026-03-16 200, sample 2; 2026-03-23 400, sample 2, missed."
    );

    // Without the guard (a week counts with 1 contact) r3's four weeks of 400 s fire too; r1's
    // task is already open.
    let unguarded = run(s, &key, t, standard("2026-03-30T03:00:00Z", aht_params(1))).await;
    assert_eq!((unguarded["proposed"].as_u64(), did(&unguarded)), (Some(2), (1, 1, 0, 0, 0)), "{unguarded}");
    let r3 = action(s, &key, t, unguarded["opened"][0].as_str().unwrap()).await;
    assert_eq!((r3["agent_id"].as_str(), r3["cause"].as_str()), (Some("r3"), Some("aht-above-300")));
    assert_eq!(r3["evidence"][0], week("2026-03-02", "2026-03-09", 400.0, 1.0, true));
    assert_eq!(
        r3["detail"],
        "aht per week (threshold above 300; a period counts with a sample of at least 1): 2026-03-02 400, sample 1, \
         missed; 2026-03-09 400, sample 1, missed; 2026-03-16 400, sample 1, missed; 2026-03-23 400, sample 1, missed."
    );
    let listed = actions(s, &key, t, "").await;
    let agents: Vec<&str> = listed.iter().map(|a| a["agent_id"].as_str().unwrap()).collect();
    assert_eq!(agents, ["r1", "r3"], "r2 (2 of 4 weeks) and r4 never get a task");
}

#[tokio::test]
async fn the_worst_part_of_the_team_is_flagged_by_percentile_among_agents_with_enough_sample() {
    let s = app();
    let t = "rules-percentile";
    let key = coaching_tenant(s, t).await;
    // No threshold task (nobody's AHT is above 1000 s); the worst 25% of the team: AHT over the
    // whole window 350, 300, 400, 200 (r1..r4, samples 8, 8, 4, 8). Direction above: above the
    // 75th percentile of [200, 300, 350, 400], rank 0.75 × 3 = 2.25 -> 350 + 0.25 × 50 = 362.5.
    // Only r3 (400) is above it.
    let params = json!({"metric": "aht", "direction": "above", "threshold": 1000, "min_sample": 2, "percentile": 25});
    let flagged = run(s, &key, t, standard(AT, params.clone())).await;
    assert_eq!((flagged["proposed"].as_u64(), did(&flagged)), (Some(1), (1, 0, 0, 0, 0)), "{flagged}");
    let id = flagged["opened"][0].as_str().unwrap().to_string();
    let task = action(s, &key, t, &id).await;
    assert_eq!((task["agent_id"].as_str(), task["cause"].as_str()), (Some("r3"), Some("aht-team-p25")));
    assert_eq!(task["title"], "aht in the worst 25% of team north over the last 4 weeks");
    assert_eq!(
        task["evidence"],
        json!([{"metric": "aht", "period_start": "2026-03-02T00:00:00Z", "period_end": "2026-03-30T00:00:00Z",
                "value": 400.0, "threshold": 362.5, "sample": 4.0, "breach": true}])
    );
    assert_eq!(
        task["detail"],
        "aht 400 over 2026-03-02 to 2026-03-30, above the team's 75th percentile of 362.5 (4 agents with a sample of \
         at least 2)."
    );
    // A sample of 5 leaves r3 (4 contacts) out, and three agents are fewer than `min_team` 4:
    // nothing is proposed, and r3's untouched task resolves by itself.
    let mut bigger = params.clone();
    bigger["min_sample"] = json!(5);
    let none = run(s, &key, t, standard("2026-03-30T03:00:00Z", bigger.clone())).await;
    assert_eq!((none["proposed"].as_u64(), ids(&none["resolved"])), (Some(0), vec![id.clone()]), "{none}");
    // With `min_team` 3: [200, 300, 350], rank 0.75 × 2 = 1.5 -> 300 + 0.5 × 50 = 325; r1 (350).
    bigger["min_team"] = json!(3);
    let three = run(s, &key, t, standard("2026-03-30T04:00:00Z", bigger)).await;
    assert_eq!(did(&three), (1, 0, 0, 0, 0), "{three}");
    let r1 = action(s, &key, t, three["opened"][0].as_str().unwrap()).await;
    assert_eq!((r1["agent_id"].as_str(), r1["evidence"][0]["threshold"].as_f64()), (Some("r1"), Some(325.0)));
    assert_eq!(r1["evidence"][0]["value"], 350.0);
}

#[tokio::test]
async fn a_rerun_and_an_overlapping_rule_open_nothing_new_and_the_higher_priority_takes_over() {
    let s = app();
    let t = "rules-overlap";
    let key = coaching_tenant(s, t).await;
    let first = run(s, &key, t, standard(AT, aht_params(2))).await;
    assert_eq!(did(&first), (1, 0, 0, 0, 0));
    let task_id = first["opened"][0].as_str().unwrap().to_string();
    // The same rule an hour later judges the same weeks: r1's task is a duplicate.
    let again = run(s, &key, t, standard("2026-03-30T03:00:00Z", aht_params(2))).await;
    assert_eq!((again["proposed"].as_u64(), did(&again)), (Some(1), (0, 1, 0, 0, 0)), "{again}");

    let uploaded = s.upload(&key, t, guest(SCRIPTED_RULE_V1)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    // A second rule on the same agent and cause opens nothing; on the same agent and subject
    // with another cause at a lower priority (1 < 2) neither.
    let same_cause = run(s, &key, t, scripted(AT, "r1:aht:aht-above-300:1")).await;
    assert_eq!(did(&same_cause), (0, 1, 0, 0, 0), "{same_cause}");
    let lower = run(s, &key, t, scripted(AT, "r1:aht:aht-scripted:1")).await;
    assert_eq!(did(&lower), (0, 1, 0, 0, 0), "{lower}");
    // At a higher priority (5 > 2) it takes the task over.
    let higher = run(s, &key, t, scripted(AT, "r1:aht:aht-scripted:5")).await;
    assert_eq!(did(&higher), (0, 0, 1, 0, 0), "{higher}");
    assert_eq!(ids(&higher["raised"]), std::slice::from_ref(&task_id));
    let taken = action(s, &key, t, &task_id).await;
    assert_eq!((taken["rule"].as_str(), taken["priority"].as_i64()), (Some("scripted_rule"), Some(5)));
    assert_eq!((taken["cause"].as_str(), taken["title"].as_str()), (Some("aht-scripted"), Some("aht: aht-scripted")));
    assert_eq!(taken["state"], "open");
    let events: Vec<(String, String, String)> = taken["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["to_state"].as_str().unwrap().into(),
                e["note"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("run:standard_coaching".into(), "open".into(), "opened by standard_coaching 1.0.0".into()),
            ("run:scripted_rule".into(), "open".into(), "raised to priority 5 by scripted_rule (aht-scripted)".into())
        ]
    );
    // The first rule fires again: the task on r1 and aht (priority 5) holds it; nothing opens,
    // and the task it no longer owns is not resolved by it.
    let third = run(s, &key, t, standard("2026-03-30T04:00:00Z", aht_params(2))).await;
    assert_eq!(did(&third), (0, 1, 0, 0, 0), "{third}");
    assert_eq!(actions(s, &key, t, "").await.len(), 1, "one task through six runs of two rules");

    // The run log: newest first, with version, periods and what each run did.
    let log = s.get(&key, &format!("/v1/tenants/{t}/rules/runs?rule=standard_coaching")).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let runs = log.body.as_array().unwrap();
    let counts: Vec<(u64, u64, u64, u64)> = runs
        .iter()
        .map(|r| {
            (
                r["proposed"].as_u64().unwrap(),
                r["opened"].as_u64().unwrap(),
                r["duplicates"].as_u64().unwrap(),
                r["resolved"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(1, 0, 1, 0), (1, 0, 1, 0), (1, 1, 0, 0)]);
    let oldest = &runs[2];
    assert_eq!(oldest["run_id"], first["run_id"]);
    assert_eq!((oldest["rule_version"].as_str(), oldest["served_as"].as_str()), (Some("1.0.0"), Some("standard")));
    assert_eq!((oldest["trigger"].as_str(), oldest["status"].as_str()), (Some("on_demand"), Some("ok")));
    assert_eq!(oldest["actor"], "tenant_admin:tenant_admin");
    assert_eq!((oldest["run_at"].as_str(), oldest["judged_until"].as_str()), (Some(AT), Some("2026-03-30T00:00:00Z")));
    assert_eq!(
        (oldest["period_start"].as_str(), oldest["period_end"].as_str()),
        (Some("2026-03-02T00:00:00Z"), Some("2026-03-30T00:00:00Z"))
    );
    assert_eq!(
        (oldest["params"]["metric"].as_str(), oldest["params"]["threshold"].as_f64()),
        (Some("aht"), Some(300.0))
    );
    assert_eq!(oldest["error"], Value::Null);
    let scripted_log = s.get(&key, &format!("/v1/tenants/{t}/rules/runs?rule=scripted_rule")).await;
    let raised: Vec<u64> =
        scripted_log.body.as_array().unwrap().iter().map(|r| r["raised"].as_u64().unwrap()).collect();
    assert_eq!(raised.iter().sum::<u64>(), 1, "{}", scripted_log.body);
    let all = s.get(&key, &format!("/v1/tenants/{t}/rules/runs")).await;
    assert_eq!(all.body.as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn an_overdue_task_expires_and_one_whose_condition_went_away_resolves_unless_started() {
    let s = app();
    let t = "rules-lifecycle";
    let key = coaching_tenant(s, t).await;
    let lead = s.key(t, "team_lead").await;
    assert_eq!(s.upload(&key, t, guest(SCRIPTED_RULE_V1)).await.status, StatusCode::CREATED);
    let coaching = run(s, &key, t, standard(AT, aht_params(2))).await;
    let r1 = coaching["opened"][0].as_str().unwrap().to_string();
    // Three tasks due 7 days after 03-30 02:30, i.e. 04-06 02:30 (half an hour after r1's, so
    // they list after it).
    let listed = "r2:qa:qa-low:1;r3:csat:csat-low:1;r4:qa:qa-low:1";
    let mut body = scripted("2026-03-30T02:30:00Z", listed);
    body["params"]["due_days"] = json!(7);
    let opened = ids(&run(s, &key, t, body.clone()).await["opened"]);
    assert_eq!(opened.len(), 3);
    let (r2, r3, r4) = (&opened[0], &opened[1], &opened[2]);
    assert_eq!(action(s, &key, t, r2).await["due_at"], "2026-04-06T02:30:00Z");
    let scheduled = json!({"state": "scheduled", "scheduled_for": "2026-04-03T10:00:00Z"});
    assert_eq!(patch(s, &lead, t, r3, scheduled).await.status, StatusCode::OK);
    assert_eq!(patch(s, &lead, t, r4, json!({"state": "in_progress"})).await.status, StatusCode::OK);

    // 04-07: the same three proposed again. r2 (open) and r3 (scheduled, but no session) are past
    // their due date and expire; r4 was started and stays; r1's task is due 04-13.
    body["at"] = json!("2026-04-07T02:00:00Z");
    let late = run(s, &key, t, body).await;
    assert_eq!(did(&late), (0, 3, 0, 0, 2), "{late}");
    assert_eq!(ids(&late["expired"]), [r2.clone(), r3.clone()]);
    for id in [r2, r3] {
        let expired = action(s, &key, t, id).await;
        assert_eq!(
            (expired["state"].as_str(), expired["reason"].as_str()),
            (Some("expired"), Some("past its due date without a session"))
        );
        // (Events list by time; the team lead's change of r3 came at the clock's time, after
        // these replayed runs.)
        let events = expired["events"].as_array().unwrap();
        let last = events.iter().find(|e| e["to_state"] == "expired").unwrap().clone();
        assert_eq!(last["from_state"], if id == r2 { "open" } else { "scheduled" });
        assert_eq!((last["actor"].as_str(), last["to_state"].as_str()), (Some("run:scripted_rule"), Some("expired")));
        assert_eq!(last["at"], "2026-04-07T02:00:00Z");
    }
    assert_eq!(action(s, &key, t, r4).await["state"], "in_progress");

    // 04-07 for standard_coaching: the weeks 03-09 .. 03-30 give r1 400, 200, 400 and no figure
    // for 03-30: two breaches, not three. Its untouched task resolves by itself and says so.
    let later = run(s, &key, t, standard("2026-04-07T02:00:00Z", aht_params(2))).await;
    assert_eq!(later["period_start"], "2026-03-09T00:00:00Z");
    assert_eq!((later["proposed"].as_u64(), did(&later)), (Some(0), (0, 0, 0, 1, 0)), "{later}");
    assert_eq!(ids(&later["resolved"]), std::slice::from_ref(&r1));
    let resolved = action(s, &key, t, &r1).await;
    assert_eq!(resolved["state"], "resolved");
    let reason =
        format!("the condition no longer held at run {}: resolved by itself", later["run_id"].as_str().unwrap());
    assert_eq!(resolved["reason"].as_str(), Some(reason.as_str()));

    // The scripted rule no longer proposes anything: r4, started, stays in progress.
    let empty = run(s, &key, t, scripted("2026-04-08T02:00:00Z", "")).await;
    assert_eq!(did(&empty), (0, 0, 0, 0, 0), "{empty}");
    assert_eq!(action(s, &key, t, r4).await["state"], "in_progress");
    let states: Vec<(String, String)> = actions(s, &key, t, "")
        .await
        .iter()
        .map(|a| (a["agent_id"].as_str().unwrap().into(), a["state"].as_str().unwrap().into()))
        .collect();
    let expected = [("r1", "resolved"), ("r2", "expired"), ("r3", "expired"), ("r4", "in_progress")];
    assert_eq!(states, expected.map(|(a, s)| (a.to_string(), s.to_string())));
    let log = s.get(&key, &format!("/v1/tenants/{t}/rules/runs?rule=scripted_rule&limit=1")).await;
    assert_eq!(log.body.as_array().unwrap().len(), 1);
    let by_standard = s.get(&key, &format!("/v1/tenants/{t}/rules/runs?rule=standard_coaching")).await;
    let resolved_counts: Vec<u64> =
        by_standard.body.as_array().unwrap().iter().map(|r| r["resolved"].as_u64().unwrap()).collect();
    assert_eq!(resolved_counts, [1, 0]);
}

#[tokio::test]
async fn people_move_tasks_forward_only_a_dismissal_needs_a_reason_and_done_records_the_session() {
    let s = app();
    let t = "rules-patch";
    let key = coaching_tenant(s, t).await;
    let analyst = s.key(t, "analyst").await;
    let lead = s.key(t, "team_lead").await;
    assert_eq!(s.upload(&key, t, guest(SCRIPTED_RULE_V1)).await.status, StatusCode::CREATED);
    let listed = "r1:aht:c1:1;r2:aht:c2:1;r3:aht:c3:1";
    let opened = ids(&run(s, &key, t, scripted(AT, listed)).await["opened"]);
    let (p0, p1, p2) = (&opened[0], &opened[1], &opened[2]);

    // Analysts read; they do not act. Team leads do.
    assert_eq!(actions(s, &analyst, t, "").await.len(), 3);
    let refused = patch(s, &analyst, t, p0, json!({"state": "in_progress"})).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{}",
        refused.body
    );
    let by_analyst = s.post_json(&analyst, &format!("/v1/tenants/{t}/rules/runs"), scripted(AT, listed)).await;
    assert_eq!(by_analyst.status, StatusCode::FORBIDDEN);

    let when_missing = patch(s, &lead, t, p0, json!({"state": "scheduled"})).await;
    assert_eq!(
        (when_missing.status, when_missing.body["code"].as_str(), when_missing.body["detail"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("invalid_body"),
            Some("the body does not fit the request: missing field `scheduled_for`")
        ),
        "{}",
        when_missing.body
    );
    let body = json!({"state": "scheduled", "scheduled_for": "2026-04-02T10:00:00Z", "note": "1:1 on handle time"});
    let planned = patch(s, &lead, t, p0, body).await;
    assert_eq!(planned.status, StatusCode::OK, "{}", planned.body);
    assert_eq!(
        (planned.body["state"].as_str(), planned.body["scheduled_for"].as_str()),
        (Some("scheduled"), Some("2026-04-02T10:00:00Z"))
    );
    let started = patch(s, &lead, t, p0, json!({"state": "in_progress"})).await;
    assert_eq!(started.body["state"], "in_progress", "{}", started.body);
    let back = patch(s, &lead, t, p0, json!({"state": "scheduled", "scheduled_for": "2026-04-03T10:00:00Z"})).await;
    assert_eq!(
        (back.status, back.body["code"].as_str(), back.body["field"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"), Some("state")),
        "{}",
        back.body
    );
    assert_eq!(back.body["detail"], "an action that is in_progress cannot become scheduled");
    let done_body = json!({"state": "done", "note": "went well",
                           "session": {"coach": "lead-anna", "held_at": "2026-04-02T10:30:00Z"}});
    let done = patch(s, &lead, t, p0, done_body).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["state"], "done");
    let session = json!({"session_id": format!("s-{p0}"), "agent_id": "r1", "coach": "lead-anna",
                         "held_at": "2026-04-02T10:30:00Z", "topic": "aht", "action_id": p0, "notes": "went well"});
    assert_eq!(done.body["sessions"], json!([session.clone()]));
    let events: Vec<(String, String, String)> = done.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["to_state"].as_str().unwrap().into(),
                e["note"].as_str().unwrap().into(),
            )
        })
        .collect();
    let lead_actor = "team_lead:team_lead".to_string();
    assert_eq!(
        events,
        [
            ("run:scripted_rule".into(), "open".into(), "opened by scripted_rule 1.0.0".into()),
            (lead_actor.clone(), "scheduled".into(), "session at 2026-04-02T10:00:00Z: 1:1 on handle time".into()),
            (lead_actor.clone(), "in_progress".into(), String::new()),
            (lead_actor, "done".into(), format!("coaching session `s-{p0}` recorded: went well")),
        ]
    );
    let sessions = s.get(&analyst, &format!("/v1/tenants/{t}/coaching/sessions")).await;
    assert_eq!(sessions.body, json!([session]), "the session is data, linked to its task");
    assert_eq!(s.get(&key, &format!("/v1/tenants/{t}/coaching/sessions?agent=r2")).await.body, json!([]));
    // A person never asks for `open` (or `resolved`): the body is refused as it is read.
    let reopened = patch(s, &lead, t, p0, json!({"state": "open"})).await;
    assert_eq!(
        (reopened.status, reopened.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")),
        "{}",
        reopened.body
    );
    assert!(reopened.body["detail"].as_str().unwrap().contains("unknown variant `open`"), "{}", reopened.body);

    let no_reason = patch(s, &lead, t, p1, json!({"state": "dismissed", "note": "  "})).await;
    assert_eq!(
        (no_reason.status, no_reason.body["code"].as_str(), no_reason.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("missing_parameter"), Some("note"))
    );
    assert_eq!(no_reason.body["detail"], "dismissing an action needs a reason");
    let dismissed = patch(s, &lead, t, p1, json!({"state": "dismissed", "note": "moved to the back office"})).await;
    assert_eq!(
        (dismissed.body["state"].as_str(), dismissed.body["reason"].as_str()),
        (Some("dismissed"), Some("moved to the back office")),
        "{}",
        dismissed.body
    );
    let after = patch(s, &lead, t, p1, json!({"state": "done"})).await;
    assert_eq!(
        (after.status, after.body["detail"].as_str()),
        (StatusCode::CONFLICT, Some("an action that is dismissed cannot become done"))
    );
    let by_person = patch(s, &key, t, p2, json!({"state": "resolved"})).await;
    assert_eq!(
        (by_person.status, by_person.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
    let unknown = patch(s, &lead, t, "nope", json!({"state": "done"})).await;
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("action_not_found")));
    assert_eq!(
        patch(s, &key, t, p2, json!({"state": "in_progress"})).await.status,
        StatusCode::OK,
        "tenant admins act too"
    );

    let agents_of =
        |list: Vec<Value>| list.iter().map(|a| a["agent_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(agents_of(actions(s, &key, t, "?state=in_progress").await), ["r3"]);
    assert_eq!(agents_of(actions(s, &key, t, "?state=done,dismissed").await), ["r1", "r2"]);
    assert_eq!(agents_of(actions(s, &key, t, "?agent=r2&team=north&rule=scripted_rule").await), ["r2"]);
    assert_eq!(agents_of(actions(s, &key, t, "?from=2026-03-30T02:00:01Z").await), Vec::<String>::new());
    let bad = s.get(&key, &format!("/v1/tenants/{t}/actions?state=finished")).await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("state")));
    // The same proposals again: the done and dismissed tasks are not reopened on the same
    // evidence, the live one is held.
    let rerun = run(s, &key, t, scripted("2026-03-30T03:00:00Z", listed)).await;
    assert_eq!(did(&rerun), (0, 3, 0, 0, 0), "{rerun}");
}

#[tokio::test]
async fn coaching_impact_is_the_planted_difference_in_differences_and_thin_sessions_are_counted() {
    let s = app();
    let t = "rules-impact";
    let key = s.tenant(t).await;
    s.load_fixture_from(&key, t, &fixture("impact")).await;
    let sessions = std::fs::read(fixture("impact/coaching_sessions.csv")).unwrap();
    let loaded = s.ingest(&key, t, "coaching_sessions", "", "text/csv", sessions).await;
    assert_eq!((loaded.status, loaded.body["rejected"].as_u64()), (StatusCode::OK, Some(0)), "{}", loaded.body);
    // tests/fixtures/rules/impact: team east, one e-mail contact a week (AHT = its talk time)
    // in the weeks from 03-02, 03-09, 03-16 (the sessions' week, not compared), 03-23, 03-30:
    //   c1 400 400 (1000) 340 340, coached on aht 03-18 (s1): before 400, after 340, -60
    //   c2 500 500 (500)  -   -   coached on aht 03-19 (s2): no contact after: insufficient
    //   p1 300 300 (999) 300 300: 0;  p2 ... 290 290: -10;  p3 ... 280 280: -20
    //   p4 300 300 (999) 400 400: +100, but coached on csat 03-17 (s3): not a comparison
    // s1 against p1..p3: mean change (0 - 10 - 20) / 3 = -10, so the effect is -60 - (-10) = -50;
    // the changes' sd is 10, so the interval is -50 ± t(0.975, 2) · 10 · √(1 + 1/3).
    let impact = |query: &str| {
        let path = format!("/v1/tenants/{t}/coaching/impact?metric=aht&from=2026-03-16&to=2026-03-23&weeks=2{query}");
        let key = key.clone();
        async move {
            let reply = s.get(&key, &path).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply.body
        }
    };
    let report = impact("").await;
    assert_eq!((report["metric"].as_str(), report["unit"].as_str()), (Some("aht"), Some("seconds")));
    assert_eq!((report["weeks"].as_u64(), report["compare"].as_str()), (Some(2), Some("team")));
    let rows = report["sessions"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "s3 is on csat, not aht: {report}");
    let s1 = &rows[0];
    assert_eq!(
        (s1["session_id"].as_str(), s1["agent_id"].as_str(), s1["team"].as_str()),
        (Some("s1"), Some("c1"), Some("east"))
    );
    assert_eq!((s1["held_at"].as_str(), s1["topic"].as_str()), (Some("2026-03-18T10:00:00Z"), Some("aht")));
    assert_eq!(
        (s1["before_from"].as_str(), s1["session_week"].as_str(), s1["after_to"].as_str()),
        (Some("2026-03-02"), Some("2026-03-16"), Some("2026-04-06"))
    );
    assert_eq!(s1["coached"], json!({"before": 400.0, "after": 340.0, "change": -60.0}));
    assert_eq!((s1["before_sample"].as_f64(), s1["after_sample"].as_f64()), (Some(2.0), Some(2.0)));
    assert_eq!(s1["comparison_agents"], 3);
    assert_eq!(s1["comparison"], json!({"before": 300.0, "after": 290.0, "change": -10.0}));
    assert_eq!(
        (s1["effect"].as_f64(), s1["status"].as_str(), s1["reason"].clone()),
        (Some(-50.0), Some("measured"), Value::Null)
    );
    let half = 4.302_652_729_911_275 * 10.0 * (4.0f64 / 3.0).sqrt();
    let (low, high) = (s1["ci_low"].as_f64().unwrap(), s1["ci_high"].as_f64().unwrap());
    assert!((low - (-50.0 - half)).abs() < 1e-6 && (high - (-50.0 + half)).abs() < 1e-6, "{low} {high} ± {half}");
    let s2 = &rows[1];
    assert_eq!((s2["session_id"].as_str(), s2["status"].as_str()), (Some("s2"), Some("insufficient")));
    assert_eq!(s2["reason"], "fewer than 1 in the sample of the 2 weeks after");
    assert_eq!(s2["coached"], json!({"before": 500.0, "after": null, "change": null}));
    assert_eq!((s2["effect"].clone(), s2["ci_low"].clone()), (Value::Null, Value::Null));
    let total = &report["total"];
    assert_eq!(
        (total["sessions"].as_u64(), total["measured"].as_u64(), total["insufficient"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(total["effect"], -50.0);
    assert_eq!(
        (total["ci_low"].clone(), total["p_value"].clone()),
        (Value::Null, Value::Null),
        "one measured session has no interval"
    );
    assert_eq!(total["coached"], json!({"before": 400.0, "after": 340.0, "change": -60.0}));
    assert_eq!(total["comparison"], json!({"before": 300.0, "after": 290.0, "change": -10.0}));

    // Compared by main queue (everyone's is `support`): the same peers, the same answer.
    let by_queue = impact("&compare=queue").await;
    assert_eq!((by_queue["compare"].as_str(), by_queue["total"]["effect"].as_f64()), (Some("queue"), Some(-50.0)));
    assert_eq!(by_queue["sessions"][0]["comparison_agents"], 3);
    // Four comparison agents asked for: s1 is counted as insufficient too, with the reason.
    let strict = impact("&min_comparison=4").await;
    assert_eq!(strict["sessions"][0]["reason"], "3 comparison agents with enough data, fewer than 4");
    assert_eq!((strict["total"]["measured"].as_u64(), strict["total"]["effect"].clone()), (Some(0), Value::Null));
    // Every topic: s3 (p4: +100 against the same three peers' -10) has an effect of 110; the
    // mean of 110 and -50 is 30.
    let every = impact("&all_topics=true").await;
    let order: Vec<&str> =
        every["sessions"].as_array().unwrap().iter().map(|r| r["session_id"].as_str().unwrap()).collect();
    assert_eq!(order, ["s3", "s1", "s2"]);
    assert_eq!(every["sessions"][0]["effect"], 110.0);
    assert_eq!((every["total"]["measured"].as_u64(), every["total"]["effect"].as_f64()), (Some(2), Some(30.0)));
    let bad = s
        .get(&key, &format!("/v1/tenants/{t}/coaching/impact?metric=aht&from=2026-03-16&to=2026-03-23&weeks=27"))
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("weeks")));
    let listed = s.get(&key, &format!("/v1/tenants/{t}/coaching/sessions")).await;
    let order: Vec<&str> = listed.body.as_array().unwrap().iter().map(|r| r["session_id"].as_str().unwrap()).collect();
    assert_eq!(order, ["s2", "s1", "s3"], "newest first");
}

#[tokio::test]
async fn refused_runs_say_why_and_leave_no_trace() {
    let s = app();
    let t = "rules-refused";
    let key = coaching_tenant(s, t).await;
    let path = format!("/v1/tenants/{t}/rules/runs");
    let not_rule = s.post_json(&key, &path, json!({"plugin": "csat"})).await;
    assert_eq!(
        (not_rule.status, not_rule.body["code"].as_str(), not_rule.body["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("rule_not_found"), Some("plugin")),
        "{}",
        not_rule.body
    );
    let future = s.post_json(&key, &path, standard("2099-01-01T00:00:00Z", json!({}))).await;
    assert_eq!(
        (future.status, future.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("at")),
        "{}",
        future.body
    );
    let unknown = s.post_json(&key, &path, standard(AT, json!({"bonus": 1}))).await;
    assert_eq!(
        (unknown.status, unknown.body["code"].as_str(), unknown.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unknown_parameter"), Some("bonus"))
    );
    let settle = s.post_json(&key, &path, json!({"plugin": "standard_coaching", "settle_minutes": 20000})).await;
    assert_eq!((settle.status, settle.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("settle_minutes")));
    // The plugin refuses its own parameter: a failed run, logged with the plugin's message.
    let bad_direction = s.post_json(&key, &path, standard(AT, json!({"direction": "sideways"}))).await;
    assert_eq!(
        (bad_direction.status, bad_direction.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("plugin_error"))
    );
    let detail = bad_direction.body["detail"].as_str().unwrap();
    assert!(detail.contains("standard_coaching") && detail.contains("1.0.0"), "{detail}");
    assert!(detail.contains("parameter `direction` must be `below` or `above`, got `sideways`"), "{detail}");
    let log = s.get(&key, &path).await;
    let runs = log.body.as_array().unwrap();
    assert_eq!(runs.len(), 1, "only the run that started is logged: {}", log.body);
    assert_eq!((runs[0]["status"].as_str(), runs[0]["error"].as_str()), (Some("failed"), Some(detail)));
    assert_eq!((runs[0]["opened"].as_u64(), runs[0]["period_start"].clone()), (Some(0), Value::Null));
    assert_eq!(actions(s, &key, t, "").await, Vec::<Value>::new());
}

/// The minute after `now`, as `HH:MM` and as the time it next comes.
fn next_minute(now: DateTime<Utc>) -> (String, DateTime<Utc>) {
    let due = now.with_second(0).unwrap().with_nanosecond(0).unwrap() + chrono::Duration::minutes(1);
    (due.format("%H:%M").to_string(), due)
}

/// Waits until `tenant` has `n` scheduled runs of `rule` (at most 100 s); returns the newest.
async fn scheduled_run(s: &Server, key: &str, tenant: &str, rule: &str, n: usize) -> Value {
    let started = std::time::Instant::now();
    loop {
        let log = s.get(key, &format!("/v1/tenants/{tenant}/rules/runs?rule={rule}")).await;
        let runs: Vec<Value> =
            log.body.as_array().unwrap().iter().filter(|r| r["trigger"] == "schedule").cloned().collect();
        if runs.len() >= n {
            assert_eq!(runs.len(), n, "one run per due time: {}", log.body);
            return runs[0].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(100), "the scheduler did not run `{rule}`: {}", log.body);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Puts a daily schedule of `scripted_rule` at the next minute (UTC); returns when it is due.
async fn schedule_next_minute(s: &Server, key: &str, tenant: &str, actions: &str) -> (Value, DateTime<Utc>) {
    if Utc::now().second() >= 55 {
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
    let (at, due) = next_minute(Utc::now());
    let body = json!({"every": "daily", "at": at, "timezone": "UTC", "params": {"actions": actions}});
    let reply = s.put_json(key, &format!("/v1/tenants/{tenant}/rules/scripted_rule/schedule"), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (reply.body, due)
}

#[tokio::test]
async fn a_scheduled_rule_runs_by_itself_and_its_next_run_uses_the_version_activated_in_between() {
    let dir = tempfile::tempdir().unwrap().keep();
    let s = &start_server_with(&dir, |config| config.rule_tick = Some(Duration::from_millis(200)));
    let t = "rules-schedule";
    let key = coaching_tenant(s, t).await;
    assert_eq!(s.upload(&key, t, guest(SCRIPTED_RULE_V1)).await.status, StatusCode::CREATED);
    let v2 = s.upload_with(&key, t, guest(SCRIPTED_RULE_V2), "?activate=false").await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    let v2 = v2.body["hash"].as_str().unwrap().to_string();
    let path = format!("/v1/tenants/{t}/rules/scripted_rule/schedule");

    let weekly = s.put_json(&key, &path, json!({"every": "weekly", "at": "02:00"})).await;
    assert_eq!(
        (weekly.status, weekly.body["code"].as_str(), weekly.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_schedule"), Some("weekday"))
    );
    let zone = s.put_json(&key, &path, json!({"every": "daily", "at": "02:00", "timezone": "Mars/Olympus"})).await;
    assert_eq!((zone.status, zone.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("timezone")));
    let unknown = s
        .put_json(&key, &format!("/v1/tenants/{t}/rules/nope/schedule"), json!({"every": "daily", "at": "02:00"}))
        .await;
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("rule_not_found")));
    let param = s.put_json(&key, &path, json!({"every": "daily", "at": "02:00", "params": {"bonus": 1}})).await;
    assert_eq!((param.status, param.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("bonus")));
    let missing = s.get(&key, &path).await;
    assert_eq!((missing.status, missing.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_schedule")));

    let (stored, due) = schedule_next_minute(s, &key, t, "r1:aht:scheduled:1").await;
    let due_text = due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        (stored["name"].as_str(), stored["every"].as_str(), stored["timezone"].as_str()),
        (Some("scripted_rule"), Some("daily"), Some("UTC"))
    );
    assert_eq!((stored["settle_minutes"].as_u64(), stored["last_due_at"].clone()), (Some(60), Value::Null));
    assert_eq!(stored["params"], json!({"actions": "r1:aht:scheduled:1"}));
    assert_eq!(stored["updated_by"], "tenant_admin:tenant_admin");
    assert_eq!(stored["next_due_at"].as_str(), Some(due_text.as_str()), "{stored}");
    let read = s.get(&key, &path).await;
    assert_eq!((read.status, read.body["next_due_at"].clone()), (StatusCode::OK, stored["next_due_at"].clone()));
    let all = s.get(&key, &format!("/v1/tenants/{t}/rules/schedules")).await;
    assert_eq!(all.body.as_array().unwrap().len(), 1);
    assert_eq!(all.body[0]["name"], "scripted_rule");

    // The scheduler runs it once the minute comes, with the active version, by itself.
    let first = scheduled_run(s, &key, t, "scripted_rule", 1).await;
    assert_eq!((first["actor"].as_str(), first["status"].as_str()), (Some("schedule"), Some("ok")), "{first}");
    assert_eq!((first["rule_version"].as_str(), first["served_as"].as_str()), (Some("1.0.0"), Some("active")));
    assert_eq!((first["proposed"].as_u64(), first["opened"].as_u64()), (Some(1), Some(1)));
    let run_at: DateTime<Utc> = first["run_at"].as_str().unwrap().parse().unwrap();
    assert!(run_at >= due && run_at < due + chrono::Duration::seconds(5), "ran at {run_at}, due {due}");
    let opened = actions(s, &key, t, "").await;
    assert_eq!(
        (opened.len(), opened[0]["cause"].as_str(), opened[0]["rule_version"].as_str()),
        (1, Some("scheduled"), Some("1.0.0"))
    );
    let after = s.get(&key, &path).await.body;
    assert!(after["last_due_at"].as_str().unwrap().starts_with(&due_text[..19]), "{after}");
    let tomorrow = (due + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(after["next_due_at"].as_str(), Some(tomorrow.as_str()));

    // v2 is activated between two runs (and the schedule moved to the next minute): the next
    // scheduled run is v2's, which also proposes its default task for r2.
    let activated =
        s.post_json(&key, &format!("/v1/tenants/{t}/plugins/scripted_rule/activate"), json!({"hash": v2})).await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.body);
    schedule_next_minute(s, &key, t, "r1:aht:scheduled:1").await;
    let second = scheduled_run(s, &key, t, "scripted_rule", 2).await;
    assert_eq!(
        (second["rule_version"].as_str(), second["rule_hash"].as_str()),
        (Some("2.0.0"), Some(v2.as_str())),
        "{second}"
    );
    assert_eq!(
        (second["proposed"].as_u64(), second["opened"].as_u64(), second["duplicates"].as_u64()),
        (Some(2), Some(1), Some(1))
    );

    let audit = s.get(&key, &format!("/v1/tenants/{t}/audit?plugin=scripted_rule")).await;
    let entries: Vec<(String, String)> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["detail"].as_str().unwrap().to_string()))
        .collect();
    let schedule_detail =
        format!("`scripted_rule`: runs daily at {} UTC with {{\"actions\":\"r1:aht:scheduled:1\"}}", &due_text[11..16]);
    assert!(entries.contains(&("rule.schedule".to_string(), schedule_detail)), "{entries:?}");
    let order: Vec<&str> =
        entries.iter().map(|(a, _)| a.as_str()).filter(|a| a.starts_with("rule.") || *a == "plugin.activate").collect();
    assert_eq!(order[..3], ["rule.schedule", "plugin.activate", "rule.schedule"], "newest first: {entries:?}");

    let removed = s.delete(&key, &path).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(s.get(&key, &path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.delete(&key, &path).await.body["code"], "no_schedule");
    let audit = s.get(&key, &format!("/v1/tenants/{t}/audit?plugin=scripted_rule&limit=1")).await;
    assert_eq!(
        (audit.body[0]["action"].as_str(), audit.body[0]["detail"].as_str()),
        (Some("rule.unschedule"), Some("`scripted_rule`: schedule removed"))
    );
    assert_eq!(s.get(&key, &format!("/v1/tenants/{t}/rules/schedules")).await.body, json!([]));
}

#[tokio::test]
async fn rules_hot_swap_shadow_canary_activate_and_rollback() {
    let s = app();
    let t = "rules-swap";
    let key = coaching_tenant(s, t).await;
    let v1 = s.upload(&key, t, guest(SCRIPTED_RULE_V1)).await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.body);
    let v1 = v1.body["hash"].as_str().unwrap().to_string();
    let v2 = s.upload_with(&key, t, guest(SCRIPTED_RULE_V2), "?activate=false").await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    let v2 = v2.body["hash"].as_str().unwrap().to_string();
    let plugin = |what: &str| format!("/v1/tenants/{t}/plugins/scripted_rule/{what}");
    // v1 proposes exactly these; v2 drops the `-v1only` cause and adds its default r2 task.
    let listed = "r1:aht:aht-v1only:1;r3:aht:keep:1";

    let first = run(s, &key, t, scripted(AT, listed)).await;
    assert_eq!((first["plugin"]["version"].as_str(), first["served_as"].as_str()), (Some("1.0.0"), Some("active")));
    let opened = ids(&first["opened"]);
    assert_eq!(opened.len(), 2);
    let r1_task = opened[0].clone();

    // A shadow run on demand: what v2 would open and close that v1 does not. Nothing written.
    let compared = s
        .post_json(
            &key,
            &plugin("shadow/run"),
            json!({"hash": v2, "from": "2026-03-23", "to": "2026-03-30", "params": {"actions": listed}}),
        )
        .await;
    assert_eq!(compared.status, StatusCode::OK, "{}", compared.body);
    let would = |report: &Value| -> Vec<(String, String, String)> {
        report["action_differences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["change"].as_str().unwrap().into(),
                    d["agent_id"].as_str().unwrap().into(),
                    d["cause"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let expected = vec![
        ("would_open".to_string(), "r2".to_string(), "fcr-scripted".to_string()),
        ("would_close".to_string(), "r1".to_string(), "aht-v1only".to_string()),
    ];
    assert_eq!(would(&compared.body), expected, "{}", compared.body);
    assert_eq!(
        (compared.body["actions_compared"].as_u64(), compared.body["actions_differing"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(
        (compared.body["candidate_version"].as_str(), compared.body["active_version"].as_str()),
        (Some("2.0.0"), Some("1.0.0"))
    );
    assert_eq!(actions(s, &key, t, "").await.len(), 2, "a shadow run writes nothing");
    // Nor does it judge weeks that are not over.
    let ahead =
        s.post_json(&key, &plugin("shadow/run"), json!({"hash": v2, "from": "2098-12-30", "to": "2099-01-06"})).await;
    assert_eq!(
        (ahead.status, ahead.body["code"].as_str(), ahead.body["detail"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("invalid_parameter"),
            Some("`at` is 2099-01-06T00:00:00Z, after now: a rule judges periods that are over")
        ),
        "{}",
        ahead.body
    );

    // Shadowing every run: v1 acts, v2 is compared.
    let shadowing = s.put_json(&key, &plugin("shadow"), json!({"hash": v2})).await;
    assert_eq!(shadowing.status, StatusCode::OK, "{}", shadowing.body);
    let shadowed = run(s, &key, t, scripted("2026-03-30T03:00:00Z", listed)).await;
    assert_eq!((shadowed["plugin"]["version"].as_str(), did(&shadowed)), (Some("1.0.0"), (0, 2, 0, 0, 0)));
    let report = s.get(&key, &plugin("shadow")).await;
    assert_eq!(
        (report.body["calls_compared"].as_u64(), report.body["calls_differing"].as_u64()),
        (Some(1), Some(1)),
        "{}",
        report.body
    );
    assert_eq!(would(&report.body), expected);
    assert_eq!(s.delete(&key, &plugin("shadow")).await.status, StatusCode::OK);

    // A canary taking every run: v2 acts. r2's task opens, r1's (v1 only) resolves by itself.
    let canary = s.put_json(&key, &plugin("canary"), json!({"hash": v2, "percent": 100})).await;
    assert_eq!(canary.status, StatusCode::OK, "{}", canary.body);
    let by_canary = run(s, &key, t, scripted("2026-03-30T04:00:00Z", listed)).await;
    assert_eq!(
        (by_canary["plugin"]["version"].as_str(), by_canary["served_as"].as_str()),
        (Some("2.0.0"), Some("canary"))
    );
    assert_eq!(did(&by_canary), (1, 1, 0, 1, 0), "{by_canary}");
    assert_eq!(ids(&by_canary["resolved"]), std::slice::from_ref(&r1_task));
    let r2_task = by_canary["opened"][0].as_str().unwrap().to_string();
    let r2 = action(s, &key, t, &r2_task).await;
    assert_eq!(
        (r2["agent_id"].as_str(), r2["rule_version"].as_str(), r2["detail"].as_str()),
        (Some("r2"), Some("2.0.0"), Some("scripted by version 2.0.0"))
    );
    assert_eq!(s.delete(&key, &plugin("canary")).await.status, StatusCode::OK);

    // Activated between two runs, v2 serves the next one.
    let activated = s.post_json(&key, &plugin("activate"), json!({"hash": v2})).await;
    assert_eq!(
        (activated.status, activated.body["active_hash"].as_str()),
        (StatusCode::OK, Some(v2.as_str())),
        "{}",
        activated.body
    );
    let by_v2 = run(s, &key, t, scripted("2026-03-30T05:00:00Z", listed)).await;
    assert_eq!((by_v2["plugin"]["version"].as_str(), by_v2["served_as"].as_str()), (Some("2.0.0"), Some("active")));
    assert_eq!(did(&by_v2), (0, 2, 0, 0, 0), "{by_v2}");
    // Rolled back, v1 serves again: r1's cause opens anew, r2's task (v2's only) resolves.
    let rolled = s.post_json(&key, &plugin("rollback"), json!({})).await;
    assert_eq!(
        (rolled.status, rolled.body["active_hash"].as_str()),
        (StatusCode::OK, Some(v1.as_str())),
        "{}",
        rolled.body
    );
    let by_v1 = run(s, &key, t, scripted("2026-03-30T06:00:00Z", listed)).await;
    assert_eq!(by_v1["plugin"]["version"], "1.0.0");
    assert_eq!(did(&by_v1), (1, 1, 0, 1, 0), "{by_v1}");
    assert_eq!(ids(&by_v1["resolved"]), [r2_task]);

    let versions: Vec<String> = s
        .get(&key, &format!("/v1/tenants/{t}/rules/runs?rule=scripted_rule"))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["rule_version"].as_str().unwrap(), r["served_as"].as_str().unwrap()))
        .collect();
    assert_eq!(versions, ["1.0.0 active", "2.0.0 active", "2.0.0 canary", "1.0.0 active", "1.0.0 active"]);
    let audit = s.get(&key, &format!("/v1/tenants/{t}/audit?plugin=scripted_rule")).await;
    let kinds: Vec<&str> = audit.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for kind in ["plugin.shadow", "plugin.canary", "plugin.activate", "plugin.rollback"] {
        assert!(kinds.contains(&kind), "{kind} is audited: {kinds:?}");
    }
}
