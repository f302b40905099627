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

/// The markup from `marker` to the end of its table row.
fn row<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html.find(marker).unwrap_or_else(|| panic!("no `{marker}` in {html}"));
    let end = html[start..].find("</tr>").map_or(html.len(), |e| start + e);
    &html[start..end]
}

#[tokio::test]
async fn a_figure_opens_to_its_records_and_a_contact_to_the_customers_other_contacts() {
    let s = app();
    let admin = s.tenant("pagerecords").await;
    s.load_fixture(&admin, "pagerecords").await;
    let analyst = sign_in(s, &s.key("pagerecords", "analyst").await).await;
    let get = |path: String| s.exchange(s.client.get(format!("{}{path}", s.base)).header(COOKIE, &analyst));
    let range = "from=2026-03-02&to=2026-03-09";
    let base = "/ui/tenants/pagerecords";

    // The team page links each agent's figure to its records.
    let team = get(format!("{base}/teams/north?{range}")).await;
    assert_eq!(team.status, StatusCode::OK, "{}", team.text);
    let fcr_a1 =
        format!("{base}/metrics/fcr/records?from=2026-03-02&amp;to=2026-03-09&amp;group_by=agent&amp;group=a1");
    assert!(team.text.contains(&format!(r#"<a class="records" href="{fcr_a1}">0.750</a>"#)), "{}", team.text);
    let agent = get(format!("{base}/agents/a1?{range}")).await;
    assert!(agent.text.contains(&format!(r#"<a href="{fcr_a1}">fcr</a>"#)), "{}", agent.text);
    // The dashboard's bars (CSAT per site) and table cells link to their records.
    let dashboard = get(format!("{base}/dashboards/cx_ex?{range}")).await;
    assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.text);
    let berlin =
        format!("{base}/metrics/csat/records?from=2026-03-02&amp;to=2026-03-09&amp;group_by=site&amp;group=berlin");
    assert!(dashboard.text.contains(&format!(r#"<a href="{berlin}"><rect class="bar""#)), "{}", dashboard.text);

    // a1's FCR over the week: i01 was repeated by i15 two days later (EXPECTED.md), so 3 of 4.
    let fcr = get(format!("{base}/metrics/fcr/records?{range}&group_by=agent&group=a1")).await;
    assert_eq!(fcr.status, StatusCode::OK, "{}", fcr.text);
    assert!(fcr.text.contains(r#"<span class="kpi-value">0.750</span>"#), "{}", fcr.text);
    assert!(fcr.text.contains(r#"<strong class="numerator">3.00</strong>"#), "{}", fcr.text);
    assert!(fcr.text.contains(r#"<strong class="denominator">4.00</strong>"#), "{}", fcr.text);
    assert!(row(&fcr.text, r#"<tr data-role="all">"#).contains("<td>4</td>"));
    assert!(row(&fcr.text, r#"<tr data-role="numerator">"#).contains("<td>3</td>"));
    assert!(row(&fcr.text, r#"<tr data-role="denominator">"#).contains("<td>1</td>"));
    assert!(row(&fcr.text, r#"<tr data-role="excluded">"#).contains("<td>0</td>"));
    assert_eq!(fcr.text.matches(r#"<tr data-role="numerator" data-source="interactions">"#).count(), 3);
    let repeat = row(&fcr.text, r#"<tr data-role="denominator" data-source="interactions">"#);
    assert!(repeat.contains(&format!(r#"<a class="contact" href="{base}/contacts/i01">i01</a>"#)), "{repeat}");
    assert!(repeat.contains(&format!(r#"<a class="contact" href="{base}/contacts/i15">i15</a>"#)), "{repeat}");
    assert!(
        repeat
            .contains(&format!(r#"<a class="agent" href="{base}/agents/a1?from=2026-03-02&amp;to=2026-03-09">a1</a>"#))
    );
    assert!(fcr.text.contains("Fair ranking of fcr") && fcr.text.contains("Quartiles of fcr"));

    // The part filter: the one record in the denominator only.
    let only = get(format!("{base}/metrics/fcr/records?{range}&group_by=agent&group=a1&role=denominator")).await;
    assert_eq!(only.text.matches("<tr data-role=").count(), 4 + 1, "4 part rows and 1 record: {}", only.text);
    assert!(only.text.contains("Records in the denominator only"), "{}", only.text);

    // The contact: the customer c01's other billing contact is the repeat.
    let contact = get(format!("{base}/contacts/i01")).await;
    assert_eq!(contact.status, StatusCode::OK, "{}", contact.text);
    assert!(contact.text.contains(r#"<td class="customer">c01</td>"#), "{}", contact.text);
    assert!(contact.text.contains(r#"<td class="reason">billing</td>"#), "{}", contact.text);
    assert!(contact.text.contains(&format!(r#"<a class="contact" href="{base}/contacts/i15">i15</a>"#)));
    assert_eq!(get(format!("{base}/contacts/nope")).await.status, StatusCode::NOT_FOUND);

    // Employee answers under the floor: the page says why, with the form to change the ask.
    let south = get(format!("{base}/metrics/enps/records?{range}&group_by=team&group=south")).await;
    assert_eq!(south.status, StatusCode::FORBIDDEN, "{}", south.text);
    assert!(south.text.contains("fewer than this tenant's minimum group size of 5"), "{}", south.text);
    assert!(south.text.contains(r#"<form class="filters" method="get">"#));
    let north = get(format!("{base}/metrics/enps/records?{range}&group_by=team&group=north")).await;
    assert_eq!(north.status, StatusCode::OK, "{}", north.text);
    assert!(north.text.contains(r#"<span class="kpi-value">16.67</span>"#), "{}", north.text);
    let bad = get(format!("{base}/metrics/fcr/records?{range}&group_by=agent&group=a1&role=most")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.text.contains("role is numerator, denominator or excluded"), "{}", bad.text);
    let unknown = get(format!("{base}/metrics/fcr/records?{range}&colour=red")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
}

#[tokio::test]
async fn the_ranking_page_shows_raw_and_adjusted_ranks_and_the_quartile_page_the_uplift() {
    let s = app();
    let fixture =
        |name: &str| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ranking").join(name);
    let admin = s.tenant("pagefair").await;
    s.load_fixture_from(&admin, "pagefair", &fixture("fair")).await;
    let analyst = sign_in(s, &s.key("pagefair", "analyst").await).await;
    let get = |path: String| s.exchange(s.client.get(format!("{}{path}", s.base)).header(COOKIE, &analyst));
    let range = "from=2026-03-01&to=2026-04-01";

    // EXPECTED.md: adjusted, Ada (hard queue) goes from 3rd to 1st; Dan and Ben lose a place.
    let page = get(format!("/ui/tenants/pagefair/rankings?metric=aht&{range}&min_sample=3")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let ada = row(&page.text, r#"data-agent="agent_a""#);
    assert!(
        ada.contains(r#"<td class="adjusted-rank">1</td>"#) && ada.contains(r#"<td class="raw-rank">3</td>"#),
        "{ada}"
    );
    assert!(ada.contains("↑ 2"), "{ada}");
    assert!(page.text.contains(r#"<tr class="moved-most" data-agent="agent_a" data-change="2">"#), "{}", page.text);
    assert!(row(&page.text, r#"data-agent="agent_d""#).contains("↓ 1"));
    assert!(row(&page.text, r#"data-agent="agent_b""#).contains("↓ 1"));
    assert!(
        row(&page.text, r#"data-agent="agent_c""#).contains(r#"<span class="same" title="the same rank">=</span>"#)
    );
    assert!(page.text.contains(r#"<td class="raw"><a class="records" href="/ui/tenants/pagefair/metrics/aht/records?from=2026-03-01&amp;to=2026-04-01&amp;group_by=agent&amp;group=agent_a">570.0</a></td>"#), "{}", page.text);
    assert!(
        row(&page.text, r#"<tr data-agent="agent_e">"#).contains("2 records, fewer than the 3 a rank needs"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Adjusted for: <strong>queue, contact_reason, channel</strong>"), "{}", page.text);
    assert!(page.text.contains("Empirical Bayes"), "the method is stated");
    // Without adjustment the ranks do not move.
    let none = get(format!("/ui/tenants/pagefair/rankings?metric=aht&{range}&min_sample=3&form=1")).await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.text);
    assert!(none.text.contains("Adjusted for: <strong>nothing"), "{}", none.text);
    assert!(
        !none.text.contains(r#"<span class="up""#) && !none.text.contains(r#"class="moved-most""#),
        "{}",
        none.text
    );
    let bad = get(format!("/ui/tenants/pagefair/rankings?metric=aht&{range}&adjust=planet")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.text.contains("adjust"), "{}", bad.text);

    // Quartiles of the second fixture, valued at 2 cents a second: 660 s saved, 13.20.
    let admin = s.tenant("pagequart").await;
    s.load_fixture_from(&admin, "pagequart", &fixture("quartiles")).await;
    let valued = s
        .put_json(&admin, "/v1/tenants/pagequart/metric-values/aht", json!({"cents_per_unit": 2, "per": "record"}))
        .await;
    assert_eq!(valued.status, StatusCode::OK, "{}", valued.body);
    let analyst = sign_in(s, &s.key("pagequart", "analyst").await).await;
    let page = s
        .exchange(
            s.client
                .get(format!("{}/ui/tenants/pagequart/quartiles?metric=aht&{range}&min_sample=2", s.base))
                .header(COOKIE, &analyst),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let means: Vec<&str> = (1..=4)
        .map(|q| {
            let r = row(&page.text, &format!(r#"<tr data-quartile="{q}">"#));
            let start = r.find(r#"<td class="mean">"#).unwrap() + r#"<td class="mean">"#.len();
            &r[start..start + r[start..].find('<').unwrap()]
        })
        .collect();
    assert_eq!(means, ["120.0", "170.0", "220.0", "280.0"]);
    assert!(row(&page.text, r#"<tr data-quartile="1">"#).contains(r#"<td class="boundary">140.0</td>"#));
    assert_eq!(page.text.matches(r#"<circle class="point""#).count(), 9, "one dot per ranked agent");
    assert!(
        page.text.contains(r#"<strong class="improvement">660.0 seconds over their records</strong>"#),
        "{}",
        page.text
    );
    assert!(page.text.contains("<strong>195.0</strong> to <strong>167.5</strong>, 27.50 points"), "{}", page.text);
    assert!(
        page.text.contains(r#"Worth <strong class="money">13.20</strong> at 0.02 per unit of the records"#),
        "{}",
        page.text
    );
}
