//! Builds the guest plugins in `plugins/` (and the example tenant plugins in `examples/`)
//! for `wasm32-wasip2`, so the standard plugins ship inside the `cxhost` binary and the
//! test plugins are at hand for the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out: share <target>/guests across builds.
    let target_dir = out_dir.ancestors().nth(4).unwrap_or(&out_dir).join("guests");

    // Every source file, named one by one: a directory named here is not reliably rescanned.
    for path in [
        "plugins",
        "wit",
        "examples/custom-aht/src",
        "examples/custom-aht/Cargo.toml",
        "examples/fcr-custom/src",
        "examples/fcr-custom/Cargo.toml",
    ] {
        watch(&root.join(path));
    }

    // For work on the server alone: take the guests as they were last built.
    println!("cargo:rerun-if-env-changed=CXHOST_SKIP_GUEST_BUILD");
    if std::env::var_os("CXHOST_SKIP_GUEST_BUILD").is_none() {
        ensure_wasm_target();
        build_guests(&root.join("plugins/Cargo.toml"), &target_dir);
        build_guests(&root.join("examples/custom-aht/Cargo.toml"), &target_dir);
        build_guests(&root.join("examples/fcr-custom/Cargo.toml"), &target_dir);
    }

    let wasm_dir = target_dir.join("wasm32-wasip2/release");
    let guests_dir = out_dir.join("guests");
    std::fs::create_dir_all(&guests_dir).unwrap();
    let mut standard = Vec::new();
    let mut components = Vec::new();
    for entry in std::fs::read_dir(&wasm_dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()).map(str::to_string) else { continue };
        let Some(stem) = file.strip_suffix(".wasm") else { continue };
        components.push(stem.to_string());
        std::fs::copy(&path, guests_dir.join(&file)).unwrap();
        let standard_name = [
            "cxhost_metric_",
            "cxhost_dashboard_",
            "cxhost_pay_",
            "cxhost_game_",
            "cxhost_rule_",
            "cxhost_enricher_",
            "cxhost_router_",
        ]
        .iter()
        .find_map(|prefix| file.strip_prefix(prefix));
        if let Some(name) = standard_name.and_then(|f| f.strip_suffix(".wasm")) {
            standard.push((name.to_string(), guests_dir.join(&file)));
        }
    }
    standard.sort();
    let mut code = String::from(
        "/// Standard plugins built from `plugins/metrics/`, `plugins/dashboards/`, `plugins/pay/`, `plugins/game/` and `plugins/rules/`: (name, component bytes).\n",
    );
    code.push_str("pub static STANDARD_PLUGINS: &[(&str, &[u8])] = &[\n");
    for (name, path) in &standard {
        code.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", path.display().to_string()));
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("standard_plugins.rs"), code).unwrap();
    std::fs::write(out_dir.join("test_guests.rs"), guest_constants(components)).unwrap();
    println!("cargo:rustc-env=CXHOST_GUESTS_DIR={}", guests_dir.display());
}

/// One constant per built component, named by the rule documented in `src/guests.rs`: the
/// file stem without a leading `cxhost_test_` or `cxhost_`, in upper case.
fn guest_constants(mut stems: Vec<String>) -> String {
    stems.sort();
    let mut code = String::new();
    let mut names = std::collections::BTreeMap::new();
    for stem in &stems {
        let bare = stem.strip_prefix("cxhost_test_").or_else(|| stem.strip_prefix("cxhost_")).unwrap_or(stem);
        let name = bare.to_ascii_uppercase();
        let valid = name.starts_with(|c: char| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        assert!(valid, "guest component `{stem}` gives no constant name (`{name}`)");
        if let Some(other) = names.insert(name.clone(), stem) {
            panic!("guest components `{other}` and `{stem}` would both be named `{name}`");
        }
        code.push_str(&format!("/// `{stem}.wasm` in [`GUESTS_DIR`](super::GUESTS_DIR).\n"));
        code.push_str(&format!("pub const {name}: &str = {stem:?};\n"));
    }
    code
}

fn build_guests(manifest: &Path, target_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--locked", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_PROFILE_RELEASE_DEBUG")
        .status()
        .expect("run cargo to build the guest plugins");
    assert!(
        status.success(),
        "building the guest plugins ({}) failed; is the wasm32-wasip2 target installed? (rustup target add wasm32-wasip2)",
        manifest.display()
    );
}

/// rustup on some machines does not add the targets named in rust-toolchain.toml by itself;
/// add the guest target when its standard library is missing.
fn ensure_wasm_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(rustc).args(["--print", "sysroot"]).output().ok();
    let present = sysroot
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("lib/rustlib/wasm32-wasip2").exists())
        .unwrap_or(false);
    if !present {
        let _ = Command::new("rustup").args(["target", "add", "wasm32-wasip2"]).status();
    }
}

/// Asks Cargo to rerun this script when `path` or any file under it (outside build output
/// directories) changes, or when a file is added or removed there.
fn watch(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
    let Ok(entries) = std::fs::read_dir(path) else { return };
    for entry in entries.flatten() {
        let child = entry.path();
        if child.file_name().is_some_and(|name| name == "target") {
            continue;
        }
        watch(&child);
    }
}
