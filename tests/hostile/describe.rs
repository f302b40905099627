//! `describe()` answers that loop, trap, grow, or declare what the host cannot accept: the
//! upload is refused with the reason, and nothing is stored or listed.

use cxhost::guests::test_guests::{HOSTILE_DASHBOARD, HOSTILE_GAME, HOSTILE_METRIC, HOSTILE_PAY};
use reqwest::StatusCode;

use super::support::{attacker, patched, server};

#[tokio::test]
async fn a_bad_describe_is_refused_at_upload_and_nothing_is_stored() {
    let a = attacker("describes").await;
    let s = server();
    let plugins_before = s.get(&a.key, &format!("/v1/tenants/{}/plugins", a.tenant)).await.body;
    for (guest, mode, reason) in [
        (HOSTILE_METRIC, "trap", "describe() failed: plugin"),
        (HOSTILE_DASHBOARD, "loop", "ran past its deadline of 2000 ms"),
        (HOSTILE_PAY, "grow", "memory cap of 67108864 bytes reached"),
        (HOSTILE_GAME, "trap", "trapped"),
        (HOSTILE_METRIC, "huge", "the description has 8388608 bytes, more than the limit of 8192"),
        (HOSTILE_METRIC, "param_from", "parameter `from` clashes with the routes' own parameters"),
        (HOSTILE_METRIC, "param_group_by", "parameter `group_by` clashes"),
        (HOSTILE_METRIC, "param_subject", "parameter `subject` clashes"),
        (HOSTILE_METRIC, "param_empty", "parameter name `` is not"),
        (HOSTILE_METRIC, "param_dup", "parameter `mode` is declared twice"),
        (HOSTILE_METRIC, "bad_default", "parameter `k` is declared as integer but its default is text"),
        (HOSTILE_METRIC, "bad_name", "describe() returned an invalid name"),
        (HOSTILE_METRIC, "huge_version", "the version has 1048576 bytes"),
        (HOSTILE_METRIC, "control_chars", "contains the control character"),
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
