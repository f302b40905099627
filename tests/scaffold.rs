//! `cxhost plugin new`: a project of every kind scaffolded in Rust builds outside this
//! repository (wit-bindgen from crates.io, the embedded WIT) and passes its own fixtures with
//! `cxhost plugin test`; so do projects of every kind in Python and JavaScript, built with the
//! pinned toolchains; the same source builds to the same bytes in two directories; the examples
//! pass their fixtures; bad names and existing directories are refused. Projects and their
//! builds live under `<cargo target dir>/scaffolds`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const KINDS: [&str; 7] = ["metric", "dashboard", "pay-model", "game-mechanic", "rule", "enricher", "router"];

/// `<cargo target dir>/scaffolds/<name>`, emptied.
fn fresh(name: &str) -> PathBuf {
    // The binary is <target>/release/cxhost.
    let target = Path::new(env!("CARGO_BIN_EXE_cxhost")).parent().and_then(Path::parent).expect("a target dir");
    let dir = target.join("scaffolds").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cxhost(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cxhost"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the cxhost binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `command`, failing with its output when it fails; its stdout.
fn run(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {command:?} did not start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// `cxhost plugin new` in `parent`; the project's directory.
fn scaffold(parent: &Path, kind: &str, lang: &str, name: &str) -> PathBuf {
    run(
        Command::new(env!("CARGO_BIN_EXE_cxhost"))
            .args(["plugin", "new", "--kind", kind, "--lang", lang, name])
            .current_dir(parent)
            .env("RUST_BACKTRACE", "0"),
        "cxhost plugin new",
    );
    parent.join(name)
}

/// The README's build command for Rust, into `target_dir`: Cargo as a plugin author runs it,
/// without what the test run's Cargo passes down.
fn cargo_build(project: &Path, target_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(
        Command::new(cargo)
            .args(["build", "--release", "--locked", "--target", "wasm32-wasip2", "--target-dir"])
            .arg(target_dir)
            .current_dir(project)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("CARGO_PROFILE_RELEASE_DEBUG"),
        "cargo build of a scaffold",
    );
}

/// `cxhost plugin test` in the project: every case must pass; the report.
fn plugin_test(project: &Path, wasm: &Path, cases: usize) -> String {
    let output = cxhost(&["plugin", "test", wasm.to_str().unwrap()], project);
    let report = text(&output.stdout);
    assert!(
        output.status.success(),
        "plugin test of {} failed:\n{report}\n{}",
        project.display(),
        text(&output.stderr)
    );
    assert!(report.ends_with(&format!("{cases} cases: {cases} passed, 0 failed\n")), "{report}");
    report
}

fn cases(project: &Path) -> usize {
    std::fs::read_dir(project.join("fixtures")).unwrap().filter(|e| e.as_ref().unwrap().file_name() != "data").count()
}

#[test]
fn rust_projects_of_every_kind_build_outside_the_repository_and_pass_their_fixtures() {
    let projects = fresh("rust");
    let target = projects.join("target");
    for kind in KINDS {
        let name = format!("my_{}", kind.replace('-', "_"));
        let project = scaffold(&projects, kind, "rust", &name);
        let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
        let wasm = format!("target/wasm32-wasip2/release/{name}.wasm");
        for command in [
            "cargo build --release --locked --target wasm32-wasip2".to_string(),
            format!("cxhost plugin test {wasm}"),
            format!("cxhost plugin upload {wasm}"),
        ] {
            assert!(readme.contains(&format!("\n{command}\n")), "{kind}: the README lacks `{command}`:\n{readme}");
        }
        // Nothing of this repository but what the project carries: the crates.io dependency.
        let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
        assert!(!manifest.contains("path ="), "{manifest}");
        assert_eq!(std::fs::read_to_string(project.join("wit/cxhost.wit")).unwrap(), cxhost::scaffold::WIT);

        cargo_build(&project, &target);
        let report = plugin_test(&project, &target.join(format!("wasm32-wasip2/release/{name}.wasm")), cases(&project));
        assert!(report.starts_with("PASS "), "{kind}: {report}");
    }
}

#[test]
fn the_scaffolded_metric_builds_to_the_same_bytes_in_two_directories() {
    let (a, b) = (fresh("repro-a"), fresh("repro-b"));
    let nested = b.join("somewhere/else");
    std::fs::create_dir_all(&nested).unwrap();
    let mut digests = Vec::new();
    for (parent, target) in [(&a, a.join("target")), (&nested, b.join("other-target"))] {
        let project = scaffold(parent, "metric", "rust", "handled");
        cargo_build(&project, &target);
        let bytes = std::fs::read(target.join("wasm32-wasip2/release/handled.wasm")).unwrap();
        for path in [&a, &b] {
            let path = path.to_str().unwrap().as_bytes();
            assert!(!bytes.windows(path.len()).any(|w| w == path), "the component holds a build path");
        }
        digests.push(hex::encode(Sha256::digest(&bytes)));
    }
    assert_eq!(digests[0], digests[1], "two builds of the same source differ");
}

/// A toolchain's executable: `$var` when set, else where `scripts/polyglot-toolchains` puts it.
fn toolchain(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var_os("HOME").expect("HOME is set")).join(".cache/cxhost-polyglot").join(default)
    });
    assert!(path.is_file(), "{} ({var}) is missing: run `eval \"$(scripts/polyglot-toolchains)\"`", path.display());
    path
}

#[test]
fn python_and_javascript_projects_of_every_kind_build_with_the_pinned_toolchains_and_pass_their_fixtures() {
    let projects = fresh("polyglot");
    let componentize_py = toolchain("CXHOST_COMPONENTIZE_PY", "venv/bin/componentize-py");
    let jco = toolchain("CXHOST_JCO", "node/node_modules/.bin/jco");
    for kind in KINDS {
        let name = format!("py_{}", kind.replace('-', "_"));
        let project = scaffold(&projects, kind, "python", &name);
        // The README's build command, with the componentize-py scripts/polyglot-toolchains installs.
        let build = format!("componentize-py -d wit -w {kind} componentize app -o {name}.wasm");
        let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
        assert!(readme.contains(&format!("\n{build}\n")), "{kind}: {readme}");
        run(
            Command::new(&componentize_py)
                .args(build.split(' ').skip(1))
                .current_dir(&project)
                .env("PYTHONDONTWRITEBYTECODE", "1"),
            "componentize-py",
        );
        plugin_test(&project, &project.join(format!("{name}.wasm")), cases(&project));

        let name = format!("js_{}", kind.replace('-', "_"));
        let project = scaffold(&projects, kind, "js", &name);
        // `npm run build` runs this; jco comes from the same lock file, installed once.
        let package: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(project.join("package.json")).unwrap()).unwrap();
        let build = format!("jco componentize plugin.js --wit wit --world-name {kind} -o {name}.wasm");
        assert_eq!(package["scripts"]["build"], build.as_str());
        let lock = std::fs::read_to_string(project.join("package-lock.json")).unwrap();
        assert!(lock.contains("\"@bytecodealliance/jco\": \"1.35.0\""), "the lock pins jco");
        run(Command::new(&jco).args(build.split(' ').skip(1)).current_dir(&project), "jco componentize");
        plugin_test(&project, &project.join(format!("{name}.wasm")), cases(&project));
    }
}

#[test]
fn bad_names_reserved_words_and_existing_directories_are_refused() {
    let dir = fresh("refused");
    let refused = |args: &[&str]| {
        let output = cxhost(args, &dir);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
        text(&output.stderr)
    };
    assert_eq!(
        refused(&["plugin", "new", "--kind", "metric", "--lang", "rust", "Bad Name"]),
        "Error: `Bad Name` is not a valid plugin name: use 1–40 lowercase letters, digits or `_`, starting with a letter (e.g. `handled_contacts`)\n"
    );
    assert_eq!(
        refused(&["plugin", "new", "--kind", "metric", "--lang", "rust", "test"]),
        "Error: `test` is reserved in Rust, Python or JavaScript: choose another plugin name\n"
    );
    assert!(!dir.join("Bad Name").exists() && !dir.join("test").exists());

    // An existing directory, even an empty one, is never written into.
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("Cargo.toml"), "# my own\n").unwrap();
    let stderr = refused(&["plugin", "new", "--kind", "metric", "--lang", "rust", "mine"]);
    assert_eq!(
        stderr,
        "Error: mine already exists: `plugin new` never writes into an existing directory; choose another name or --dir\n"
    );
    assert_eq!(std::fs::read_to_string(mine.join("Cargo.toml")).unwrap(), "# my own\n");
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);

    // --dir puts it elsewhere; the files are those of the kind and language.
    let output = cxhost(&["plugin", "new", "--kind", "router", "--lang", "rust", "--dir", "elsewhere/r", "mine"], &dir);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "wrote a router plugin `mine` in rust to elsewhere/r (13 files); its README.md says how to build, test and upload it\n"
    );
    let lib = std::fs::read_to_string(dir.join("elsewhere/r/src/lib.rs")).unwrap();
    assert!(lib.contains("world: \"router\"") && lib.contains("name: \"mine\".to_string()"), "{lib}");
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_examples_pass_their_fixtures() {
    let examples = repo().join("examples");
    // The Rust example is built by build.rs with the guest plugins.
    let fcr = Path::new(cxhost::guests::GUESTS_DIR).join(format!("{}.wasm", cxhost::guests::test_guests::FCR_CUSTOM));
    plugin_test(&examples.join("fcr-custom"), &fcr, 3);

    // The Python and JavaScript ones with their READMEs' commands, output to the test's directory.
    let out = fresh("examples");
    let surge = out.join("surge_pay.wasm");
    run(
        Command::new(toolchain("CXHOST_COMPONENTIZE_PY", "venv/bin/componentize-py"))
            .args(["-d", "../../wit", "-w", "pay-model", "componentize", "app", "-o"])
            .arg(&surge)
            .current_dir(examples.join("surge-pay"))
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        "componentize-py",
    );
    plugin_test(&examples.join("surge-pay"), &surge, 2);

    let streak = out.join("cert_streak.wasm");
    run(
        Command::new(toolchain("CXHOST_JCO", "node/node_modules/.bin/jco"))
            .args(["componentize", "cert_streak.js", "--wit", "../../wit", "--world-name", "game-mechanic", "-o"])
            .arg(&streak)
            .current_dir(examples.join("cert-streak")),
        "jco componentize",
    );
    plugin_test(&examples.join("cert-streak"), &streak, 2);
}
