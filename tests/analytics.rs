//! CX–EX analytics: correlations and their matrix on the demo tenant's generated data under the
//! privacy floor, refused correlation requests naming the parameter, and comment topics of
//! customers and employees side by side.

use reqwest::StatusCode;
use serde_json::Value;

use crate::util::{app, demo_server, server};

async fn get(base: &str, key: &str, path: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(key).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tenant_shows_the_planted_engagement_to_csat_relationship() {
    let (base, keys) = demo_server().await;
    let key = keys.analyst.clone();
    let path = |lag: u32| {
        format!(
            "/v1/tenants/demo/correlations?cx=csat&ex=enps&level=team&period=month&from=2026-01-05&to=2026-05-05&lag={lag}"
        )
    };
    for lag in [0, 1] {
        let (status, body) = get(&base, &key, &path(lag)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let n = body["n"].as_u64().unwrap();
        let r = body["pearson"]["value"].as_f64().unwrap();
        let rho = body["spearman"]["value"].as_f64().unwrap();
        // The generator raises CSAT log-odds by 0.2 per unit of same-month engagement and 0.6 per
        // unit of the month before; eNPS carries engagement with noise, so team-month figures
        // correlate clearly and positively.
        assert!(n >= 20, "lag {lag}: only {n} team-months paired: {body}");
        assert!((0.25..0.9).contains(&r) && (0.25..0.9).contains(&rho), "lag {lag}: r {r}, rho {rho}: {body}");
        assert_eq!(body["points"].as_array().unwrap().len() as u64, n);
        let point = &body["points"][0];
        assert!(point["ex_respondents"].as_f64().unwrap() >= 5.0, "privacy floor: {point}");
        if lag == 1 {
            assert!(point["cx_period"].as_str().unwrap() > point["ex_period"].as_str().unwrap());
        }
    }
    let (status, body) = get(&base, &key, &path(1).replace("level=team", "level=agent")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "agent-level eNPS is refused: {body}");

    let matrix = "/v1/tenants/demo/correlations/matrix?cx=csat,nps&ex=enps,survey_item[item=engagement],\
                  survey_item[item=tools]&level=team&period=month&from=2026-01-05&to=2026-05-05&lag=0";
    let (status, body) = get(&base, &key, matrix).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cells = body["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6, "{body}");
    assert_eq!(
        (cells[2]["ex"].as_str().unwrap(), cells[2]["cx"].as_str().unwrap()),
        ("survey_item[item=engagement]", "csat")
    );
    let engagement_csat = cells[2]["pearson"]["value"].as_f64().unwrap();
    assert!((0.25..0.9).contains(&engagement_csat), "engagement vs CSAT: {}", cells[2]);
    assert!(cells.iter().all(|c| c["n"].as_u64().unwrap() >= 20), "{body}");
    let (status, body) = get(&base, &key, &matrix.replace("item=tools", "item=salary")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("must be one of engagement"), "{body}");

    // A stricter privacy floor: only team-months with at least 9 eNPS answers are paired.
    let client = reqwest::Client::new();
    let floor = |key: &str, size: u32| {
        client
            .put(format!("{base}/v1/tenants/demo/privacy"))
            .bearer_auth(key.to_string())
            .json(&serde_json::json!({ "min_group_size": size }))
            .send()
    };
    assert_eq!(floor(&keys.tenant_admin, 2).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(floor(&keys.operator, 9).await.unwrap().status(), StatusCode::OK);
    let (status, strict) = get(&base, &key, &path(0)).await;
    assert_eq!(status, StatusCode::OK, "{strict}");
    assert_eq!(strict["min_group"], 9);
    let points = strict["points"].as_array().unwrap();
    assert!(points.iter().all(|p| p["ex_respondents"].as_f64().unwrap() >= 9.0), "{strict}");
    assert!(points.len() < 25, "fewer team-months pass a floor of 9: {}", points.len());
    let (status, body) = get(&base, &key, &path(0).replace("ex=enps", "ex=enps[min_responses=5]")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("below_privacy_floor")), "{body}");

    // Attendance and start adherence are employee signals that are not surveys, so they pass
    // the privacy floor per agent: the generator makes less engaged agents miss and start late
    // more often, and the same engagement moves CSAT, so agent-months correlate positively.
    for ex in ["attendance", "schedule_adherence"] {
        let query = format!(
            "/v1/tenants/demo/correlations?cx=csat&ex={ex}&level=agent&period=month&from=2026-01-05&to=2026-05-05"
        );
        let (status, body) = get(&base, &key, &query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (n, r) = (body["n"].as_u64().unwrap(), body["pearson"]["value"].as_f64().unwrap());
        // Shift counts are not respondents: the privacy floor (9 here) withholds nothing.
        let withheld = body["withheld_groups"].as_u64().unwrap();
        let p = body["pearson"]["p_value"].as_f64().unwrap();
        assert!(n >= 200 && (0.05..0.6).contains(&r) && p < 0.05, "{ex}: n {n}, r {r}, p {p}");
        assert_eq!(withheld, 0, "{ex}");
    }
}

#[tokio::test]
async fn bad_correlation_requests_name_the_parameter() {
    let s = app();
    let key = s.tenant("corr").await;
    let base = "/v1/tenants/corr/correlations?level=team&period=month&from=2026-01-01&to=2026-03-01";
    for (query, status, field) in [
        ("&cx=csat&ex=enps&lag=13", StatusCode::BAD_REQUEST, "lag"),
        ("&cx=happiness&ex=enps", StatusCode::NOT_FOUND, "cx"),
        ("&cx=csat&ex=vibes", StatusCode::NOT_FOUND, "ex"),
        ("&cx=csat&ex=enps[colour=red]", StatusCode::BAD_REQUEST, "ex"),
        ("&cx=csat&ex=enps[min_responses=many]", StatusCode::BAD_REQUEST, "min_responses"),
        ("&cx=csat[&ex=enps", StatusCode::BAD_REQUEST, "cx"),
    ] {
        let reply = s.get(&key, &format!("{base}{query}")).await;
        assert_eq!((reply.status, reply.body["field"].as_str()), (status, Some(field)), "{query}: {}", reply.body);
    }
    let decades = s
        .get(&key, "/v1/tenants/corr/correlations?level=team&period=week&from=2020-01-01&to=2099-01-01&cx=csat&ex=enps")
        .await;
    assert_eq!(
        (decades.status, decades.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to")),
        "{}",
        decades.body
    );
    let planet = s.get(&key, &format!("{base}&cx=csat&ex=enps").replace("level=team", "level=planet")).await;
    assert_eq!((planet.status, planet.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_parameter")));
    assert!(planet.body["detail"].as_str().unwrap().contains("planet"), "{}", planet.body);
    let empty = s.get(&key, &format!("{base}&cx=csat&ex=enps")).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert_eq!((empty.body["n"].clone(), empty.body["pearson"].clone()), (0.into(), Value::Null));
}

#[tokio::test]
async fn comment_topics_of_customers_and_employees_side_by_side_respect_the_privacy_floor() {
    let s = server();
    let key = s.tenant("topics").await;
    s.load_fixture(&key, "topics").await;
    let missing = s.get(&key, "/v1/tenants/topics/topics").await;
    assert_eq!((missing.status, missing.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_taxonomy")));
    let bad = s.put_json(&key, "/v1/tenants/topics/topics", serde_json::json!({"topics": {"x": ["(.*)"]}})).await;
    assert_eq!(
        (bad.status, bad.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_taxonomy")),
        "{}",
        bad.body
    );
    let taxonomy = serde_json::json!({"topics": {
        "waiting": ["Waited", "wait", "picked up"],
        "transfers": ["transferred", "explain"],
        "schedule": ["shift", "shifts", "weekend"],
    }});
    let set = s.put_json(&key, "/v1/tenants/topics/topics", taxonomy).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["topics"]["waiting"][0], "waited", "keywords are kept lowercased");

    let range = "from=2026-03-02&to=2026-03-09";
    let total = s.get(&key, &format!("/v1/tenants/topics/topics/side-by-side?level=total&{range}")).await;
    assert_eq!(total.status, StatusCode::OK, "{}", total.body);
    let t = &total.body["groups"][0];
    assert_eq!(t["group"], "total");
    assert_eq!(t["customer_comments"], 4);
    assert_eq!(t["customer"], serde_json::json!({"schedule": 0, "transfers": 1, "waiting": 2}));
    assert_eq!(t["employee_respondents"], 6);
    assert_eq!(t["employee_comments"], 1);
    assert_eq!(t["employee"], serde_json::json!({"schedule": 1, "transfers": 0, "waiting": 0}));

    let teams = s.get(&key, &format!("/v1/tenants/topics/topics/side-by-side?level=team&{range}")).await;
    let groups = teams.body["groups"].as_array().unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["(none)", "north", "south"], "{}", teams.body);
    assert_eq!(groups[1]["customer"], serde_json::json!({"schedule": 0, "transfers": 1, "waiting": 1}));
    for g in groups {
        assert_eq!(g["employee"], Value::Null, "fewer than 5 respondents: withheld: {g}");
    }
    assert_eq!(groups[2]["employee_respondents"], 3);
}
