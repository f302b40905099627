//! Awards with the standard game plugin on tests/fixtures/game, a team where g1 games handle
//! time with very short contacts, g2 transfers callers away, g3 causes repeat contacts, g4
//! works well and g5 (another team) plainly: awards and flags hand-checked, the points ledger
//! idempotent per run and corrected by reversal, leaderboards with ties, the flags page.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::util::server;

const WEEK: &str = "from=2026-03-02&to=2026-03-09";

fn run_body(params: Value) -> Value {
    json!({"plugin": "standard_game", "from": "2026-03-02", "to": "2026-03-09", "params": params})
}

fn points(ledger: &Value, agent: &str) -> i64 {
    ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["agent_id"] == agent && e["kind"] == "points")
        .map(|e| e["amount"].as_i64().unwrap())
        .sum()
}

fn board(reply: &Value) -> Vec<(u64, String, i64)> {
    reply
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["rank"].as_u64().unwrap(), s["name"].as_str().unwrap().to_string(), s["points"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn awards_reward_quality_flag_gaming_and_rank_with_ties() {
    let s = server();
    let key = s.tenant("game").await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/game");
    s.load_fixture_from(&key, "game", &dir).await;

    let run = s.post_json(&key, "/v1/tenants/game/awards/runs", run_body(json!({}))).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert_eq!(run.body["changed"], true);
    // Points: g1 6 resolved × 2 = 12 (its AHT 112 s is under the team median 195 s, but its CSAT
    // 0 of 2 fell below the team's 1.0: no speed points); g2 one kept top-box answer × 10 (the two
    // 5s on transferred contacts earn nothing) + 5 × 2 = 20; g3 10 + 2 resolved × 2 = 14; g4
    // 5 × 10 + 8 × 2 + speed 50 = 116; g5 6 × 2 = 12.
    assert_eq!(run.body["points"], 12 + 20 + 14 + 116 + 12);
    let flags: Vec<(String, String)> = run.body["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["agent_id"].as_str().unwrap().to_string(), f["pattern"].as_str().unwrap().to_string()))
        .collect();
    let expected_flags = [("g1", "short_contacts"), ("g2", "transfer_dodging"), ("g3", "repeat_contacts")];
    assert_eq!(flags, expected_flags.map(|(a, p)| (a.to_string(), p.to_string())));
    assert_eq!(run.body["flags"][1]["detail"], "transfer rate 0.80 (4 of 5) against the team's 0.17");

    let ledger = s.get(&key, &format!("/v1/tenants/game/awards/ledger?{WEEK}")).await;
    assert_eq!(ledger.status, StatusCode::OK, "{}", ledger.body);
    let totals: Vec<i64> = ["g1", "g2", "g3", "g4", "g5"].iter().map(|a| points(&ledger.body, a)).collect();
    assert_eq!(totals, [12, 20, 14, 116, 12]);
    let g4: Vec<&Value> = ledger.body.as_array().unwrap().iter().filter(|e| e["agent_id"] == "g4").collect();
    assert!(g4.iter().any(|e| e["kind"] == "badge" && e["code"] == "csat_streak_5"), "{g4:?}");
    assert!(g4.iter().any(|e| e["kind"] == "badge" && e["code"] == "certified_billing_expert"), "{g4:?}");
    assert!(g4.iter().any(|e| e["kind"] == "challenge_progress" && e["code"] == "contacts_100" && e["amount"] == 8));
    assert!(g4.iter().all(|e| e["plugin"] == "standard_game" && e["plugin_version"] == "1.0.0"));

    // The same run again adds nothing.
    let again = s.post_json(&key, "/v1/tenants/game/awards/runs", run_body(json!({}))).await;
    assert_eq!((again.body["changed"].clone(), again.body["entries_added"].clone()), (json!(false), json!(0)));
    let same = s.get(&key, &format!("/v1/tenants/game/awards/ledger?{WEEK}")).await;
    assert_eq!(same.body.as_array().unwrap().len(), ledger.body.as_array().unwrap().len());

    // Leaderboard: g1 and g5 tie at 12 and share rank 4, listed by name.
    let agents = s.get(&key, &format!("/v1/tenants/game/leaderboards?{WEEK}")).await;
    assert_eq!(
        board(&agents.body),
        [(1, "g4".into(), 116), (2, "g2".into(), 20), (3, "g3".into(), 14), (4, "g1".into(), 12), (4, "g5".into(), 12)]
    );
    let teams = s.get(&key, &format!("/v1/tenants/game/leaderboards?{WEEK}&by=team")).await;
    assert_eq!(board(&teams.body), [(1, "t1".into(), 162), (2, "t2".into(), 12)]);
    assert_eq!(teams.body[0]["agents"], 4);
    let standing = s.get(&key, &format!("/v1/tenants/game/leaderboards/agents/g3?{WEEK}&around=1")).await;
    assert_eq!(standing.body["standing"]["rank"], 3, "{}", standing.body);
    assert_eq!(
        (standing.body["above"][0]["name"].clone(), standing.body["below"][0]["name"].clone()),
        (json!("g2"), json!("g1"))
    );
    let in_team = s.get(&key, &format!("/v1/tenants/game/leaderboards/agents/g5?{WEEK}&team_only=true")).await;
    assert_eq!((in_team.body["standing"]["rank"].clone(), in_team.body["of"].clone()), (json!(1), json!(1)));

    // New rules for the same week: the earlier entries are reversed, the new ones appended.
    let changed = s.post_json(&key, "/v1/tenants/game/awards/runs", run_body(json!({"points_per_resolved": 3}))).await;
    assert_eq!(changed.body["changed"], true, "{}", changed.body);
    let reversed = changed.body["entries_reversed"].as_u64().unwrap();
    let corrected = s.get(&key, &format!("/v1/tenants/game/awards/ledger?{WEEK}")).await;
    let entries = corrected.body.as_array().unwrap();
    assert_eq!(entries.iter().filter(|e| !e["reverses"].is_null()).count() as u64, reversed);
    assert_eq!(points(&corrected.body, "g4"), 5 * 10 + 8 * 3 + 50);
    assert_eq!(points(&corrected.body, "g1"), 6 * 3);

    let analyst = s.key("game", "analyst").await;
    let hidden = s.get(&analyst, &format!("/v1/tenants/game/awards/flags?{WEEK}")).await;
    assert_eq!(hidden.status, StatusCode::FORBIDDEN, "flags are for operators and tenant admins");
    let listed = s.get(&key, &format!("/v1/tenants/game/awards/flags?{WEEK}")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3, "{}", listed.body);

    // The same flags as a page for the tenant admin; an analyst's session may not open it.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let session = |key: String| {
        let client = client.clone();
        let url = format!("{}/ui/login", s.base);
        async move {
            let reply = client.post(url).form(&[("key", key.as_str()), ("next", "/ui")]).send().await.unwrap();
            reply.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
        }
    };
    let page_as = |cookie: String| {
        let request = client.get(format!("{}/ui/tenants/game/flags?{WEEK}", s.base)).header("cookie", cookie);
        async move {
            let reply = request.send().await.unwrap();
            (reply.status(), reply.text().await.unwrap())
        }
    };
    let (status, html) = page_as(session(key.clone()).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("transfer_dodging") && html.contains("short_contacts") && html.contains("repeat_contacts"));
    let (status, _) = page_as(session(analyst.clone()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
