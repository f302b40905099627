//! Garbage and oversized output of every world: refused with the fault named, nothing served,
//! nothing written to the ledgers.

use reqwest::StatusCode;
use serde_json::json;

use super::support::{attacker, server};

#[tokio::test]
async fn garbage_metric_results_are_refused_with_the_fault_named() {
    let a = attacker("garbage").await;
    let prefix = "plugin `hostile_metric` 0.0.1 returned an invalid result: ";
    for (mode, extra, fault) in [
        ("dup_groups", vec![], "group `a` appears more than once"),
        ("empty_group", vec![], "a row has an empty group name"),
        ("bad_ratio", vec![], "group `total` has the value 0.9 over a denominator of 0"),
        ("inconsistent_ratio", vec![], "group `total` has the value 0.9, but its numerator over denominator is 0.25"),
        ("negative_denominator", vec![], "group `total` has a negative denominator (-2)"),
        ("nan", vec![], "group `total` has a non-finite value (NaN)"),
        ("huge_group", vec![("size", "1000")], "a group name has 1000 bytes, more than the limit of 256"),
        ("huge_unit", vec![("size", "1000")], "the unit has 1000 bytes, more than the limit of 64"),
        ("many_rows", vec![("n", "200000")], "bytes, more than the limit of 4194304 bytes"),
    ] {
        let call = a.metric(mode, &extra).await;
        let detail = call.problem(StatusCode::BAD_GATEWAY, "plugin_invalid_result");
        assert!(detail.starts_with(prefix) && detail.contains(fault), "{mode}: {detail}");
    }
    // A 15 MiB group name: stopped before the host holds it, or refused by size.
    let huge = a.metric("huge_group", &[]).await;
    assert_eq!(huge.reply.status, StatusCode::BAD_GATEWAY, "{}", huge.reply.body);
    assert!(huge.reply.body.to_string().len() < 10_000, "the refusal quotes none of the name");
    let error = a.metric("huge_error", &[]).await;
    let detail = error.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
    assert!(detail.len() < 2_200 && detail.ends_with("… (cut)"), "a 10 MiB message is cut: {} bytes", detail.len());
    a.assert_healthy().await;
}

/// The same garbage through `compute-series`, and the faults only a series can have: rows for
/// periods nobody asked for, a cell twice. A loop in a series call stops at the deadline.
#[tokio::test]
async fn garbage_metric_series_are_refused_with_the_fault_named() {
    let a = attacker("garbage_series").await;
    let prefix = "plugin `hostile_metric` 0.0.1 returned an invalid result: ";
    for (mode, extra, fault) in [
        ("unasked_period", vec![], "which is not the start of a period asked for"),
        ("dup_cells", vec![], "group `a` appears more than once in the period starting at"),
        ("empty_group", vec![], "a row has an empty group name"),
        ("inconsistent_ratio", vec![], "group `total` has the value 0.9, but its numerator over denominator is 0.25"),
        ("nan", vec![], "group `total` has a non-finite value (NaN)"),
        ("huge_unit", vec![("size", "1000")], "the unit has 1000 bytes, more than the limit of 64"),
        ("many_rows", vec![("n", "200000")], "bytes, more than the limit of 4194304 bytes"),
    ] {
        let call = a.series(mode, &extra).await;
        let detail = call.problem(StatusCode::BAD_GATEWAY, "plugin_invalid_result");
        assert!(detail.starts_with(prefix) && detail.contains(fault), "{mode}: {detail}");
    }
    let endless = a.series("loop", &[]).await;
    endless.problem(StatusCode::GATEWAY_TIMEOUT, "plugin_timeout");
    endless.within_deadline();
    a.assert_healthy().await;
}

#[tokio::test]
async fn garbage_panels_pay_lines_and_awards_are_refused_and_nothing_is_written() {
    let a = attacker("garbage2").await;
    for (mode, extra, fault) in [
        ("huge_panel", vec![("size", "6000000")], "bytes of panels, more than the limit of 4194304 bytes"),
        ("many_panels", vec![("n", "41")], "41 panels, more than the limit of 40"),
        ("bad_json", vec![], "data is not a valid kpi panel"),
        ("huge_title", vec![("size", "5000")], "the title has 5000 bytes, more than the limit of 200"),
    ] {
        let detail = a.dashboard(mode, &extra).await.problem(StatusCode::BAD_GATEWAY, "plugin_invalid_result");
        assert!(detail.contains(fault), "{mode}: {detail}");
    }
    for (mode, extra, fault) in [
        (
            "huge_note",
            vec![("size", "5000")],
            "pay line 1 is invalid: the note has 5000 bytes, more than the limit of 500",
        ),
        ("unknown_agent", vec![], "agent `nobody-xyz` is not in the tenant's agents"),
        ("overflow", vec![], "the statement total of agent `a1` overflows"),
        ("nan_quantity", vec![], "quantity of `base` is not a finite number"),
        ("empty_component", vec![], "component `` must have 1 to 64 characters"),
        ("many_lines", vec![("n", "200000")], "bytes of pay lines, more than the limit of 4194304 bytes"),
    ] {
        let detail = a.pay(mode, &extra).await.problem(StatusCode::BAD_GATEWAY, "plugin_invalid_result");
        assert!(detail.contains(fault), "pay {mode}: {detail}");
    }
    for (mode, extra, fault) in [
        (
            "huge_reason",
            vec![("size", "5000")],
            "award 1 is invalid: the reason has 5000 bytes, more than the limit of 500",
        ),
        ("huge_flag", vec![("size", "5000")], "flag 1 is invalid: the detail has 5000 bytes"),
        ("unknown_agent", vec![], "agent `nobody-xyz` is not in the tenant's agents"),
        ("negative_points", vec![], "-1000000000000 is more than 1000000000 either way"),
        ("many_awards", vec![("n", "300000")], "bytes of awards and flags, more than the limit of 4194304 bytes"),
    ] {
        let detail = a.award(mode, &extra).await.problem(StatusCode::BAD_GATEWAY, "plugin_invalid_result");
        assert!(detail.contains(fault), "award {mode}: {detail}");
    }
    let s = server();
    let range = "from=2026-01-01&to=2027-01-01";
    let statements = s.get(&a.key, &format!("/v1/tenants/{}/pay/statements?{range}", a.tenant)).await;
    assert_eq!(statements.body, json!([]), "no pay statement was written");
    let ledger = s.get(&a.key, &format!("/v1/tenants/{}/awards/ledger?{range}", a.tenant)).await;
    assert_eq!(ledger.body, json!([]), "no points were written");
    let paid = a.pay("ok", &[]).await;
    assert_eq!(paid.reply.status, StatusCode::OK, "a good run still writes: {}", paid.reply.body);
    a.assert_healthy().await;
}
