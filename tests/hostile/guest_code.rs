//! Guest code that never ends, recurses without bound, grows its memory, traps in every entry
//! point, or probes WASI.

use reqwest::StatusCode;

use super::support::{DEADLINE_MS, attacker};

#[tokio::test]
async fn a_loop_in_every_world_is_stopped_at_its_deadline() {
    let a = attacker("loops").await;
    let timeout = |world: &str| {
        format!("plugin `hostile_{world}` 0.0.1 ran past its deadline of {DEADLINE_MS} ms and was stopped")
    };
    for (world, call) in [
        ("metric", a.metric("loop", &[]).await),
        ("dashboard", a.dashboard("loop", &[]).await),
        ("pay", a.pay("loop", &[]).await),
        ("game", a.award("loop", &[]).await),
    ] {
        assert_eq!(call.problem(StatusCode::GATEWAY_TIMEOUT, "plugin_timeout"), timeout(world));
        call.within_deadline();
    }
    a.assert_healthy().await;
}

#[tokio::test]
async fn unbounded_recursion_and_memory_growth_trap_cleanly() {
    let a = attacker("stack").await;
    let recursed = a.metric("recurse", &[]).await;
    let detail = recursed.problem(StatusCode::BAD_GATEWAY, "plugin_trap");
    assert!(detail.starts_with("plugin `hostile_metric` 0.0.1 trapped:") && detail.contains("stack"), "{detail}");
    for call in [a.metric("grow", &[]).await, a.dashboard("grow", &[]).await, a.pay("grow", &[]).await] {
        let detail = call.problem(StatusCode::BAD_GATEWAY, "plugin_memory_cap");
        assert!(detail.contains("was stopped: memory cap of 67108864 bytes reached"), "{detail}");
        call.within_deadline();
    }
    a.assert_healthy().await;
}

#[tokio::test]
async fn a_trap_in_every_entry_point_is_a_clear_error_and_writes_nothing() {
    let a = attacker("traps").await;
    for (world, call) in [
        ("metric", a.metric("trap", &[]).await),
        ("dashboard", a.dashboard("trap", &[]).await),
        ("pay", a.pay("trap", &[]).await),
        ("game", a.award("trap", &[]).await),
    ] {
        let detail = call.problem(StatusCode::BAD_GATEWAY, "plugin_trap");
        assert!(detail.starts_with(&format!("plugin `hostile_{world}` 0.0.1 trapped:")), "{detail}");
        assert!(detail.contains("unreachable"), "a panic in the guest is an `unreachable` trap: {detail}");
    }
    let s = super::support::server();
    let statements =
        s.get(&a.key, &format!("/v1/tenants/{}/pay/statements?from=2026-01-01&to=2027-01-01", a.tenant)).await;
    assert_eq!(statements.body, serde_json::json!([]), "no pay statement was written");
    let ledger = s.get(&a.key, &format!("/v1/tenants/{}/awards/ledger?from=2026-01-01&to=2027-01-01", a.tenant)).await;
    assert_eq!(ledger.body, serde_json::json!([]), "no points were written");
    a.assert_healthy().await;
}

#[tokio::test]
async fn wasi_probes_reach_nothing_of_the_host() {
    // The WASI the host grants (docs/WASI.md): an empty environment, no files; clocks,
    // seeded random and captured stdout answer. `wasi.rs` probes each interface in detail.
    let a = attacker("wasi").await;
    let env = a.metric("wasi_env", &[]).await;
    assert_eq!(env.reply.status, StatusCode::OK, "{}", env.reply.body);
    assert_eq!(env.reply.body["rows"][0]["value"], 0.0, "no environment variables: {}", env.reply.body);
    let file = a.metric("wasi_file", &[]).await;
    assert_eq!(
        file.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error"),
        "plugin `hostile_metric` 0.0.1 returned an error: No such file or directory (os error 44)"
    );
    for mode in ["wasi_clock", "wasi_random", "wasi_stdout"] {
        let call = a.metric(mode, &[]).await;
        assert_eq!(call.reply.status, StatusCode::OK, "{mode}: {}", call.reply.body);
    }
    a.assert_healthy().await;
}
