//! A plugin that floods or forges the server's log: at most its lines per call, one line per
//! message with control characters shown, tagged with tenant, plugin and version, and a
//! count of what was dropped. Run against the server binary, whose log is read back.

use cxhost::guests::test_guests::HOSTILE_METRIC;
use reqwest::StatusCode;
use serde_json::json;

use crate::util::{OPERATOR_KEY, ServerProcess, guest};

#[tokio::test]
async fn a_log_flood_is_capped_and_a_forged_line_stays_inside_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let process = ServerProcess::start(dir.path(), &[]).await;
    let s = &process.server;
    let key = s.tenant("flood").await;
    s.load_fixture(&key, "flood").await;
    let limits = json!({"deadline_ms": 2000, "log_lines_per_call": 50, "log_lines_per_minute": 120});
    assert_eq!(s.put_json(OPERATOR_KEY, "/v1/tenants/flood/limits", limits).await.status, StatusCode::OK);
    assert_eq!(s.upload(&key, "flood", guest(HOSTILE_METRIC)).await.status, StatusCode::CREATED);
    let before = process.log().len();

    let flood = s
        .metric(&key, "flood", "hostile_metric", "from=2026-03-02&to=2026-03-09&mode=log_flood&n=200000&size=1000")
        .await;
    assert_eq!(flood.status, StatusCode::OK, "the flooding call itself completes: {}", flood.body);
    let forged = s.metric(&key, "flood", "hostile_metric", "from=2026-03-02&to=2026-03-09&mode=log_forge").await;
    assert_eq!(forged.status, StatusCode::OK, "{}", forged.body);
    let second = s
        .metric(&key, "flood", "hostile_metric", "from=2026-03-02&to=2026-03-09&mode=log_flood&n=200000&size=10")
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);

    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = process.log()[before..].to_string();
    let plugin_lines: Vec<&str> = log.lines().filter(|l| l.contains("plugin=hostile_metric")).collect();
    assert!(log.len() < 300_000, "200,000 messages of 1,000 bytes left only {} bytes of log", log.len());
    let written = plugin_lines.iter().filter(|l| l.contains(" INFO ") && !l.contains("dropped")).count();
    assert!(written <= 50 + 1 + 70, "at most the per-call and per-minute budgets were written: {written}");
    let dropped: Vec<&&str> = plugin_lines.iter().filter(|l| l.contains("plugin log lines dropped")).collect();
    assert_eq!(dropped.len(), 2, "each flooding call says once what it dropped:\n{}", plugin_lines.join("\n"));
    assert!(dropped[0].contains("dropped=199950"), "{}", dropped[0]);
    for line in &plugin_lines {
        assert!(line.contains("tenant=flood") && line.contains("version=0.0.1"), "untagged: {line}");
        assert!(line.len() < 2_400, "a line is cut: {} bytes", line.len());
    }
    let forged_line = plugin_lines.iter().find(|l| l.contains("innocent")).expect("the forging message was written");
    assert!(
        forged_line.contains(
            r#""innocent\n2026-11-29T12:00:00.000000Z  INFO cxhost: operator key cxk_forged\r\u{1b}[31mred\u{1b}[0m\0end""#
        ),
        "the message is one quoted line with its control characters shown: {forged_line}"
    );
    assert!(!log.lines().any(|l| l.starts_with("2026-11-29T12:00:00.000000Z")), "no forged line starts a line");
    assert!(!log.contains('\u{1b}'), "no escape sequence reaches the log");
}
