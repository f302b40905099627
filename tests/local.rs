//! Local plugin runs with the real `cxhost` binary: `plugin run` on the standard `aht`
//! component over a hand-checked fixture (tests/fixtures/local), `plugin test` passing and
//! failing with its differences, a bad row named by file, row and column, a runaway plugin
//! stopped by the deadline, and `tenant export` of a server's tenant giving the same figures.

use std::path::{Path, PathBuf};
use std::process::Output;

use reqwest::StatusCode;
use serde_json::{Value, json};

use cxhost::guests::test_guests::{METRIC_AHT, SPIN_FOREVER};

use crate::util::ServerProcess;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/local")
}

fn component(name: &str) -> PathBuf {
    Path::new(cxhost::guests::GUESTS_DIR).join(format!("{name}.wasm"))
}

fn cxhost(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cxhost"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("the cxhost binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// `plugin run … --json`, which must succeed; its report.
fn run_json(data: &Path, extra: &[&str]) -> Value {
    let aht = component(METRIC_AHT);
    let mut args = vec!["plugin", "run", path(&aht), "--data", path(data), "--json"];
    args.extend_from_slice(extra);
    let out = cxhost(&args);
    assert!(out.status.success(), "stdout:\n{}\nstderr:\n{}", text(&out.stdout), text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

/// The hand-checked AHT of tests/fixtures/local/aht/data: (talk + hold + wrap) / handled
/// contacts; i5 is abandoned and does not count.
/// north: a1 330 + 345, a2 240 + 230 = 1145 over 4 = 286.25; south: a3 540 over 1.
fn hand_checked_by_team() -> Value {
    json!([
        {"group": "north", "value": 286.25, "numerator": 1145.0, "denominator": 4.0},
        {"group": "south", "value": 540.0, "numerator": 540.0, "denominator": 1.0},
    ])
}

#[test]
fn plugin_run_prints_the_hand_checked_figures_with_its_queries_and_costs() {
    let report = run_json(&fixtures().join("aht/data"), &["--group-by", "team"]);
    let output = &report["output"];
    assert_eq!(output["rows"], hand_checked_by_team());
    assert_eq!(output["metric"], "aht");
    assert_eq!(output["group_by"], "team");
    // The default range is the data's whole span: its first day to the day after its last.
    assert_eq!((&report["from"], &report["to"]), (&json!("2026-03-02"), &json!("2026-03-05")));
    assert_eq!((&output["from"], &output["to"]), (&json!("2026-03-02T00:00:00Z"), &json!("2026-03-05T00:00:00Z")));
    assert!(output.get("elapsed_ms").is_none() && output["plugin"].get("hash").is_none(), "{output}");
    assert_eq!(report["loaded"], json!([["agents", 3], ["interactions", 6]]));
    assert_eq!(
        (&report["plugin"], &report["kind"], &report["version"]),
        (&json!("aht"), &json!("metric"), &json!("1.0.0"))
    );
    let queries = report["queries"].as_array().unwrap();
    assert!(!queries.is_empty(), "{report}");
    let rows: u64 = queries.iter().map(|q| q["rows"].as_u64().unwrap()).sum();
    assert_eq!(report["rows_read"].as_u64(), Some(rows));
    assert!(queries.iter().all(|q| q["sql"].as_str().unwrap().contains("interactions")), "{queries:?}");
    let peak = report["memory_peak_bytes"].as_u64().unwrap();
    assert!(peak > 0 && peak <= 64 << 20, "memory peak {peak}");
    assert_eq!(report["limits"]["deadline_ms"], 5000);

    let aht = component(METRIC_AHT);
    let data = fixtures().join("aht/data");
    let out = cxhost(&["plugin", "run", path(&aht), "--data", path(&data), "--group-by", "team"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    for line in [
        "output:\n{\n",
        "\nloaded: 3 agents, 6 interactions\nrange: 2026-03-02 to 2026-03-05\nqueries: ",
        "\nlimits: deadline 5000 ms, memory 64 MiB, rows read 5000000, result 16 MiB\n",
    ] {
        assert!(shown.contains(line), "{line:?} not in:\n{shown}");
    }
}

#[test]
fn plugin_test_reports_each_case_and_fails_with_the_first_differences() {
    let aht = component(METRIC_AHT);
    let passing = fixtures().join("aht");
    let out = cxhost(&["plugin", "test", path(&aht), "--fixtures", path(&passing)]);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}\n{}", text(&out.stderr));
    let verdicts: Vec<&str> = shown.lines().map(|l| l.split(" (").next().unwrap()).collect();
    assert_eq!(verdicts, ["PASS by-team", "PASS total", "2 cases: 2 passed, 0 failed"]);

    let failing = fixtures().join("failing");
    let out = cxhost(&["plugin", "test", path(&aht), "--fixtures", path(&failing)]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stdout);
    let lines: Vec<&str> = shown.lines().map(|l| l.split(" (").next().unwrap()).collect();
    // Expected 1680 seconds over 5 contacts, 336; the data has 1685 over 5, 337.
    assert_eq!(
        lines[..3],
        [
            "FAIL total",
            "  at rows[0].numerator: expected 1680.0, got 1685.0",
            "  at rows[0].value: expected 336.0, got 337.0"
        ]
    );
    assert_eq!(lines[3..5], ["FAIL unreviewed", "  no expected.json; the output was:"]);
    assert_eq!(lines.last(), Some(&"2 cases: 0 passed, 2 failed"));
    assert_eq!(text(&out.stderr).trim_end(), "Error: 2 of 2 fixture cases failed");
}

#[test]
fn a_bad_row_is_named_by_file_row_and_column() {
    let aht = component(METRIC_AHT);
    let data = fixtures().join("bad-row");
    let out = cxhost(&["plugin", "run", path(&aht), "--data", path(&data)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr).trim_end(),
        "Error: interactions.csv row 4, column `talk_seconds`: -400 is outside the allowed range 0 to 86400"
    );
}

#[test]
fn a_runaway_plugin_is_stopped_by_the_deadline_and_the_limits_are_shown() {
    let spin = component(SPIN_FOREVER);
    let data = fixtures().join("aht/data");
    let started = std::time::Instant::now();
    let out = cxhost(&["plugin", "run", path(&spin), "--data", path(&data), "--deadline-ms", "300"]);
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stdout);
    assert!(shown.starts_with("the call failed: the metric call of `spin_forever` failed: 504 plugin_timeout: plugin `spin_forever` 0.0.1 ran past its deadline of 300 ms and was stopped\n"), "{shown}");
    assert!(shown.contains("\nlimits: deadline 300 ms, memory 64 MiB, rows read 5000000, result 16 MiB\n"), "{shown}");
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
}

#[tokio::test]
async fn an_export_of_a_tenant_gives_the_same_figures_as_the_server() {
    let dir = tempfile::tempdir().unwrap().keep();
    let mut process = ServerProcess::start(&dir, &[]).await;
    let key = process.server.tenant("acme").await;
    for table in ["agents", "interactions"] {
        let bytes = std::fs::read(fixtures().join(format!("aht/data/{table}.csv"))).unwrap();
        let reply = process.server.ingest(&key, "acme", table, "", "text/csv", bytes).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let served = process.server.metric(&key, "acme", "aht", "from=2026-03-02&to=2026-03-05&group_by=team").await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.body);
    assert_eq!(served.body["rows"], hand_checked_by_team());
    // Stopped as an operator would (Ctrl-C), so that the database is closed cleanly.
    let pid = process.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    assert!(process.child.wait().unwrap().success());

    let out_dir = dir.join("export");
    let out = cxhost(&["tenant", "export", "--data-dir", path(&dir), "--tenant", "acme", "--out", path(&out_dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest: Value = serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest, serde_json::from_slice::<Value>(&out.stdout).unwrap());
    assert_eq!(manifest["tenant"], "acme");
    assert_eq!(manifest["schema_version"], cxhost::store::export::schema_version());
    let tables: Vec<(&str, u64)> = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["rows"].as_u64().unwrap()))
        .collect();
    let every: Vec<&str> = cxhost::store::schema::TABLES.iter().map(|t| t.name).collect();
    assert_eq!(tables.iter().map(|t| t.0).collect::<Vec<_>>(), every);
    assert_eq!(tables[..2], [("agents", 3), ("interactions", 6)]);
    assert!(tables[2..].iter().all(|t| t.1 == 0), "{tables:?}");
    for table in &every {
        assert!(out_dir.join(format!("{table}.parquet")).is_file(), "{table}");
    }

    let report = run_json(&out_dir, &["--group-by", "team", "--from", "2026-03-02", "--to", "2026-03-05"]);
    assert_eq!(report["output"]["rows"], served.body["rows"]);
    // Every table of the export is loaded, the empty ones too, in load order.
    assert_eq!(report["loaded"], json!(tables));

    let missing =
        cxhost(&["tenant", "export", "--data-dir", path(&dir), "--tenant", "nobody", "--out", path(&out_dir)]);
    assert_eq!(missing.status.code(), Some(1));
    let expected = format!(
        "Error: no tenant `nobody` in {} (there is no {}/tenants/nobody/data.duckdb)",
        dir.display(),
        dir.display()
    );
    assert_eq!(text(&missing.stderr).trim_end(), expected);
}
