//! `describe()` answers that loop, trap, grow, or declare what the host cannot accept: the
//! upload is refused with the reason, and nothing is stored or listed.

use reqwest::StatusCode;

use super::support::{attacker, patched, server};

#[tokio::test]
async fn a_bad_describe_is_refused_at_upload_and_nothing_is_stored() {
    let a = attacker("describes").await;
    let s = server();
    let plugins_before = s.get(&a.key, &format!("/v1/tenants/{}/plugins", a.tenant)).await.body;
    for (guest, mode, reason) in [
        ("cxhost_test_hostile_metric", "trap", "describe() failed: plugin"),
        ("cxhost_test_hostile_dashboard", "loop", "ran past its deadline of 2000 ms"),
        ("cxhost_test_hostile_pay", "grow", "memory cap of 67108864 bytes reached"),
        ("cxhost_test_hostile_game", "trap", "trapped"),
        ("cxhost_test_hostile_metric", "huge", "the description has 8388608 bytes, more than the limit of 8192"),
        ("cxhost_test_hostile_metric", "param_from", "parameter `from` clashes with the routes' own parameters"),
        ("cxhost_test_hostile_metric", "param_group_by", "parameter `group_by` clashes"),
        ("cxhost_test_hostile_metric", "param_subject", "parameter `subject` clashes"),
        ("cxhost_test_hostile_metric", "param_empty", "parameter name `` is not"),
        ("cxhost_test_hostile_metric", "param_dup", "parameter `mode` is declared twice"),
        ("cxhost_test_hostile_metric", "bad_default", "parameter `k` is declared as integer but its default is text"),
        ("cxhost_test_hostile_metric", "bad_name", "describe() returned an invalid name"),
        ("cxhost_test_hostile_metric", "huge_version", "the version has 1048576 bytes"),
        ("cxhost_test_hostile_metric", "control_chars", "contains the control character"),
    ] {
        let started = std::time::Instant::now();
        let reply = s.upload(&a.key, &a.tenant, patched(guest, mode)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{mode}: {}", reply.body);
        assert_eq!(reply.body["code"], "bad_describe", "{mode}: {}", reply.body);
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains(reason), "{guest} {mode}: {detail}");
        assert!(detail.len() < 3_000, "{mode}: the refusal quotes little of the plugin: {} bytes", detail.len());
        assert!(started.elapsed().as_secs() < 10, "{mode}: refused in {:?}", started.elapsed());
    }
    let plugins_after = s.get(&a.key, &format!("/v1/tenants/{}/plugins", a.tenant)).await.body;
    assert_eq!(plugins_after, plugins_before, "no refused plugin is listed");
    let versions = s.get(&a.key, &format!("/v1/tenants/{}/plugins/hostile_metric/versions", a.tenant)).await;
    assert_eq!(versions.body["versions"].as_array().unwrap().len(), 1, "only the good version is stored");
    a.assert_healthy().await;
}
