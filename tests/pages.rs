//! The `/ui` pages over plain HTTP: a session token in the cookie stands for the key, the
//! key itself is no cookie, signing out ends the session, and redirects stay on the server;
//! the coaching queue's forms are refused to analysts and to posts from another origin (or
//! none), a dismissal needs a reason, and a post from the queue moves the task on.

use chrono::{Days, Utc};
use cxhost::store::actions::{self, Kind, Proposed, RuleRun, State};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::json;

use crate::util::{AGENTS_CSV, Server, app, app_state};

#[tokio::test]
async fn sign_in_gives_a_session_token_and_sign_out_ends_it() {
    let s = app();
    let key = s.tenant("pages").await;
    let url = |path: &str| format!("{}{path}", s.base);

    let signed_out = s.exchange(s.client.get(url("/ui/tenants/pages"))).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_out.headers[LOCATION], "/ui/login?next=/ui/tenants/pages");

    let wrong = s.exchange(s.client.post(url("/ui/login")).form(&[("key", "cxk_nope"), ("next", "/ui")])).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("That key is not known to this server."));

    let form = [("key", key.as_str()), ("next", "https://evil.example/ui")];
    let signed_in = s.exchange(s.client.post(url("/ui/login")).form(&form)).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers[LOCATION], "/ui", "a foreign `next` is not followed");
    let cookie = signed_in.headers[SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let token = cookie.split(';').next().unwrap().to_string();
    assert!(!token.contains(&key), "the key itself is never a cookie: {token}");

    let page = s.exchange(s.client.get(url("/ui/tenants/pages")).header(COOKIE, &token)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    let raw_key = s.exchange(s.client.get(url("/ui/tenants/pages")).header(COOKIE, format!("cxhost_key={key}"))).await;
    assert_eq!(raw_key.status, StatusCode::SEE_OTHER, "a key is no session token");

    let out = s.exchange(s.client.post(url("/ui/logout")).header(COOKIE, &token)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = s.exchange(s.client.get(url("/ui/tenants/pages")).header(COOKIE, &token)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "the session ended");
}

/// Signs in with `key`; returns the `Cookie` header value of the session.
async fn sign_in(s: &Server, key: &str) -> String {
    let signed_in =
        s.exchange(s.client.post(format!("{}/ui/login", s.base)).form(&[("key", key), ("next", "/ui")])).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    signed_in.headers[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

/// Opens two coaching tasks in `tenant` as a rule run would, each with one evidence figure.
fn open_tasks(tenant: &str) -> Vec<String> {
    let db = app_state().tenants.get(tenant).unwrap();
    let at = Utc::now();
    let evidence = json!([{"metric": "fcr", "period_start": "2026-03-02T00:00:00Z", "period_end": "2026-03-09T00:00:00Z",
        "value": 0.612, "threshold": 0.7, "sample": 49.0, "breach": true}]);
    let task = |agent: &str, team: &str| Proposed {
        kind: Kind::CoachingTask,
        agent_id: Some(agent.to_string()),
        team: Some(team.to_string()),
        subject: "fcr".to_string(),
        cause: "fcr-below-0.7".to_string(),
        title: format!("FCR of {agent} below 0.70"),
        detail: "3 of the last 4 weeks".to_string(),
        evidence: evidence.to_string(),
        priority: 2,
        due_at: Some(at + Days::new(14)),
    };
    let run =
        RuleRun { rule: "scripted_rule", version: "1.0.0", run_id: "rr-pages", at, judged_from: at - Days::new(7) };
    let done = actions::reconcile(&db, &run, &[task("x1", "north"), task("x2", "south")]).unwrap();
    assert_eq!(done.opened.len(), 2);
    done.opened
}

fn state_of(tenant: &str, id: &str) -> State {
    let db = app_state().tenants.get(tenant).unwrap();
    actions::get(&db, id).unwrap().0.state
}

#[tokio::test]
async fn coaching_forms_are_refused_to_analysts_and_to_other_origins() {
    let s = app();
    let admin = s.tenant("coachpages").await;
    let loaded = s.ingest(&admin, "coachpages", "agents", "", "text/csv", AGENTS_CSV.as_bytes().to_vec()).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let ids = open_tasks("coachpages");
    let lead = sign_in(s, &s.key("coachpages", "team_lead").await).await;
    let analyst = sign_in(s, &s.key("coachpages", "analyst").await).await;
    let queue = format!("{}/ui/tenants/coachpages/coaching", s.base);
    let post_url = |id: &str| format!("{}/ui/tenants/coachpages/coaching/tasks/{id}", s.base);
    let host = "in-process.invalid";
    let here = "http://in-process.invalid";

    // The lead sees both tasks with their evidence and three forms each.
    let page = s.exchange(s.client.get(&queue).header(COOKIE, &lead)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("FCR of x1 below 0.70") && page.text.contains("FCR of x2 below 0.70"), "{}", page.text);
    assert!(page.text.contains("<td>0.612</td>") && page.text.contains("2026-03-02 to 2026-03-09"), "{}", page.text);
    assert_eq!(page.text.matches(r#"<form method="post" action="/ui/tenants/coachpages/coaching/tasks/"#).count(), 6);
    let north = s.exchange(s.client.get(format!("{queue}?team=north")).header(COOKIE, &lead)).await;
    assert!(north.text.contains("FCR of x1") && !north.text.contains("FCR of x2"), "the team filter narrows the queue");

    // An analyst reads the queue, without forms, and may not post.
    let read = s.exchange(s.client.get(&queue).header(COOKIE, &analyst)).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.text.contains("FCR of x1 below 0.70") && read.text.contains("<td>0.612</td>"));
    assert!(!read.text.contains(r#"method="post" action="/ui/tenants/coachpages/coaching"#), "{}", read.text);
    let schedule = [("state", "scheduled"), ("when", "2026-04-02T10:00")];
    let by_analyst = s
        .exchange(
            s.client
                .post(post_url(&ids[0]))
                .header(COOKIE, &analyst)
                .header(HOST, host)
                .header(ORIGIN, here)
                .form(&schedule),
        )
        .await;
    assert_eq!(by_analyst.status, StatusCode::FORBIDDEN, "{}", by_analyst.text);
    assert!(by_analyst.text.contains("may not act on coaching tasks"), "{}", by_analyst.text);

    // Posts without an Origin, from another origin, or with `Origin: null` change nothing.
    let no_origin =
        s.exchange(s.client.post(post_url(&ids[0])).header(COOKIE, &lead).header(HOST, host).form(&schedule)).await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN);
    assert!(no_origin.text.contains("not sent from a page of this server"), "{}", no_origin.text);
    for origin in ["https://evil.example", "null", "http://in-process.invalid.evil.example"] {
        let cross = s
            .exchange(
                s.client
                    .post(post_url(&ids[0]))
                    .header(COOKIE, &lead)
                    .header(HOST, host)
                    .header(ORIGIN, origin)
                    .form(&schedule),
            )
            .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN, "{origin}: {}", cross.text);
    }
    assert_eq!(state_of("coachpages", &ids[0]), State::Open, "nothing was changed");

    // A dismissal without a reason shows the queue again with the message.
    let dismiss = [("state", "dismissed"), ("note", "  ")];
    let no_reason = s
        .exchange(
            s.client
                .post(post_url(&ids[1]))
                .header(COOKIE, &lead)
                .header(HOST, host)
                .header(ORIGIN, here)
                .form(&dismiss),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.text.contains("dismissing an action needs a reason"), "{}", no_reason.text);
    assert!(no_reason.text.contains("FCR of x2 below 0.70"), "the queue is shown again");
    assert_eq!(state_of("coachpages", &ids[1]), State::Open);

    // From the server's own page the lead schedules, and is sent back to the queue.
    let scheduled = s
        .exchange(
            s.client.post(post_url(&ids[0])).header(COOKIE, &lead).header(HOST, host).header(ORIGIN, here).form(&[
                ("state", "scheduled"),
                ("when", "2026-04-02T10:00"),
                ("team", "north"),
            ]),
        )
        .await;
    assert_eq!(scheduled.status, StatusCode::SEE_OTHER, "{}", scheduled.text);
    assert_eq!(
        scheduled.headers[LOCATION].to_str().unwrap(),
        format!("/ui/tenants/coachpages/coaching?changed={}&team=north", ids[0])
    );
    let db = app_state().tenants.get("coachpages").unwrap();
    let (action, events) = actions::get(&db, &ids[0]).unwrap();
    assert_eq!((action.state, action.scheduled_for.as_deref()), (State::Scheduled, Some("2026-04-02T10:00:00Z")));
    assert_eq!(events.last().unwrap().actor, "team_lead:team_lead");
    let back = s.exchange(s.client.get(format!("{queue}?changed={}&team=north", ids[0])).header(COOKIE, &lead)).await;
    assert!(back.text.contains("is now scheduled, the session at 2026-04-02 10:00:00"), "{}", back.text);
}
