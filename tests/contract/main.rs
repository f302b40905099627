//! The contract test: the server's answers against its own OpenAPI document.
//!
//! It starts the built `cxhost` binary on a temporary data directory, loads a demo-like tenant
//! over the API (generated sample data, a pay run and an award run per month, a topic
//! taxonomy), and runs schemathesis (PyPI; `scripts/test` installs it into
//! `$HOME/.cache/cxhost-venv`) against `/openapi.json` with every check that compares the server
//! with the document: statuses, content types, response bodies and headers, requests valid by
//! the document that are refused and invalid ones that are accepted, methods, authentication.
//! The fuzzer's seed is fixed and its examples bounded, so the run is repeatable and takes a
//! few minutes on two cores; `tests/contract/schemathesis.toml` and `tests/contract/hooks.py`
//! say what it is told beyond the document, and why. Any finding fails the test with
//! schemathesis's report.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const OPERATOR_KEY: &str = "cxk_contract_operator_key_000000000000000000";
const TENANT: &str = "contract";
/// The fuzzer's seed: a change of document or server is what changes a run, not chance.
const SEED: &str = "20261129";
/// Test cases per operation and phase (`CXHOST_CONTRACT_EXAMPLES` asks for more, to dig
/// deeper by hand).
const EXAMPLES: &str = "60";

/// The schemathesis executable: `$CXHOST_SCHEMATHESIS`, the virtualenv `scripts/test` makes,
/// or one on `PATH`.
fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("CXHOST_SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let venv = home.join(".cache/cxhost-venv/bin/schemathesis");
    if venv.is_file() {
        return venv;
    }
    let on_path = Command::new("schemathesis").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if on_path.is_ok_and(|s| s.success()) {
        return PathBuf::from("schemathesis");
    }
    panic!(
        "schemathesis is missing: the contract test runs it against the server. `scripts/test` installs it \
         (python3 -m venv $HOME/.cache/cxhost-venv && $HOME/.cache/cxhost-venv/bin/pip install schemathesis); \
         or set CXHOST_SCHEMATHESIS to its path"
    );
}

fn contract_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/contract")
}

/// A `cxhost` process; killed when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        let log = data_dir.join("server.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_cxhost"))
            .args(["serve", "--listen", "127.0.0.1:0", "--operator-key", OPERATOR_KEY])
            // A plugin call that runs long (a pay run over centuries) ends in a documented 504
            // soon rather than at the default five seconds.
            .args(["--plugin-deadline-ms", "2000"])
            .arg("--data-dir")
            .arg(data_dir.join("data"))
            .env("RUST_LOG", "cxhost=warn")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("the cxhost binary starts");
        // Owned by the guard from here, so the process is reaped however the start ends.
        let mut server = Server { child, base: String::new(), log };
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(&server.log).unwrap_or_default();
            if let Some(rest) = text.split("cxhost listening on ").nth(1) {
                server.base = rest.split_whitespace().next().unwrap().to_string();
                return server;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "the server did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn send(request: reqwest::RequestBuilder, key: &str) -> Value {
    let response = request.bearer_auth(key).send().await.expect("request sent");
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A tenant like the demo's: generated sample data over ten weeks, January and February's
/// pay statements and points, a topic taxonomy, coaching tasks of a `standard_coaching` run
/// and a weekly schedule of it, and a stored version of its own `aht` (not active). Returns
/// that version's hash, the id of one open coaching task and the id of one contact.
async fn load_tenant(base: &str, dir: &Path) -> (String, String, String) {
    let sample = dir.join("sample");
    let generated = Command::new(env!("CARGO_BIN_EXE_cxhost"))
        .args(["generate", "--agents", "24", "--days", "70", "--out"])
        .arg(&sample)
        .output()
        .expect("cxhost generate runs");
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));

    // A real contact for the contact route.
    let contacts = std::fs::read_to_string(sample.join("interactions.csv")).unwrap();
    let mut lines = contacts.lines();
    let column = lines.next().unwrap().split(',').position(|c| c == "interaction_id").unwrap();
    let contact = lines.next().unwrap().split(',').nth(column).unwrap().to_string();

    let client = reqwest::Client::new();
    let post = |path: &str| client.post(format!("{base}{path}"));
    send(post("/v1/tenants").json(&json!({"id": TENANT, "name": "Contract test"})), OPERATOR_KEY).await;
    for table in cxhost::store::schema::TABLES {
        let Ok(csv) = std::fs::read(sample.join(format!("{}.csv", table.name))) else { continue };
        // A few real rows of each table for the fuzzer's positive ingest cases (hooks.py).
        let head: Vec<&[u8]> = csv.split_inclusive(|b| *b == b'\n').take(6).collect();
        std::fs::create_dir_all(dir.join("samples")).unwrap();
        std::fs::write(dir.join("samples").join(format!("{}.csv", table.name)), head.concat()).unwrap();
        let path = format!("/v1/tenants/{TENANT}/ingest/{}", table.name);
        let report = send(post(&path).header("content-type", "text/csv").body(csv), OPERATOR_KEY).await;
        assert_eq!(report["rejected"], 0, "{}: {report}", table.name);
    }
    // A comment with a known id for the enrichment route.
    let comment = "feedback_id,customer_id,responded_at,comment\ncontract-comment,c1,2026-02-01T10:00:00Z,Great help\n";
    let path = format!("/v1/tenants/{TENANT}/ingest/customer_feedback");
    let report = send(post(&path).header("content-type", "text/csv").body(comment), OPERATOR_KEY).await;
    assert_eq!(report["enrichment"]["queued"], 1, "{report}");
    for (from, to) in [("2026-01-01", "2026-02-01"), ("2026-02-01", "2026-03-01")] {
        for (route, plugin) in [("pay", "standard_pay"), ("awards", "standard_game")] {
            let body = json!({"plugin": plugin, "from": from, "to": to});
            send(post(&format!("/v1/tenants/{TENANT}/{route}/runs")).json(&body), OPERATOR_KEY).await;
        }
    }
    let taxonomy = json!({"topics": {"billing": ["invoice", "charge"], "tools": ["crm", "laptop"]}});
    let put = client.put(format!("{base}/v1/tenants/{TENANT}/topics")).json(&taxonomy);
    send(put, OPERATOR_KEY).await;

    // Coaching tasks from a run of the standard rule, and a schedule of it, for the action and
    // schedule routes to act on.
    let run = json!({"plugin": "standard_coaching", "at": "2026-03-16T02:00:00Z", "params": {"percentile": 25}});
    let ran = send(post(&format!("/v1/tenants/{TENANT}/rules/runs")).json(&run), OPERATOR_KEY).await;
    let action = ran["opened"][0].as_str().unwrap_or_else(|| panic!("the rule run opened nothing: {ran}")).to_string();
    // And a pool of live tasks (of a rule no run resolves, due never) for the fuzzer's valid
    // steps, one fresh task per step (hooks.py): a step moves a task on for good.
    let rule = std::fs::read(Path::new(cxhost::guests::GUESTS_DIR).join("cxhost_test_scripted_rule_v1.wasm")).unwrap();
    let upload = post(&format!("/v1/tenants/{TENANT}/plugins")).header("content-type", "application/wasm").body(rule);
    send(upload, OPERATOR_KEY).await;
    let listed: Vec<String> =
        (1..=24).flat_map(|agent| (1..=25).map(move |n| format!("a{agent:04}:contract-{n}:contract-{n}:1"))).collect();
    let params = json!({"actions": listed.join(";"), "due_days": 0});
    let run = json!({"plugin": "scripted_rule", "at": "2026-03-16T02:00:00Z", "params": params});
    let pool = send(post(&format!("/v1/tenants/{TENANT}/rules/runs")).json(&run), OPERATOR_KEY).await;
    let pool: Vec<&str> = pool["opened"].as_array().unwrap().iter().map(|id| id.as_str().unwrap()).collect();
    assert_eq!(pool.len(), 600, "every listed task opened");
    std::fs::write(dir.join("actions.txt"), pool.join("\n")).unwrap();
    let schedule = json!({"every": "weekly", "weekday": "monday", "at": "02:00"});
    let put = client.put(format!("{base}/v1/tenants/{TENANT}/rules/standard_coaching/schedule")).json(&schedule);
    send(put, OPERATOR_KEY).await;

    let component = Path::new(cxhost::guests::GUESTS_DIR).join("custom_aht.wasm");
    let bytes = std::fs::read(&component).unwrap_or_else(|e| panic!("{}: {e}", component.display()));
    let upload = post(&format!("/v1/tenants/{TENANT}/plugins?activate=false"))
        .header("content-type", "application/wasm")
        .body(bytes);
    let stored = send(upload, OPERATOR_KEY).await;
    assert_eq!(stored["name"], "aht", "{stored}");
    (stored["hash"].as_str().unwrap().to_string(), action, contact)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_as_its_openapi_document_says() {
    let schemathesis = schemathesis();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (hash, action, contact) = load_tenant(&server.base, dir.path()).await;

    let examples = std::env::var("CXHOST_CONTRACT_EXAMPLES").unwrap_or_else(|_| EXAMPLES.to_string());
    let report = dir.path().join("schemathesis.txt");
    let output = std::fs::File::create(&report).unwrap();
    let status = Command::new(&schemathesis)
        .arg("--config-file")
        .arg(contract_dir().join("schemathesis.toml"))
        .arg("run")
        .arg(format!("{}/openapi.json", server.base))
        .args(["--header", &format!("Authorization: Bearer {OPERATOR_KEY}")])
        .args(["--seed", SEED, "--max-examples", &examples, "--workers", "1"])
        .args(["--generation-database", "none", "--no-color"])
        .env("CXHOST_CONTRACT_HOOKS", contract_dir().join("hooks.py"))
        .env("CXHOST_CONTRACT_TENANT", TENANT)
        .env("CXHOST_CONTRACT_HASH", hash)
        .env("CXHOST_CONTRACT_ACTION", action)
        .env("CXHOST_CONTRACT_CONTACT", contact)
        .env("CXHOST_CONTRACT_ACTIONS", dir.path().join("actions.txt"))
        .env("CXHOST_CONTRACT_SAMPLES", dir.path().join("samples"))
        .env("CXHOST_CONTRACT_COMPONENT", Path::new(cxhost::guests::GUESTS_DIR).join("custom_aht.wasm"))
        .current_dir(dir.path())
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .status()
        .expect("schemathesis runs");
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let server_log = std::fs::read_to_string(&server.log).unwrap_or_default();
    assert!(
        status.success(),
        "schemathesis found differences between the server and its OpenAPI document ({status}):\n{text}\n\
         server log:\n{server_log}"
    );
    println!("{text}");
}
