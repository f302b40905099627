//! Drill-down: every group of every standard metric, by every grouping it takes, opens to
//! records that add up to its numerator and denominator; hand-worked records of the small
//! fixture (tests/fixtures/small, EXPECTED.md "Drill-down") with their parts and reasons;
//! employee answers held to the privacy floor and shown without who or when; bad requests
//! naming the parameter; a contact opening to the customer's other contacts on its reason.

use cxhost::guests::test_guests::CUSTOM_AHT;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::util::{OPERATOR_KEY, Reply, Server, app, guest, urlencode};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

const GROUPINGS: [&str; 9] = ["agent", "team", "site", "queue", "channel", "day", "week", "month", "total"];

/// Every standard metric, with its defaults and with the parameters that change which records
/// count or why.
const METRICS: &[(&str, &str)] = &[
    ("aht", ""),
    ("asa", ""),
    ("ces", ""),
    ("conversion", ""),
    ("csat", ""),
    ("nps", ""),
    ("qa_score", ""),
    ("sentiment", ""),
    ("transfer_rate", ""),
    ("revenue_per_hour", ""),
    ("abandon_rate", ""),
    ("abandon_rate", "exclude_short_abandons=false"),
    ("abandon_rate", "short_abandon_seconds=2.5"),
    ("service_level", ""),
    ("service_level", "threshold_seconds=30"),
    ("service_level", "abandons=include_all"),
    ("service_level", "abandons=exclude_all"),
    ("fcr", ""),
    ("fcr", "window_days=3"),
    ("fcr", "window_days=0"),
    ("containment", ""),
    ("containment", "window_hours=48"),
    ("occupancy", ""),
    ("attendance", ""),
    ("attendance", "early_minutes=0"),
    ("schedule_adherence", ""),
    ("schedule_adherence", "grace_minutes=15"),
    ("enps", ""),
    ("survey_item", ""),
    ("survey_item", "item=tools"),
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

async fn records(s: &Server, key: &str, tenant: &str, metric: &str, query: &str) -> Reply {
    s.get(key, &format!("/v1/tenants/{tenant}/metrics/{metric}/records?{query}")).await
}

/// One record as the hand-worked cases state it: id, role, numerator, denominator, reason,
/// related record.
type Rec<'a> = (&'a str, &'a str, f64, f64, Option<&'a str>, Option<&'a str>);

/// A [`Rec`] as read from an answer.
type OwnedRec = (String, String, f64, f64, Option<String>, Option<String>);

/// The records of one page, in the answer's order, as [`Rec`]s.
fn recs(reply: &Reply) -> Vec<OwnedRec> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["record_id"].as_str().unwrap_or("").to_string(),
                r["role"].as_str().unwrap().to_string(),
                num(&r["numerator"]),
                num(&r["denominator"]),
                r["reason"].as_str().map(str::to_string),
                r["related_id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn assert_recs(what: &str, reply: &Reply, want: &[Rec<'_>]) {
    let got = recs(reply);
    let want: Vec<_> = want
        .iter()
        .map(|(id, role, n, d, reason, related)| {
            (id.to_string(), role.to_string(), *n, *d, reason.map(str::to_string), related.map(str::to_string))
        })
        .collect();
    assert_eq!(got, want, "{what}: {}", reply.body);
}

/// `(records, in_numerator, denominator_only, excluded, numerator, denominator)` of a reply.
fn totals(reply: &Reply) -> (u64, u64, u64, u64, f64, f64) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let t = &reply.body["totals"];
    let count = |name: &str| t[name].as_u64().unwrap_or_else(|| panic!("totals.{name} in {t}"));
    (
        count("records"),
        count("in_numerator"),
        count("denominator_only"),
        count("excluded"),
        num(&t["numerator"]),
        num(&t["denominator"]),
    )
}

/// Opens one group of a metric's answer and checks that its totals and the sum of its records,
/// paged through, are the group's numerator and denominator.
async fn check_group(s: &Server, key: &str, tenant: &str, what: &str, base: &str, row: &Value, unit: &str) -> u64 {
    let group = row["group"].as_str().unwrap();
    let (numerator, denominator) = (num(&row["numerator"]), num(&row["denominator"]));
    let query = format!("{base}&group={}&limit=10", urlencode(group));
    let first = records(s, key, tenant, what.split('?').next().unwrap(), &query).await;
    assert_eq!(first.status, StatusCode::OK, "{what} group {group}: {}", first.body);
    assert_eq!(first.body["group"], group, "{what}");
    assert_eq!(first.body["unit"], unit, "{what}: the records' unit is the figure's");
    let (count, in_numerator, denominator_only, excluded, total_num, total_den) = totals(&first);
    assert!(
        close(total_num, numerator) && close(total_den, denominator),
        "{what} group {group}: records total {total_num} / {total_den}, the figure is {numerator} / {denominator}"
    );
    assert_eq!(count, in_numerator + denominator_only + excluded, "{what} group {group}: {}", first.body["totals"]);
    let (mut sum_num, mut sum_den, mut seen) = (0.0, 0.0, 0u64);
    let mut roles = [0u64; 3];
    let mut page = first;
    loop {
        for r in page.body["records"].as_array().unwrap() {
            let (n, d) = (num(&r["numerator"]), num(&r["denominator"]));
            sum_num += n;
            sum_den += d;
            seen += 1;
            let role = r["role"].as_str().unwrap();
            let expected_role = if n != 0.0 {
                "numerator"
            } else if d != 0.0 {
                "denominator"
            } else {
                "excluded"
            };
            assert_eq!(role, expected_role, "{what} group {group}: {r}");
            roles[["numerator", "denominator", "excluded"].iter().position(|x| *x == role).unwrap()] += 1;
            let reason = r["reason"].as_str();
            match role {
                "numerator" => assert!(reason.is_none(), "{what} group {group}: a counted record with a reason: {r}"),
                _ => assert!(
                    reason.is_some_and(|t| !t.trim().is_empty() && t.len() < 120),
                    "{what} group {group}: a record {role} without a short reason: {r}"
                ),
            }
            if r["source"] == "employee_surveys" {
                for hidden in ["record_id", "agent_id", "occurred_at", "related_id"] {
                    assert!(r[hidden].is_null(), "{what} group {group}: an employee answer shows its {hidden}: {r}");
                }
            } else {
                assert!(r["record_id"].is_string() && r["occurred_at"].is_string(), "{what} group {group}: {r}");
            }
        }
        let Some(next) = page.body["next_offset"].as_u64() else { break };
        let query = format!("{base}&group={}&limit=10&offset={next}", urlencode(group));
        page = records(s, key, tenant, what.split('?').next().unwrap(), &query).await;
        assert_eq!(page.status, StatusCode::OK, "{what} group {group} offset {next}: {}", page.body);
        assert_eq!(totals(&page).0, count, "{what}: totals are the group's whatever the page");
    }
    assert_eq!(seen, count, "{what} group {group}: paged through {seen} records of {count}");
    assert_eq!(roles, [in_numerator, denominator_only, excluded], "{what} group {group}");
    assert!(
        close(sum_num, numerator) && close(sum_den, denominator),
        "{what} group {group}: records sum to {sum_num} / {sum_den}, the figure is {numerator} / {denominator}"
    );
    count
}

#[tokio::test]
async fn every_standard_metric_opens_every_group_to_records_that_add_up() {
    let s = app();
    let key = s.tenant("drill").await;
    s.load_fixture(&key, "drill").await;

    // Every standard metric is drilled here (a new one must be added to METRICS).
    let listed = s.get(&key, "/v1/tenants/drill/plugins").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    for plugin in listed.body.as_array().unwrap().iter().filter(|p| p["kind"] == "metric") {
        let name = plugin["name"].as_str().unwrap();
        assert!(METRICS.iter().any(|(m, _)| *m == name), "standard metric {name} is not drilled down");
    }

    let (mut groups, mut opened) = (0, 0u64);
    for (metric, params) in METRICS {
        let mut accepted = Vec::new();
        for group_by in GROUPINGS {
            let base = if params.is_empty() {
                format!("{RANGE}&group_by={group_by}")
            } else {
                format!("{RANGE}&group_by={group_by}&{params}")
            };
            let what = format!("{metric}?{params} by {group_by}");
            let answer = s.metric(&key, "drill", metric, &base).await;
            if answer.status == StatusCode::UNPROCESSABLE_ENTITY {
                // Refused as a figure, refused as records, for the same reason.
                let refused = records(s, &key, "drill", metric, &format!("{base}&group=x")).await;
                assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {}", refused.body);
                assert_eq!(refused.body["code"], "plugin_error", "{what}: {}", refused.body);
                assert_eq!(refused.body["detail"], answer.body["detail"], "{what}");
                continue;
            }
            assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body);
            accepted.push(group_by);
            let unit = answer.body["unit"].as_str().unwrap().to_string();
            let rows = answer.body["rows"].as_array().unwrap();
            for row in rows {
                opened += check_group(s, &key, "drill", &what, &base, row, &unit).await;
                groups += 1;
            }
        }
        assert!(accepted.contains(&"total") && accepted.contains(&"day"), "{metric}: {accepted:?}");
    }
    assert!(groups > 500, "only {groups} groups were opened");
    assert!(opened > 4000, "only {opened} records were read");
}

#[tokio::test]
async fn fcr_names_the_repeat_of_each_contact_that_was_not_resolved() {
    let s = app();
    let key = s.tenant("drillfcr").await;
    s.load_fixture(&key, "drillfcr").await;
    let fcr = |query: String| {
        let key = key.clone();
        async move { records(s, &key, "drillfcr", "fcr", &query).await }
    };

    // Anna (a1): i01 is repeated by i15 two days later; i22's next contact (i30) comes 7 days
    // and 1 second later, too late to be a repeat.
    let a1 = fcr(format!("{RANGE}&group_by=agent&group=a1")).await;
    assert_eq!(totals(&a1), (4, 3, 1, 0, 3.0, 4.0));
    assert_eq!(a1.body["totals"]["value"], 0.75);
    assert_eq!(a1.body["higher_is_better"], true);
    assert_recs(
        "fcr a1",
        &a1,
        &[
            ("i01", "denominator", 0.0, 1.0, Some("repeated within 7 days by i15"), Some("i15")),
            ("i08", "numerator", 1.0, 1.0, None, None),
            ("i22", "numerator", 1.0, 1.0, None, None),
            ("i17", "numerator", 1.0, 1.0, None, None),
        ],
    );
    let first = &a1.body["records"][0];
    assert_eq!(
        (&first["occurred_at"], &first["agent_id"], &first["queue"], &first["contact_reason"], &first["channel"]),
        (&json!("2026-03-02T09:00:00Z"), &json!("a1"), &json!("billing"), &json!("billing"), &json!("voice"))
    );

    // Finn (a6): i21's repeat i29 comes exactly 7 days later, past the range's end.
    let a6 = fcr(format!("{RANGE}&group_by=agent&group=a6")).await;
    assert_recs(
        "fcr a6",
        &a6,
        &[
            ("i21", "denominator", 0.0, 1.0, Some("repeated within 7 days by i29"), Some("i29")),
            ("i09", "numerator", 1.0, 1.0, None, None),
            ("i27", "numerator", 1.0, 1.0, None, None),
        ],
    );
    // Ben (a2): i18 and i19 both have an empty reason, and an empty reason matches only itself.
    let a2 = fcr(format!("{RANGE}&group_by=agent&group=a2&role=denominator")).await;
    assert_recs("fcr a2", &a2, &[("i18", "denominator", 0.0, 1.0, Some("repeated within 7 days by i19"), Some("i19"))]);
    assert_eq!(totals(&a2), (4, 3, 1, 0, 3.0, 4.0), "the totals are the group's whatever the role");

    // Within 3 days, Cara's i23 (repeated by the abandoned i24 after 4 days) is resolved.
    let a3 = fcr(format!("{RANGE}&group_by=agent&group=a3&window_days=3")).await;
    assert_recs(
        "fcr a3, 3 days",
        &a3,
        &[
            ("i05", "numerator", 1.0, 1.0, None, None),
            ("i23", "numerator", 1.0, 1.0, None, None),
            ("i15", "numerator", 1.0, 1.0, None, None),
        ],
    );
    let a3 = fcr(format!("{RANGE}&group_by=agent&group=a3&role=denominator")).await;
    assert_recs("fcr a3", &a3, &[("i23", "denominator", 0.0, 1.0, Some("repeated within 7 days by i24"), Some("i24"))]);

    // The whole week: 29 contacts offered, 22 handled, 4 of them repeated; the 7 others are
    // not handled.
    let total = fcr(format!("{RANGE}&role=excluded")).await;
    assert_eq!(totals(&total), (29, 18, 4, 7, 18.0, 22.0));
    assert_recs(
        "fcr excluded",
        &total,
        &[
            ("i04", "excluded", 0.0, 0.0, Some("not handled: abandoned"), None),
            ("i07", "excluded", 0.0, 0.0, Some("not handled: abandoned"), None),
            ("i11", "excluded", 0.0, 0.0, Some("not handled: self_service"), None),
            ("i13", "excluded", 0.0, 0.0, Some("not handled: self_service"), None),
            ("i24", "excluded", 0.0, 0.0, Some("not handled: abandoned"), None),
            ("i16", "excluded", 0.0, 0.0, Some("not handled: self_service"), None),
            ("i31", "excluded", 0.0, 0.0, Some("not handled: self_service"), None),
        ],
    );
    let repeated = fcr(format!("{RANGE}&role=denominator&window_days=3")).await;
    assert_recs(
        "fcr repeats within 3 days",
        &repeated,
        &[
            ("i01", "denominator", 0.0, 1.0, Some("repeated within 3 days by i15"), Some("i15")),
            ("i18", "denominator", 0.0, 1.0, Some("repeated within 3 days by i19"), Some("i19")),
        ],
    );
}

#[tokio::test]
async fn abandons_waits_and_containment_say_why_a_contact_counts_or_not() {
    let s = app();
    let key = s.tenant("drillwhy").await;
    s.load_fixture(&key, "drillwhy").await;
    let open = |metric: &'static str, query: String| {
        let key = key.clone();
        async move { records(s, &key, "drillwhy", metric, &query).await }
    };

    // abandon_rate: i04 gave up after 3 s, a short abandon; email and self-service are not
    // real-time; i07 (45 s) and i24 (5 s, not short) are the abandons.
    let excluded = open("abandon_rate", format!("{RANGE}&role=excluded")).await;
    assert_eq!(totals(&excluded), (29, 2, 20, 7, 2.0, 22.0));
    assert_eq!(excluded.body["higher_is_better"], false);
    assert_recs(
        "abandon_rate excluded",
        &excluded,
        &[
            ("i04", "excluded", 0.0, 0.0, Some("short abandon (3 s)"), None),
            ("i08", "excluded", 0.0, 0.0, Some("email: not a real-time channel"), None),
            ("i11", "excluded", 0.0, 0.0, Some("self_service: not a real-time channel"), None),
            ("i13", "excluded", 0.0, 0.0, Some("self_service: not a real-time channel"), None),
            ("i27", "excluded", 0.0, 0.0, Some("email: not a real-time channel"), None),
            ("i16", "excluded", 0.0, 0.0, Some("self_service: not a real-time channel"), None),
            ("i31", "excluded", 0.0, 0.0, Some("self_service: not a real-time channel"), None),
        ],
    );
    let abandons = open("abandon_rate", format!("{RANGE}&role=numerator&exclude_short_abandons=false")).await;
    assert_eq!(totals(&abandons), (29, 3, 20, 6, 3.0, 23.0));
    assert_recs(
        "abandon_rate abandons",
        &abandons,
        &[
            ("i04", "numerator", 1.0, 1.0, None, None),
            ("i07", "numerator", 1.0, 1.0, None, None),
            ("i24", "numerator", 1.0, 1.0, None, None),
        ],
    );
    let handled = open("abandon_rate", format!("{RANGE}&group_by=queue&group=sales&role=denominator")).await;
    assert_eq!(totals(&handled), (5, 1, 4, 0, 1.0, 5.0), "sales: i03 i07 i09 i17 i26, all real-time");
    assert_recs(
        "abandon_rate sales handled",
        &handled,
        &[
            ("i03", "denominator", 0.0, 1.0, Some("handled, not abandoned"), None),
            ("i09", "denominator", 0.0, 1.0, Some("handled, not abandoned"), None),
            ("i17", "denominator", 0.0, 1.0, Some("handled, not abandoned"), None),
            ("i26", "denominator", 0.0, 1.0, Some("handled, not abandoned"), None),
        ],
    );

    // service_level: 13 of 22 within 20 s; the 9 others say how long they waited.
    let late = open("service_level", format!("{RANGE}&role=denominator")).await;
    assert_eq!(totals(&late), (29, 13, 9, 7, 13.0, 22.0));
    assert_recs(
        "service_level not within 20 s",
        &late,
        &[
            ("i03", "denominator", 0.0, 1.0, Some("answered after 25 s, not within 20 s"), None),
            ("i06", "denominator", 0.0, 1.0, Some("answered after 40 s, not within 20 s"), None),
            ("i07", "denominator", 0.0, 1.0, Some("abandoned after 45 s, not answered within 20 s"), None),
            ("i10", "denominator", 0.0, 1.0, Some("answered after 30 s, not within 20 s"), None),
            ("i15", "denominator", 0.0, 1.0, Some("answered after 22 s, not within 20 s"), None),
            ("i26", "denominator", 0.0, 1.0, Some("answered after 21 s, not within 20 s"), None),
            ("i24", "denominator", 0.0, 1.0, Some("abandoned after 5 s, not answered within 20 s"), None),
            ("i25", "denominator", 0.0, 1.0, Some("answered after 35 s, not within 20 s"), None),
            ("i28", "denominator", 0.0, 1.0, Some("answered after 50 s, not within 20 s"), None),
        ],
    );
    let short = open("service_level", format!("{RANGE}&role=excluded&limit=1")).await;
    assert_recs(
        "service_level short abandon",
        &short,
        &[("i04", "excluded", 0.0, 0.0, Some("short abandon (3 s)"), None)],
    );
    assert_eq!(short.body["next_offset"], 1);
    let no_abandons = open("service_level", format!("{RANGE}&group_by=channel&group=voice&abandons=exclude_all")).await;
    // Voice: 13 answered (i03 25 s, i15 22 s and i25 35 s too late), i04 i07 i24 abandoned.
    assert_eq!(totals(&no_abandons), (16, 10, 3, 3, 10.0, 13.0), "{}", no_abandons.body["totals"]);
    let reasons: Vec<_> = recs(&no_abandons).into_iter().filter(|r| r.1 == "excluded").map(|r| (r.0, r.4)).collect();
    let not_counted = Some("abandoned: abandons are not counted (abandons=exclude_all)".to_string());
    assert_eq!(
        reasons,
        [
            ("i04".to_string(), not_counted.clone()),
            ("i07".to_string(), not_counted.clone()),
            ("i24".to_string(), not_counted)
        ]
    );

    // containment: i11 is followed by a call 1.5 h later; i13's call comes after 25 h.
    let ivr = open("containment", format!("{RANGE}&group_by=queue&group=ivr")).await;
    assert_eq!(totals(&ivr), (4, 3, 1, 0, 3.0, 4.0));
    assert_recs(
        "containment ivr",
        &ivr,
        &[
            ("i11", "denominator", 0.0, 1.0, Some("followed within 24 hours by i12 (voice)"), Some("i12")),
            ("i13", "numerator", 1.0, 1.0, None, None),
            ("i16", "numerator", 1.0, 1.0, None, None),
            ("i31", "numerator", 1.0, 1.0, None, None),
        ],
    );
    let two_days = open("containment", format!("{RANGE}&role=denominator&window_hours=48")).await;
    assert_eq!(totals(&two_days), (29, 2, 2, 25, 2.0, 4.0));
    assert_recs(
        "containment 48 h",
        &two_days,
        &[
            ("i11", "denominator", 0.0, 1.0, Some("followed within 48 hours by i12 (voice)"), Some("i12")),
            ("i13", "denominator", 0.0, 1.0, Some("followed within 48 hours by i14 (voice)"), Some("i14")),
        ],
    );
    let calls = open("containment", format!("{RANGE}&group_by=channel&group=chat&limit=2")).await;
    assert_eq!(totals(&calls), (5, 0, 0, 5, 0.0, 0.0), "i05 i06 i19 i22 i26 (i30 is after the week)");
    assert_eq!(recs(&calls)[0].4.as_deref(), Some("chat: not self-service"));
}

#[tokio::test]
async fn feedback_time_and_shift_records_carry_their_parts() {
    let s = app();
    let key = s.tenant("drillparts").await;
    s.load_fixture(&key, "drillparts").await;
    let open = |metric: &'static str, query: String| {
        let key = key.clone();
        async move { records(s, &key, "drillparts", metric, &query).await }
    };

    // CSAT for Eva (a5): f11 is a comment without a csat answer.
    let a5 = open("csat", format!("{RANGE}&group_by=agent&group=a5")).await;
    assert_eq!(totals(&a5), (3, 2, 0, 1, 2.0, 2.0));
    assert_recs(
        "csat a5",
        &a5,
        &[
            ("f05", "numerator", 1.0, 1.0, None, None),
            ("f11", "excluded", 0.0, 0.0, Some("no csat answer"), None),
            ("f13", "numerator", 1.0, 1.0, None, None),
        ],
    );
    let f05 = &a5.body["records"][0];
    assert_eq!(
        (&f05["source"], &f05["queue"], &f05["contact_reason"], &f05["channel"]),
        (&json!("customer_feedback"), &json!("support"), &json!("tech"), &json!("chat")),
        "feedback carries its contact's cell"
    );
    let a2 = open("csat", format!("{RANGE}&group_by=agent&group=a2")).await;
    assert_recs(
        "csat a2",
        &a2,
        &[
            ("f02", "numerator", 1.0, 1.0, None, None),
            ("f07", "denominator", 0.0, 1.0, Some("answered 1, below 4"), None),
        ],
    );

    // occupancy for Dan (a4): four handled contacts (handling in both parts) and two available
    // intervals (seconds in the denominator only), in time order.
    let a4 = open("occupancy", format!("{RANGE}&group_by=agent&group=a4")).await;
    assert_eq!(totals(&a4), (6, 4, 2, 0, 1410.0, 7710.0));
    assert_recs(
        "occupancy a4",
        &a4,
        &[
            ("i03", "numerator", 570.0, 570.0, None, None),
            ("i12", "numerator", 330.0, 330.0, None, None),
            ("s05", "denominator", 0.0, 3600.0, Some("available for 3600 s, not handling"), None),
            ("s08", "denominator", 0.0, 2700.0, Some("available for 2700 s, not handling"), None),
            ("i19", "numerator", 280.0, 280.0, None, None),
            ("i28", "numerator", 230.0, 230.0, None, None),
        ],
    );
    assert_eq!(a4.body["records"][2]["source"], "agent_states");
    let a5 = open("occupancy", format!("{RANGE}&group_by=agent&group=a5&role=excluded")).await;
    assert_eq!(totals(&a5), (5, 4, 0, 1, 1615.0, 1615.0));
    assert_recs(
        "occupancy a5 excluded",
        &a5,
        &[("s06", "excluded", 0.0, 0.0, Some("state unavailable: neither handling nor available"), None)],
    );
    let week = open("occupancy", RANGE.to_string()).await;
    assert_eq!(totals(&week), (36, 22, 5, 9, 9090.0, 45990.0), "29 contacts and 7 states in the week");

    // attendance and start adherence: shifts.
    let a1 = open("attendance", format!("{RANGE}&group_by=agent&group=a1")).await;
    assert_recs(
        "attendance a1",
        &a1,
        &[
            ("h01", "numerator", 1.0, 1.0, None, None),
            ("h08", "denominator", 0.0, 1.0, Some("missed: no login from 60 min before the start to the end"), None),
        ],
    );
    assert_eq!(a1.body["records"][0]["source"], "schedules");
    let shifts = open("schedule_adherence", RANGE.to_string()).await;
    assert_eq!(totals(&shifts), (8, 4, 2, 2, 4.0, 6.0));
    let not_attended = Some("not attended: no login from 60 min before the start to the end");
    assert_recs(
        "schedule_adherence",
        &shifts,
        &[
            ("h02", "denominator", 0.0, 1.0, Some("late: first login 15 min after the start (grace 5 min)"), None),
            ("h01", "numerator", 1.0, 1.0, None, None),
            ("h08", "excluded", 0.0, 0.0, not_attended, None),
            ("h03", "numerator", 1.0, 1.0, None, None),
            ("h04", "denominator", 0.0, 1.0, Some("late: first login 60 min after the start (grace 5 min)"), None),
            ("h05", "numerator", 1.0, 1.0, None, None),
            ("h06", "excluded", 0.0, 0.0, not_attended, None),
            ("h07", "numerator", 1.0, 1.0, None, None),
        ],
    );
    let grace = open("schedule_adherence", format!("{RANGE}&group_by=agent&group=a2&grace_minutes=15")).await;
    assert_recs("adherence a2, grace 15", &grace, &[("h02", "numerator", 1.0, 1.0, None, None)]);
}

#[tokio::test]
async fn employee_answers_open_only_above_the_privacy_floor_and_never_say_who() {
    let s = app();
    let key = s.tenant("drillfloor").await;
    s.load_fixture(&key, "drillfloor").await;
    let open = |metric: &'static str, query: String| {
        let key = key.clone();
        async move { records(s, &key, "drillfloor", metric, &query).await }
    };

    // The week's eNPS: 5 promoters and 3 detractors in the numerator, 2 passives in the
    // denominator only, 3 rows without an enps answer excluded (e14 answered after the week).
    let week = open("enps", RANGE.to_string()).await;
    assert_eq!(totals(&week), (13, 8, 2, 3, 200.0, 10.0));
    let records = week.body["records"].as_array().unwrap();
    for r in records {
        assert_eq!(r["source"], "employee_surveys");
        for hidden in ["record_id", "agent_id", "occurred_at", "related_id"] {
            assert!(r[hidden].is_null(), "an answer shows its {hidden}: {r}");
        }
    }
    let mut reasons: Vec<_> = records.iter().filter_map(|r| r["reason"].as_str()).collect();
    reasons.sort();
    assert_eq!(
        reasons,
        ["no enps answer", "no enps answer", "no enps answer", "passive: answered 7", "passive: answered 8"]
    );
    let mut parts: Vec<f64> = records.iter().map(|r| num(&r["numerator"])).collect();
    parts.sort_by(f64::total_cmp);
    assert_eq!(parts, [-100.0, -100.0, -100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0]);

    // North (6 answers) opens; south (4) is below the floor of 5, as its figure is.
    let north = open("enps", format!("{RANGE}&group_by=team&group=north")).await;
    assert_eq!(totals(&north), (7, 5, 1, 1, 100.0, 6.0));
    let south = open("enps", format!("{RANGE}&group_by=team&group=south")).await;
    assert_eq!(south.status, StatusCode::FORBIDDEN, "{}", south.body);
    assert_eq!(south.body["code"], "below_privacy_floor");
    assert!(south.body["detail"].as_str().unwrap().contains("4 employee answers"), "{}", south.body);
    // Asking for a larger group raises the floor for that call.
    let north_8 = open("enps", format!("{RANGE}&group_by=team&group=north&min_responses=8")).await;
    assert_eq!(north_8.status, StatusCode::FORBIDDEN, "{}", north_8.body);
    // Never by agent: the plugin refuses, as it refuses the figure.
    let by_agent = open("enps", format!("{RANGE}&group_by=agent&group=a1")).await;
    assert_eq!(by_agent.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", by_agent.body);
    assert_eq!(by_agent.body["code"], "plugin_error");
    assert!(by_agent.body["detail"].as_str().unwrap().contains("cannot be grouped by agent"), "{}", by_agent.body);
    let item_by_agent = open("survey_item", format!("{RANGE}&group_by=agent&group=a1")).await;
    assert_eq!(item_by_agent.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", item_by_agent.body);

    // survey_item (engagement): south has 5 answers (e13 has none), exactly the floor.
    let south = open("survey_item", format!("{RANGE}&group_by=team&group=south")).await;
    assert_eq!(totals(&south), (6, 5, 0, 1, 18.0, 5.0));
    let excluded: Vec<_> = recs(&south).into_iter().filter(|r| r.1 == "excluded").map(|r| r.4).collect();
    assert_eq!(excluded, [Some("no engagement answer".to_string())]);
    // The tenant's floor, raised to 6, closes south and leaves north's 7 answers open.
    let floor = s.put_json(OPERATOR_KEY, "/v1/tenants/drillfloor/privacy", json!({"min_group_size": 6})).await;
    assert_eq!(floor.status, StatusCode::OK, "{}", floor.body);
    let south = open("survey_item", format!("{RANGE}&group_by=team&group=south")).await;
    assert_eq!(south.status, StatusCode::FORBIDDEN, "{}", south.body);
    let north = open("survey_item", format!("{RANGE}&group_by=team&group=north")).await;
    assert_eq!(totals(&north), (7, 7, 0, 0, 27.0, 7.0));
}

#[tokio::test]
async fn bad_records_requests_name_the_offending_parameter() {
    let s = app();
    let key = s.tenant("drillbad").await;
    s.load_fixture(&key, "drillbad").await;
    let cases = [
        ("fcr", format!("{RANGE}&role=repeat"), "invalid_parameter", "role"),
        ("fcr", format!("{RANGE}&group_by=agent"), "missing_parameter", "group"),
        ("fcr", format!("{RANGE}&limit=1001"), "invalid_parameter", "limit"),
        ("fcr", format!("{RANGE}&limit=0"), "invalid_parameter", "limit"),
        ("fcr", format!("{RANGE}&offset=-1"), "invalid_parameter", "offset"),
        ("fcr", format!("{RANGE}&window_days=soon"), "invalid_parameter", "window_days"),
        ("fcr", format!("{RANGE}&colour=red"), "unknown_parameter", "colour"),
        ("fcr", "from=2026-03-02".to_string(), "missing_parameter", "to"),
        ("fcr", format!("{RANGE}&group_by=planet&group=mars"), "invalid_parameter", "group_by"),
    ];
    for (metric, query, code, field) in cases {
        let reply = records(s, &key, "drillbad", metric, &query).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {}", reply.body);
        assert_eq!((reply.body["code"].as_str(), reply.body["field"].as_str()), (Some(code), Some(field)), "{query}");
    }
    // The largest page is allowed.
    let most = records(s, &key, "drillbad", "fcr", &format!("{RANGE}&limit=1000")).await;
    assert_eq!(most.status, StatusCode::OK, "{}", most.body);
    assert_eq!(most.body["records"].as_array().unwrap().len(), 29);
    assert!(most.body.get("next_offset").is_none(), "{}", most.body);
    // A plugin's own refusal of its parameters is the plugin's error, as for the figure.
    let refused = records(s, &key, "drillbad", "fcr", &format!("{RANGE}&window_days=4000")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body["detail"].as_str().unwrap().contains("window_days"), "{}", refused.body);
    let missing = records(s, &key, "drillbad", "handle_time_of_dreams", RANGE).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    // A tenant's own metric that does not export records says so.
    let uploaded = s.upload(&key, "drillbad", guest(CUSTOM_AHT)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let unsupported = records(s, &key, "drillbad", "aht", RANGE).await;
    assert_eq!(unsupported.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unsupported.body);
    assert_eq!(unsupported.body["code"], "records_unsupported");
}

#[tokio::test]
async fn a_contact_opens_to_the_customers_other_contacts_on_its_reason() {
    let s = app();
    let key = s.tenant("drillcontact").await;
    s.load_fixture(&key, "drillcontact").await;
    let contact = |id: &'static str| {
        let key = key.clone();
        async move { s.get(&key, &format!("/v1/tenants/drillcontact/contacts/{id}")).await }
    };
    let ids = |reply: &Reply| -> Vec<String> {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["same_reason"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["interaction_id"].as_str().unwrap().to_string())
            .collect()
    };

    // i01 (c01, billing), FCR's first unresolved contact: its repeat i15.
    let i01 = contact("i01").await;
    assert_eq!(ids(&i01), ["i15"]);
    assert_eq!(i01.body["contact"]["customer_id"], "c01");
    assert_eq!(i01.body["contact"]["agent_id"], "a1");
    assert_eq!(i01.body["contact"]["offered_at"], "2026-03-02T09:00:00Z");
    let feedback: Vec<_> = i01.body["feedback"].as_array().unwrap().iter().map(|f| f["feedback_id"].clone()).collect();
    assert_eq!(feedback, [json!("f01")]);
    // c15 has three contacts: i18 and i19 with no reason, i20 on billing.
    assert_eq!(ids(&contact("i18").await), ["i19"]);
    assert_eq!(ids(&contact("i19").await), ["i18"]);
    assert_eq!(ids(&contact("i20").await), Vec::<String>::new());
    // c18's abandoned i24 and c16's i29 after the week are listed too, whatever the range.
    assert_eq!(ids(&contact("i23").await), ["i24"]);
    assert_eq!(ids(&contact("i21").await), ["i29"]);
    // c13's self-service contacts, tech; c11's self-service contact and the call after it.
    assert_eq!(ids(&contact("i16").await), ["i31"]);
    assert_eq!(ids(&contact("i12").await), ["i11"]);

    let missing = contact("i99").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    assert_eq!(missing.body["code"], "contact_not_found");
}
