//! The standard metrics: every one against the hand-checked fixture (tests/fixtures/small,
//! worked in EXPECTED.md) by every grouping, listed with its definition, replaced by a
//! tenant's own plugin for that tenant only, and bad metric requests naming the parameter.

use cxhost::guests::test_guests::CUSTOM_AHT;
use reqwest::StatusCode;
use serde_json::Value;

use crate::util::{OPERATOR_KEY, Reply, app, fixture_dir, guest};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(actual: &Value, expected: &Value) -> bool {
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(e)) => (a - e).abs() <= 1e-9 * e.abs().max(1.0),
        _ => actual.is_null() && expected.is_null(),
    }
}

/// Compares a metric reply's rows with expected rows (group, numerator, denominator, value).
fn assert_rows(what: &str, reply: &Reply, expected_rows: &Value) {
    assert_eq!(reply.status, StatusCode::OK, "{what}: {}", reply.body);
    let rows = reply.body["rows"].as_array().unwrap();
    let expected_rows = expected_rows.as_array().unwrap();
    let groups = |rows: &[Value]| rows.iter().map(|r| r["group"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(groups(rows), groups(expected_rows), "{what}: groups differ");
    for (row, want) in rows.iter().zip(expected_rows) {
        for field in ["value", "numerator", "denominator"] {
            if want.get(field).is_some() {
                assert!(
                    close(&row[field], &want[field]),
                    "{what} group {}: {field} is {} but should be {}",
                    row["group"],
                    row[field],
                    want[field]
                );
            }
        }
    }
}

#[tokio::test]
async fn every_standard_metric_matches_the_hand_computed_fixture() {
    let s = app();
    let key = s.tenant("handcheck").await;
    s.load_fixture(&key, "handcheck").await;
    let expected = expected();
    let mut checked = 0;
    for (entry, by_group) in expected.as_object().unwrap() {
        if entry == "range" || entry == "errors" || entry == "custom_aht" {
            continue;
        }
        let (metric, params) = entry.split_once('?').unwrap_or((entry, ""));
        for (group_by, rows) in by_group.as_object().unwrap() {
            let mut query = format!("{RANGE}&group_by={group_by}");
            if !params.is_empty() {
                query = format!("{query}&{params}");
            }
            let reply = s.metric(&key, "handcheck", metric, &query).await;
            assert_rows(&format!("{entry} by {group_by}"), &reply, rows);
            assert_eq!(reply.body["plugin"]["source"], "standard");
            checked += 1;
        }
    }
    assert!(checked >= 28, "only {checked} metric/grouping pairs were checked");
    for (metric, group_bys) in expected["errors"].as_object().unwrap() {
        for group_by in group_bys.as_array().unwrap() {
            let reply =
                s.metric(&key, "handcheck", metric, &format!("{RANGE}&group_by={}", group_by.as_str().unwrap())).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{metric} by {group_by}: {}", reply.body);
            assert_eq!(reply.body["code"], "plugin_error");
            assert!(
                reply.body["detail"].as_str().unwrap().contains(&format!("plugin `{metric}` 1.0.0")),
                "{}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn every_standard_metric_is_listed_with_its_definition() {
    let s = app();
    let key = s.tenant("listing").await;
    let reply = s.get(&key, "/v1/tenants/listing/plugins").await;
    assert_eq!(reply.status, StatusCode::OK);
    let names: Vec<&str> = reply.body.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for metric in [
        "abandon_rate",
        "aht",
        "asa",
        "attendance",
        "ces",
        "containment",
        "conversion",
        "csat",
        "enps",
        "fcr",
        "nps",
        "occupancy",
        "qa_score",
        "schedule_adherence",
        "sentiment",
        "service_level",
        "survey_item",
        "transfer_rate",
    ] {
        assert!(names.contains(&metric), "{metric} missing from {names:?}");
    }
    let service_level = reply.body.as_array().unwrap().iter().find(|p| p["name"] == "service_level").unwrap();
    assert_eq!(service_level["kind"], "metric");
    let params: Vec<&str> =
        service_level["params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(params.contains(&"threshold_seconds"), "{params:?}");
    assert!(service_level["description"].as_str().unwrap().len() > 40);
}

#[tokio::test]
async fn a_tenant_plugin_replaces_a_standard_metric_for_that_tenant_only() {
    let s = app();
    let acme = s.tenant("acme").await;
    let other = s.tenant("globex").await;
    s.load_fixture(&acme, "acme").await;
    s.load_fixture(&other, "globex").await;
    let uploaded = s.upload(&acme, "acme", guest(CUSTOM_AHT)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    assert_eq!(uploaded.body["name"], "aht");
    assert_eq!(uploaded.body["version"], "2.0.0-acme");

    let expected = expected();
    let acme_aht = s.metric(&acme, "acme", "aht", &format!("{RANGE}&group_by=total")).await;
    assert_rows("acme aht", &acme_aht, &expected["custom_aht"]["total"]);
    assert_eq!(acme_aht.body["plugin"]["source"], "tenant");
    assert_eq!(acme_aht.body["plugin"]["version"], "2.0.0-acme");

    let globex_aht = s.metric(&other, "globex", "aht", &format!("{RANGE}&group_by=total")).await;
    assert_rows("globex aht", &globex_aht, &expected["aht"]["total"]);
    assert_eq!(globex_aht.body["plugin"]["source"], "standard");

    let again = s.upload(&acme, "acme", guest(CUSTOM_AHT)).await;
    assert_eq!(again.body["hash"], uploaded.body["hash"], "same bytes, same version");
}

#[tokio::test]
async fn bad_metric_requests_name_the_offending_parameter() {
    let s = app();
    let key = s.tenant("params").await;
    let cases = [
        ("aht", "from=2026-03-02", "missing_parameter", "to"),
        ("aht", "from=2026-03-09&to=2026-03-02", "invalid_range", "from"),
        ("aht", "from=yesterday&to=2026-03-02", "invalid_parameter", "from"),
        ("aht", &format!("{RANGE}&group_by=planet"), "invalid_parameter", "group_by"),
        ("aht", &format!("{RANGE}&colour=red"), "unknown_parameter", "colour"),
        ("service_level", &format!("{RANGE}&threshold_seconds=soon"), "invalid_parameter", "threshold_seconds"),
    ];
    for (metric, query, code, field) in cases {
        let reply = s.metric(&key, "params", metric, query).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {}", reply.body);
        assert_eq!(
            (reply.body["code"].as_str().unwrap(), reply.body["field"].as_str().unwrap()),
            (code, field),
            "{query}"
        );
    }
    let missing = s.metric(&key, "params", "handle_time_of_dreams", RANGE).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["code"], "metric_not_found");
}

#[tokio::test]
async fn employee_metrics_never_go_below_the_tenants_privacy_floor() {
    let s = app();
    let key = s.tenant("floor").await;
    s.load_fixture(&key, "floor").await;
    let by_team = |extra: &str| format!("{RANGE}&group_by=team{extra}");
    let shown = s.metric(&key, "floor", "enps", &by_team("")).await;
    assert_eq!(shown.body["rows"][0]["group"], "north", "6 answers clear the default floor of 5: {}", shown.body);
    let floor = s.put_json(OPERATOR_KEY, "/v1/tenants/floor/privacy", serde_json::json!({"min_group_size": 7})).await;
    assert_eq!(floor.status, StatusCode::OK, "{}", floor.body);
    let withheld = s.metric(&key, "floor", "enps", &by_team("")).await;
    assert_eq!(withheld.status, StatusCode::OK, "{}", withheld.body);
    assert_eq!(withheld.body["rows"], serde_json::json!([]), "north's 6 answers are below a floor of 7");
    assert_eq!(withheld.body["params"]["min_responses"], 7, "the floor is what the plugin ran with");
    let asked_less = s.metric(&key, "floor", "enps", &by_team("&min_responses=3")).await;
    assert_eq!(asked_less.status, StatusCode::BAD_REQUEST, "{}", asked_less.body);
    assert_eq!(asked_less.body["code"], "below_privacy_floor");
    assert_eq!(asked_less.body["detail"], "min_responses = 3 is below this tenant's minimum group size of 7");
    let total = s.metric(&key, "floor", "enps", &format!("{RANGE}&group_by=total&min_responses=8")).await;
    assert_eq!(total.body["rows"][0]["denominator"], 10.0, "asking for more than the floor is fine: {}", total.body);
}

/// Every standard metric answers a sequence of weeks in one `compute-series` call exactly as it
/// answers each week alone — by every grouping a series takes, on eight weeks of generated
/// data, with each metric's repeat or look-ahead window crossing the weeks — and refuses in
/// one call what it refuses week by week (survey metrics by agent).
#[tokio::test]
async fn a_series_in_one_call_equals_the_metric_asked_week_by_week() {
    use cxhost::analytics::series::{Period, period_bounds};
    use cxhost::runtime::bindings::{Grain, GroupBy, MetricRequest, SeriesRequest};
    use cxhost::runtime::worlds::{MetricSeriesWorld, MetricWorld};

    let s = app();
    let key = s.tenant("series").await;
    let sample = tempfile::tempdir().unwrap();
    let spec = cxhost::generate::SampleSpec {
        agents: 12,
        days: 56,
        contacts_per_agent_day: 12.0,
        ..cxhost::generate::SampleSpec::demo()
    };
    cxhost::generate::generate(&spec, sample.path()).expect("sample data generated");
    s.load_fixture_from(&key, "series", sample.path()).await;

    let state = crate::util::app_state().clone();
    let checked = tokio::task::spawn_blocking(move || {
        let db = state.tenants.get("series").unwrap();
        let runtime = state.registry.runtime();
        let limits = cxhost::config::PluginLimits::default();
        let bounds = period_bounds(Period::Week, spec.start, spec.start + chrono::Days::new(u64::from(spec.days)));
        let micros = |day: chrono::NaiveDate| day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros();
        let mut checked = 0;
        let names: Vec<String> = state.registry.standard_names().cloned().collect();
        for name in names {
            let plugin = state.registry.standard(&name).unwrap();
            if plugin.kind() != cxhost::runtime::bindings::PluginKind::Metric {
                continue;
            }
            assert!(plugin.answers_series(), "{name} answers series");
            let (params, _) = cxhost::params::plugin_params(&plugin.info, Default::default(), "").unwrap();
            for group_by in
                [GroupBy::Agent, GroupBy::Team, GroupBy::Site, GroupBy::Queue, GroupBy::Channel, GroupBy::Total]
            {
                let request = SeriesRequest {
                    period_start: micros(bounds[0]),
                    period_end: micros(*bounds.last().unwrap()),
                    grain: Grain::Week,
                    group_by,
                    params: params.clone(),
                };
                let series = runtime.call::<MetricSeriesWorld>(
                    &plugin,
                    db.clone(),
                    cxhost::runtime::CallImports::none(),
                    limits,
                    &request,
                );
                let mut weekly = Ok(Vec::new());
                for window in bounds.windows(2) {
                    let request = MetricRequest {
                        period_start: micros(window[0]),
                        period_end: micros(window[1]),
                        group_by,
                        params: params.clone(),
                    };
                    match runtime.call::<MetricWorld>(
                        &plugin,
                        db.clone(),
                        cxhost::runtime::CallImports::none(),
                        limits,
                        &request,
                    ) {
                        Ok(result) => {
                            if let Ok(rows) = &mut weekly {
                                rows.extend(
                                    result
                                        .rows
                                        .into_iter()
                                        .map(|r| (request.period_start, r.group, r.value, r.numerator, r.denominator)),
                                );
                            }
                        }
                        Err(e) => weekly = Err(e),
                    }
                }
                let what = format!("{name} by {group_by:?}");
                let (series, weekly) = match (series, weekly) {
                    (Ok(series), Ok(weekly)) => (series, weekly),
                    (Err(_), Err(_)) => continue,
                    (series, weekly) => panic!("{what}: series {:?} but week by week {:?}", series.err(), weekly.err()),
                };
                let mut series: Vec<_> = series
                    .rows
                    .into_iter()
                    .map(|r| (r.period_start, r.group, r.value, r.numerator, r.denominator))
                    .collect();
                let mut weekly = weekly;
                series.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                weekly.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                let cells =
                    |rows: &[(i64, String, _, _, _)]| rows.iter().map(|r| (r.0, r.1.clone())).collect::<Vec<_>>();
                assert_eq!(cells(&series), cells(&weekly), "{what}: the cells differ");
                let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
                    (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    (a, b) => a == b,
                };
                for (got, want) in series.iter().zip(&weekly) {
                    assert!(
                        same(got.2, want.2) && same(got.3, want.3) && same(got.4, want.4),
                        "{what}, week {} group {}: series {got:?} but alone {want:?}",
                        got.0,
                        got.1
                    );
                }
                if !weekly.is_empty() {
                    checked += 1;
                }
            }
        }
        checked
    })
    .await
    .unwrap();
    assert!(checked >= 60, "{checked} metric × grouping series with rows compared");
}

/// The analytics that dashboards (and rules) call: `metric-series` asks a metric for every
/// week of a range at once and gives exactly the rows of `metric` asked week by week; a grain
/// of days gives a row per day; a series grouped by a period is refused, naming why.
#[tokio::test]
async fn the_analytics_metric_series_equals_the_metric_asked_week_by_week() {
    use cxhost::analytics::host::TenantAnalytics;
    use cxhost::runtime::bindings::{Grain, GroupBy, MetricRequest, SeriesRequest};
    use cxhost::runtime::host::AnalyticsHost;

    let s = app();
    let key = s.tenant("aseries").await;
    let sample = tempfile::tempdir().unwrap();
    let spec = cxhost::generate::SampleSpec {
        agents: 8,
        days: 28,
        contacts_per_agent_day: 10.0,
        ..cxhost::generate::SampleSpec::demo()
    };
    cxhost::generate::generate(&spec, sample.path()).expect("sample data generated");
    s.load_fixture_from(&key, "aseries", sample.path()).await;

    let state = crate::util::app_state().clone();
    tokio::task::spawn_blocking(move || {
        let analytics = TenantAnalytics::new(
            state.clone(),
            state.tenant("aseries").unwrap(),
            "test".to_string(),
            state.tenants.get("aseries").unwrap(),
            cxhost::config::PluginLimits::default(),
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let micros = |day: chrono::NaiveDate| day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros();
        // 2026-01-05 is a Monday: four whole weeks.
        let (from, to) = (spec.start, spec.start + chrono::Days::new(28));
        let ask = |grain, group_by| SeriesRequest {
            period_start: micros(from),
            period_end: micros(to),
            grain,
            group_by,
            params: Vec::new(),
        };
        for name in ["csat", "aht", "fcr"] {
            let series = analytics.metric_series(name, ask(Grain::Week, GroupBy::Agent), deadline).unwrap();
            let mut weekly = Vec::new();
            for week in 0..4 {
                let start = from + chrono::Days::new(7 * week);
                let request = MetricRequest {
                    period_start: micros(start),
                    period_end: micros(start + chrono::Days::new(7)),
                    group_by: GroupBy::Agent,
                    params: Vec::new(),
                };
                let result = analytics.metric(name, request, deadline).unwrap();
                weekly.extend(result.rows.into_iter().map(|r| (micros(start), r.group, r.value, r.denominator)));
            }
            let mut got: Vec<_> =
                series.rows.into_iter().map(|r| (r.period_start, r.group, r.value, r.denominator)).collect();
            got.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            weekly.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            assert!(weekly.len() >= 8 * 4 - 4, "{name}: {} agent-weeks", weekly.len());
            assert_eq!(got, weekly, "{name}");
        }
        let daily = analytics.metric_series("aht", ask(Grain::Day, GroupBy::Total), deadline).unwrap();
        let days: std::collections::BTreeSet<i64> = daily.rows.iter().map(|r| r.period_start).collect();
        assert!(days.len() > 20 && days.iter().all(|d| (d - micros(from)) % 86_400_000_000 == 0), "{days:?}");
        let refused = analytics.metric_series("aht", ask(Grain::Week, GroupBy::Week), deadline).unwrap_err();
        assert_eq!(
            refused,
            "a series is grouped by agent, team, site, queue, channel or total; its periods come from its grain"
        );
    })
    .await
    .unwrap();
}
