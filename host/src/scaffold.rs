//! `cxhost plugin new`: writes a ready-to-build plugin project of one kind in one language —
//! the WIT contract, sources, fixtures and a README of three commands — from the templates
//! under `host/templates/`, which are compiled into the binary.

use std::path::{Path, PathBuf};

/// The kinds of plugin a project can be made for, one per world of `wit/cxhost.wit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Metric,
    Dashboard,
    PayModel,
    GameMechanic,
    Rule,
    Enricher,
    Router,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Kind::Metric, Kind::Dashboard, Kind::PayModel, Kind::GameMechanic, Kind::Rule, Kind::Enricher, Kind::Router];

    /// The name used on the command line, in the templates' folders and in the WIT (`pay-model`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Metric => "metric",
            Kind::Dashboard => "dashboard",
            Kind::PayModel => "pay-model",
            Kind::GameMechanic => "game-mechanic",
            Kind::Rule => "rule",
            Kind::Enricher => "enricher",
            Kind::Router => "router",
        }
    }

    /// What the scaffolded plugin does, in one sentence (its README says it).
    fn summary(self) -> &'static str {
        match self {
            Kind::Metric => "It counts handled contacts per group, in SQL through `host.query`.",
            Kind::Dashboard => {
                "It renders one KPI panel: the handled contacts of the range, counted through `host.query`."
            }
            Kind::PayModel => "It pays each agent `rate_cents` (default 50) per handled contact of the period.",
            Kind::GameMechanic => {
                "It awards each agent `points_per_contact` (default 1) points per handled contact of the period."
            }
            Kind::Rule => {
                "It opens a coaching task for every agent with fewer than `min_contacts` (default 3) handled \
                 contacts in the seven days before the judged day."
            }
            Kind::Enricher => "It gives each text the taxonomy topics whose keywords it contains.",
            Kind::Router => "It sends every contact to the crowd pool, with the contact's queue as the skill.",
        }
    }
}

/// The languages a project can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "`{0}` is not a valid plugin name: use 1–40 lowercase letters, digits or `_`, starting with a letter (e.g. `handled_contacts`)"
    )]
    BadName(String),
    #[error("`{0}` is reserved in Rust, Python or JavaScript: choose another plugin name")]
    ReservedName(String),
    #[error("{} already exists: `plugin new` never writes into an existing directory; choose another name or --dir", .0.display())]
    Exists(PathBuf),
    #[error("writing {}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// The contract every project carries in `wit/cxhost.wit`.
pub const WIT: &str = include_str!("../../wit/cxhost.wit");

macro_rules! templates {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $path)))),*]
    };
}

/// Every template file, by its path under `host/templates/`: `<lang>/common/…` goes into every
/// project of the language, `<lang>/<kind>/…` into the kind's; `fixtures/data/…` (the tables)
/// into every project's `fixtures/data/`, `fixtures/<kind>/<case>/…` into its `fixtures/`
/// (the languages' plugins of a kind behave alike, so they share their cases).
static TEMPLATES: &[(&str, &str)] = templates![
    "rust/common/Cargo.toml",
    "rust/common/Cargo.lock",
    "rust/common/rust-toolchain.toml",
    "rust/common/.gitignore",
    "rust/common/README.md",
    "rust/common/src/common.rs",
    "rust/metric/src/lib.rs",
    "rust/dashboard/src/lib.rs",
    "rust/pay-model/src/lib.rs",
    "rust/game-mechanic/src/lib.rs",
    "rust/rule/src/lib.rs",
    "rust/enricher/src/lib.rs",
    "rust/router/src/lib.rs",
    "python/common/.gitignore",
    "python/common/README.md",
    "python/metric/app.py",
    "python/dashboard/app.py",
    "python/pay-model/app.py",
    "python/game-mechanic/app.py",
    "python/rule/app.py",
    "python/enricher/app.py",
    "python/router/app.py",
    "js/common/.gitignore",
    "js/common/README.md",
    "js/common/package.json",
    "js/metric/plugin.js",
    "js/dashboard/plugin.js",
    "js/pay-model/plugin.js",
    "js/game-mechanic/plugin.js",
    "js/rule/plugin.js",
    "js/enricher/plugin.js",
    "js/router/plugin.js",
    "fixtures/data/agents.csv",
    "fixtures/data/interactions.csv",
    "fixtures/data/customer_feedback.csv",
    "fixtures/metric/total/request.json",
    "fixtures/metric/total/expected.json",
    "fixtures/metric/by-agent/request.json",
    "fixtures/metric/by-agent/expected.json",
    "fixtures/dashboard/march/request.json",
    "fixtures/dashboard/march/expected.json",
    "fixtures/pay-model/march/request.json",
    "fixtures/pay-model/march/expected.json",
    "fixtures/game-mechanic/march/request.json",
    "fixtures/game-mechanic/march/expected.json",
    "fixtures/rule/week/request.json",
    "fixtures/rule/week/expected.json",
    "fixtures/enricher/topics/request.json",
    "fixtures/enricher/topics/expected.json",
    "fixtures/router/voice/request.json",
    "fixtures/router/voice/expected.json",
];

/// The lock file of the JavaScript toolchain (scripts/polyglot-toolchains installs the same):
/// a JavaScript project's `package-lock.json`, so that `npm ci` installs exactly these versions.
const JS_LOCK: &str = include_str!("../../plugins/polyglot/toolchain/package-lock.json");

/// Whether a template exists for this kind in this language.
pub fn supported(kind: Kind, lang: Lang) -> bool {
    let prefix = format!("{}/{}/", lang.name(), kind.name());
    TEMPLATES.iter().any(|(path, _)| path.starts_with(&prefix))
}

/// The project's files for `name`, relative to its directory, with their contents.
pub fn project_files(kind: Kind, lang: Lang, name: &str) -> Result<Vec<(PathBuf, String)>, ScaffoldError> {
    check_name(name)?;
    // (template prefix, where its files go in the project)
    let prefixes = [
        (format!("{}/common/", lang.name()), ""),
        (format!("{}/{}/", lang.name(), kind.name()), ""),
        ("fixtures/data/".to_string(), "fixtures/data/"),
        (format!("fixtures/{}/", kind.name()), "fixtures/"),
    ];
    let mut files = vec![(PathBuf::from("wit/cxhost.wit"), WIT.to_string())];
    if lang == Lang::Js {
        let lock = JS_LOCK.replace("\"name\": \"cxhost-polyglot-toolchain\"", &format!("\"name\": \"{name}\""));
        files.push((PathBuf::from("package-lock.json"), lock));
    }
    for (path, text) in TEMPLATES {
        let Some(relative) = prefixes
            .iter()
            .find_map(|(prefix, to)| path.strip_prefix(prefix.as_str()).map(|rest| format!("{to}{rest}")))
        else {
            continue;
        };
        let text = text
            .replace("{{name}}", name)
            .replace("{{crate}}", name)
            .replace("{{kind}}", kind.name())
            .replace("{{summary}}", kind.summary());
        files.push((PathBuf::from(relative), text));
    }
    Ok(files)
}

/// Writes a new project into `dir`, which must not exist yet; returns the files written.
pub fn new_project(kind: Kind, lang: Lang, name: &str, dir: &Path) -> Result<Vec<PathBuf>, ScaffoldError> {
    let files = project_files(kind, lang, name)?;
    if dir.exists() {
        return Err(ScaffoldError::Exists(dir.to_path_buf()));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ScaffoldError::Io { path, source }
    };
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    // create_dir fails on an existing directory, so a project appearing meanwhile is not touched.
    std::fs::create_dir(dir).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => ScaffoldError::Exists(dir.to_path_buf()),
        _ => ScaffoldError::Io { path: dir.to_path_buf(), source },
    })?;
    let mut written = Vec::new();
    for (relative, text) in files {
        let path = dir.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, text).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// Words a plugin name may not be, since it becomes a Rust crate, a Python module or a JS file.
const RESERVED: &[&str] = &[
    "as", "async", "await", "break", "class", "const", "continue", "core", "crate", "def", "default", "del", "do",
    "else", "enum", "export", "extern", "false", "fn", "for", "function", "if", "impl", "import", "in", "let", "loop",
    "match", "mod", "move", "mut", "new", "none", "null", "pub", "ref", "return", "self", "static", "std", "struct",
    "super", "test", "trait", "true", "type", "unsafe", "use", "var", "where", "while", "yield",
];

fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let valid = (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(ScaffoldError::BadName(name.to_string()));
    }
    if RESERVED.contains(&name) {
        return Err(ScaffoldError::ReservedName(name.to_string()));
    }
    Ok(())
}
