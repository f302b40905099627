//! Plugins in Python and JavaScript: the AHT metric of `plugins/polyglot/` built here with
//! componentize-py and jco / componentize-js at their default settings (so with every WASI
//! import a language runtime makes), uploaded over HTTP and giving exactly the figures of the
//! Rust `aht` on the hand-checked fixture. The toolchains come from
//! `scripts/polyglot-toolchains`; a missing one fails the test, naming that script.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use reqwest::StatusCode;
use serde_json::Value;

use crate::util::{app, fixture_dir};

const RANGE: &str = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z";

/// Every grouping a metric takes.
const GROUPINGS: [&str; 9] = ["total", "agent", "team", "site", "queue", "channel", "day", "week", "month"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A toolchain's executable: `$var` when set, else where `scripts/polyglot-toolchains` puts it.
fn toolchain(var: &str, default: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").expect("HOME is set");
        Path::new(&home).join(".cache/cxhost-polyglot").join(default)
    });
    assert!(
        path.is_file(),
        "{what} not found at {} ({var}): install it with `eval \"$(scripts/polyglot-toolchains)\"`",
        path.display()
    );
    path
}

/// Runs a build command, failing with its output when it fails.
fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {command:?} did not start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The two components, built once per test run under the cargo target directory.
struct Built {
    python: PathBuf,
    javascript: PathBuf,
    jco: PathBuf,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("polyglot");
        std::fs::create_dir_all(&out).unwrap();
        let (repo, wit) = (repo(), repo().join("wit"));
        let componentize_py = toolchain("CXHOST_COMPONENTIZE_PY", "venv/bin/componentize-py", "componentize-py");
        let jco = toolchain("CXHOST_JCO", "node/node_modules/.bin/jco", "jco");
        let python = out.join("py_aht.wasm");
        run(
            Command::new(&componentize_py)
                .arg("-d")
                .arg(&wit)
                .args(["-w", "metric", "componentize", "-p"])
                .arg(repo.join("plugins/polyglot/python-aht"))
                .arg("app")
                .arg("-o")
                .arg(&python)
                .env("PYTHONDONTWRITEBYTECODE", "1"),
            "componentize-py",
        );
        let javascript = out.join("js_aht.wasm");
        run(
            Command::new(&jco)
                .arg("componentize")
                .arg(repo.join("plugins/polyglot/js-aht/aht.js"))
                .arg("--wit")
                .arg(&wit)
                .args(["--world-name", "metric", "-o"])
                .arg(&javascript),
            "jco componentize",
        );
        Built { python, javascript, jco }
    })
}

/// The interfaces a component imports, as `jco wit` (wit-component) prints them.
fn imports(jco: &Path, component: &Path) -> Vec<String> {
    let output = Command::new(jco).arg("wit").arg(component).output().unwrap();
    assert!(output.status.success(), "jco wit: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("import ")?.strip_suffix(';').map(str::to_string))
        .collect()
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture_dir().join("expected.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn python_and_javascript_aht_built_with_default_settings_give_the_rust_figures() {
    let built = built();
    let s = app();
    let key = s.tenant("polyglot").await;
    s.load_fixture(&key, "polyglot").await;

    for (path, name, wasi) in [
        (&built.python, "py_aht", "wasi:cli/environment@0.2.9"),
        (&built.javascript, "js_aht", "wasi:clocks/monotonic-clock@0.2.12"),
    ] {
        // Their default build imports WASI: the toolchains' runtimes reach for it at start-up.
        let imports = imports(&built.jco, path);
        assert!(imports.iter().any(|i| i == wasi), "{name} does not import {wasi}: {imports:?}");
        assert!(imports.iter().any(|i| i == "cxhost:plugin/host@0.1.0"), "{name}: {imports:?}");

        let uploaded = s.upload(&key, "polyglot", std::fs::read(path).unwrap()).await;
        assert_eq!(uploaded.status, StatusCode::CREATED, "{name}: {}", uploaded.body);
        assert_eq!(uploaded.body["name"], name);
        assert_eq!(uploaded.body["version"], "1.0.0");
        assert_eq!(uploaded.body["kind"], "metric");
    }

    let expected = expected();
    for group_by in GROUPINGS {
        let query = format!("{RANGE}&group_by={group_by}");
        let rust = s.metric(&key, "polyglot", "aht", &query).await;
        assert_eq!(rust.status, StatusCode::OK, "aht by {group_by}: {}", rust.body);
        assert!(!rust.body["rows"].as_array().unwrap().is_empty(), "aht by {group_by}: no rows");
        if let Some(hand_checked) = expected["aht"].get(group_by) {
            assert_eq!(&rust.body["rows"], hand_checked, "aht by {group_by} is not the hand-checked figure");
        }
        for name in ["py_aht", "js_aht"] {
            let reply = s.metric(&key, "polyglot", name, &query).await;
            assert_eq!(reply.status, StatusCode::OK, "{name} by {group_by}: {}", reply.body);
            assert_eq!(reply.body["plugin"]["source"], "tenant");
            assert_eq!(reply.body["unit"], rust.body["unit"], "{name} by {group_by}");
            assert_eq!(reply.body["rows"], rust.body["rows"], "{name} by {group_by} differs from the Rust aht");
        }
    }
}
