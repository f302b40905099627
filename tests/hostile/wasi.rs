//! The WASI the host grants, probed by a guest using Rust's standard library
//! (`plugins/testing/hostile-wasi`): an empty environment, no files, no sockets, clocks whose
//! waits end at the deadline, random from a fixed seed, and stdout and stderr captured into the
//! plugin's log and capped — and afterwards the tenant answers as before.

use std::time::Duration;

use cxhost::guests::test_guests::HOSTILE_WASI;
use reqwest::StatusCode;
use serde_json::json;

use super::support::{DEADLINE_MS, FROM, TO, Timed, hostile_limits, server, timed};
use crate::util::{OPERATOR_KEY, ServerProcess, guest};

/// A tenant holding the WASI probe under the hostile limits (1 s deadline).
async fn prober(tenant: &str) -> String {
    let s = server();
    let key = s.tenant(tenant).await;
    let limits = s.put_json(OPERATOR_KEY, &format!("/v1/tenants/{tenant}/limits"), hostile_limits()).await;
    assert_eq!(limits.status, StatusCode::OK, "{}", limits.body);
    let uploaded = s.upload(&key, tenant, guest(HOSTILE_WASI)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    key
}

async fn probe(key: &str, tenant: &str, mode: &str, n: i64) -> Timed {
    let query = format!("from={FROM}&to={TO}&mode={mode}&n={n}");
    timed(server().metric(key, tenant, "hostile_wasi", &query)).await
}

/// The rows of a successful probe as `group → value`.
fn figures(call: &Timed) -> Vec<(String, f64)> {
    assert_eq!(call.reply.status, StatusCode::OK, "{}", call.reply.body);
    let rows = call.reply.body["rows"].as_array().unwrap();
    rows.iter().map(|r| (r["group"].as_str().unwrap().to_string(), r["value"].as_f64().unwrap())).collect()
}

fn figure(call: &Timed, group: &str) -> f64 {
    let figures = figures(call);
    figures.iter().find(|(g, _)| g == group).unwrap_or_else(|| panic!("no `{group}` in {figures:?}")).1
}

/// The probe's own error, as the guest's standard library put it.
fn guest_error(call: &Timed) -> String {
    let detail = call.problem(StatusCode::UNPROCESSABLE_ENTITY, "plugin_error");
    detail.strip_prefix("plugin `hostile_wasi` 0.0.1 returned an error: ").unwrap_or(&detail).to_string()
}

/// After the probes: a plain call of the probe (a `HashMap::new()`) answers.
async fn assert_answers(key: &str, tenant: &str) {
    let call = probe(key, tenant, "hashmap", 0).await;
    assert_eq!(figures(&call), vec![("to".to_string(), 2.0), ("distinct".to_string(), 4.0)]);
    assert_eq!(server().get("", "/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_guest_using_std_hashmap_new_runs() {
    let key = prober("wasi_hashmap").await;
    assert_answers(&key, "wasi_hashmap").await;
}

#[tokio::test]
async fn the_environment_is_empty_and_files_and_sockets_are_refused() {
    let (tenant, key) = ("wasi_deny", prober("wasi_deny").await);
    let env = probe(&key, tenant, "env", 0).await;
    assert_eq!(figures(&env), vec![("vars".to_string(), 0.0), ("args".to_string(), 0.0)]);
    let mut refusals = Vec::new();
    for mode in ["file", "dir", "tcp", "udp", "dns"] {
        let call = probe(&key, tenant, mode, 0).await;
        refusals.push(guest_error(&call));
        call.within_deadline();
    }
    assert_eq!(
        refusals,
        [
            "open /etc/passwd: No such file or directory (os error 44)",
            "list /: No such file or directory (os error 44)",
            "connect 127.0.0.1:5432: Permission denied (os error 2)",
            "bind udp: Permission denied (os error 2)",
            "resolve example.com: failed to lookup address information: Non-recoverable error",
        ]
    );
    assert_answers(&key, tenant).await;
}

#[tokio::test]
async fn a_sleep_past_the_deadline_is_stopped_at_it_and_the_tenant_answers_afterwards() {
    let (tenant, key) = ("wasi_sleep", prober("wasi_sleep").await);
    let slept = probe(&key, tenant, "sleep", 10_000).await;
    let detail = slept.problem(StatusCode::GATEWAY_TIMEOUT, "plugin_timeout");
    assert_eq!(
        detail,
        format!("plugin `hostile_wasi` 0.0.1 ran past its deadline of {DEADLINE_MS} ms and was stopped")
    );
    assert!(slept.elapsed >= Duration::from_millis(DEADLINE_MS), "stopped early: {:?}", slept.elapsed);
    slept.within_deadline();
    // A short sleep sleeps as long as asked.
    let short = probe(&key, tenant, "sleep", 100).await;
    let ms = figure(&short, "slept");
    assert!((100.0..400.0).contains(&ms), "slept {ms} ms for 100");
    assert_answers(&key, tenant).await;
}

#[tokio::test]
async fn the_clocks_can_be_read_and_a_tight_loop_on_them_ends_at_the_deadline() {
    let (tenant, key) = ("wasi_clock", prober("wasi_clock").await);
    let read = probe(&key, tenant, "clock", 100_000).await;
    let host_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let wall = figure(&read, "wall_seconds");
    assert!((host_now - wall).abs() < 60.0, "the wall clock says {wall}, the host {host_now}");
    assert!(figure(&read, "monotonic_ms") < DEADLINE_MS as f64);
    let forever = probe(&key, tenant, "clock", 0).await;
    let detail = forever.problem(StatusCode::GATEWAY_TIMEOUT, "plugin_timeout");
    assert_eq!(
        detail,
        format!("plugin `hostile_wasi` 0.0.1 ran past its deadline of {DEADLINE_MS} ms and was stopped")
    );
    forever.within_deadline();
    assert_answers(&key, tenant).await;
}

#[tokio::test]
async fn random_comes_from_the_same_seed_in_every_call() {
    let (tenant, key) = ("wasi_random", prober("wasi_random").await);
    let first = figures(&probe(&key, tenant, "random", 0).await);
    let second = figures(&probe(&key, tenant, "random", 0).await);
    assert_eq!(first, second, "every call starts from the same seed");
    assert_eq!(first.len(), 2);
    assert_ne!(first[0].1, first[1].1, "within a call the generator moves on: {first:?}");
    assert_answers(&key, tenant).await;
}

/// Stdout and stderr reach the server's log as the plugin's lines, tagged and budgeted like
/// `host.log`; a flood of 2 × 128 MiB completes, keeps 16 KiB, and the log says what was cut.
#[tokio::test]
async fn stdout_and_stderr_go_to_the_plugin_log_and_a_flood_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let process = ServerProcess::start(dir.path(), &[]).await;
    let s = &process.server;
    let key = s.tenant("printer").await;
    let limits = json!({"deadline_ms": 5000, "log_lines_per_call": 50, "log_lines_per_minute": 600});
    assert_eq!(s.put_json(OPERATOR_KEY, "/v1/tenants/printer/limits", limits).await.status, StatusCode::OK);
    assert_eq!(s.upload(&key, "printer", guest(HOSTILE_WASI)).await.status, StatusCode::CREATED);
    let before = process.log().len();

    let query = |mode: &str, n: i64| format!("from={FROM}&to={TO}&mode={mode}&n={n}");
    let printed = s.metric(&key, "printer", "hostile_wasi", &query("print", 2)).await;
    assert_eq!(printed.status, StatusCode::OK, "{}", printed.body);
    let flood = s.metric(&key, "printer", "hostile_wasi", &query("flood", 0)).await;
    assert_eq!(flood.status, StatusCode::OK, "the flooding call completes: {}", flood.body);
    assert_eq!(
        flood.body["rows"],
        json!([{"group": "bytes", "value": 134217728.0, "numerator": null, "denominator": null}])
    );

    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = process.log()[before..].to_string();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("plugin=hostile_wasi")).collect();
    let with = |part: &str| lines.iter().filter(|l| l.contains(part)).count();
    for line in &lines {
        assert!(line.contains("tenant=printer") && line.contains("version=0.0.1"), "untagged: {line}");
    }
    let printed: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("stream="))
        .map(|l| l.split_once("cxhost::plugin: ").unwrap().1.to_string())
        .collect();
    let expected: Vec<String> = [("out 0", "stdout"), ("out 1", "stdout"), ("err 0", "stderr"), ("err 1", "stderr")]
        .iter()
        .map(|(text, stream)| {
            format!("\"{text}\" tenant=printer plugin=hostile_wasi version=0.0.1 stream=\"{stream}\"")
        })
        .collect();
    assert_eq!(printed[..4], expected[..], "stdout at INFO, then stderr at WARN:\n{}", lines.join("\n"));
    assert_eq!(with(" INFO cxhost::plugin: \"out 0\""), 1);
    assert_eq!(with(" WARN cxhost::plugin: \"err 0\""), 1);
    let cut = 2 * 134_217_728 - 16_384;
    assert_eq!(
        with(&format!("plugin stdout and stderr cut: {cut} bytes past the cap of 16384 bytes per call")),
        1,
        "{}",
        lines.join("\n")
    );
    assert_eq!(with("plugin log lines dropped"), 1, "the flood's 256 lines of 64 bytes pass the 50 a call");
    assert!(log.len() < 100_000, "256 MiB printed left {} bytes of log", log.len());
}
