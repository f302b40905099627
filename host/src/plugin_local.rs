//! `cxhost plugin run` and `cxhost plugin test`: a component run locally on the server's own
//! services (cxhost::local), its output, queries and costs printed, or its fixture cases
//! checked.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use cxhost::config::{Compiler, PluginLimits};
use cxhost::local::fixtures::{self, SHOWN_DIFFERENCES};
use cxhost::local::{Request, RunReport};
use serde_json::Value;

/// The limits of a local call: the server's defaults unless changed.
#[derive(Args)]
pub struct LimitArgs {
    /// Call deadline in milliseconds.
    #[arg(long, default_value_t = PluginLimits::default().deadline_ms)]
    deadline_ms: u64,
    /// Memory cap of the plugin instance in MiB.
    #[arg(long, default_value_t = PluginLimits::default().memory_bytes >> 20)]
    memory_mib: u64,
    /// Cap on the rows a call may read.
    #[arg(long, default_value_t = PluginLimits::default().max_rows_read)]
    max_rows: u64,
}

impl LimitArgs {
    fn config(&self) -> anyhow::Result<cxhost::Config> {
        let limits = PluginLimits {
            deadline_ms: self.deadline_ms,
            memory_bytes: self.memory_mib << 20,
            max_rows_read: self.max_rows,
            ..PluginLimits::default()
        };
        if let Some((_, problem)) = limits.invalid() {
            bail!("{problem}");
        }
        let mut config = cxhost::local::local_config(limits)?;
        config.compiler = Compiler::subprocess_of_current_exe();
        Ok(config)
    }
}

#[derive(Args)]
pub struct RunArgs {
    /// The component (`.wasm`).
    file: PathBuf,
    /// A data file named after its table (`interactions.csv`, `agents.parquet`), or a directory
    /// of them (a fixture's `data/`, or a `cxhost tenant export` directory).
    #[arg(long)]
    data: PathBuf,
    /// What to ask, as a fixture's request.json; the options below override its fields.
    #[arg(long)]
    request: Option<PathBuf>,
    /// A plugin parameter, `name=value` (a number, true/false, or text); repeat for more.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Start (inclusive), default the data's first day.
    #[arg(long)]
    from: Option<String>,
    /// End (exclusive), default the day after the data's last.
    #[arg(long)]
    to: Option<String>,
    /// Metrics: the grouping (agent, team, site, queue, channel, day, week, month, total).
    #[arg(long)]
    group_by: Option<String>,
    /// Pay models and game mechanics: a month, YYYY-MM.
    #[arg(long)]
    period: Option<String>,
    /// Print the whole report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Args)]
pub struct TestArgs {
    /// The component (`.wasm`).
    file: PathBuf,
    /// The directory of fixture cases.
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    #[command(flatten)]
    limits: LimitArgs,
}

fn read_request(path: &std::path::Path) -> anyhow::Result<Request> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a valid request", path.display()))
}

/// `--param name=value`: JSON when it reads as a number or a boolean, else text.
fn param(text: &str) -> anyhow::Result<(String, Value)> {
    let (name, value) = text.split_once('=').with_context(|| format!("--param `{text}` must be NAME=VALUE"))?;
    let value = match serde_json::from_str::<Value>(value) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
        _ => Value::String(value.to_string()),
    };
    Ok((name.to_string(), value))
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut request = match &args.request {
        Some(path) => read_request(path)?,
        None => Request::default(),
    };
    for text in &args.params {
        let (name, value) = param(text)?;
        request.params.insert(name, value);
    }
    let overrides = [
        (&mut request.from, &args.from),
        (&mut request.to, &args.to),
        (&mut request.group_by, &args.group_by),
        (&mut request.period, &args.period),
    ];
    for (field, given) in overrides {
        if given.is_some() {
            field.clone_from(given);
        }
    }
    let config = args.limits.config()?;
    let report = cxhost::local::run(&args.file, &args.data, &request, config).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", summary(&report));
    }
    if let Err(e) = &report.output {
        bail!("{e}");
    }
    Ok(())
}

/// The report as a person reads it: the output, then what the call cost.
fn summary(report: &RunReport) -> String {
    let mut text = String::new();
    match &report.output {
        Ok(output) => {
            text.push_str("output:\n");
            text.push_str(&serde_json::to_string_pretty(output).unwrap_or_default());
            text.push('\n');
        }
        Err(e) => text.push_str(&format!("the call failed: {e}\n")),
    }
    let loaded: Vec<String> = report.loaded.iter().map(|(table, rows)| format!("{rows} {table}")).collect();
    text.push_str(&format!(
        "\nplugin: {} {} ({}), sha256 {}\nloaded: {}\nrange: {} to {}\n",
        report.plugin,
        report.version,
        report.kind,
        report.hash,
        loaded.join(", "),
        report.from,
        report.to
    ));
    text.push_str(&format!("queries: {}\n", report.queries.len()));
    for (i, query) in report.queries.iter().enumerate() {
        let sql = query.sql.split_whitespace().collect::<Vec<_>>().join(" ");
        text.push_str(&format!("  {}. {:.1} ms, {} rows: {sql}\n", i + 1, query.elapsed_ms, query.rows));
    }
    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    let limits = &report.limits;
    text.push_str(&format!(
        "rows read: {}\nmemory peak: {:.1} MiB\ntime: {:.1} ms\nlimits: deadline {} ms, memory {:.0} MiB, rows read {}, result {:.0} MiB\n",
        report.rows_read,
        mib(report.memory_peak_bytes),
        report.elapsed_ms,
        limits.deadline_ms,
        mib(limits.memory_bytes),
        limits.max_rows_read,
        mib(limits.max_result_bytes),
    ));
    text
}

pub async fn test(args: TestArgs) -> anyhow::Result<()> {
    let cases = fixtures::cases(&args.fixtures)?;
    let (mut passed, total) = (0, cases.len());
    // One compiled cache for every case of this command (compiling once), removed after.
    let compiled = args.limits.config()?;
    let compiled_dir = compiled.compiled_dir.clone();
    for case in cases {
        let mut config = args.limits.config()?;
        config.compiled_dir.clone_from(&compiled_dir);
        let report = cxhost::local::run(&args.file, &case.data, &case.request, config).await;
        let tolerance = case.request.tolerance.unwrap_or_default();
        let verdict = match (&report, &case.expected) {
            (Err(e), _) => Err(format!("  {e}\n")),
            (Ok(RunReport { output: Err(e), .. }), _) => Err(format!("  {e}\n")),
            (Ok(RunReport { output: Ok(output), .. }), None) => Err(format!(
                "  no expected.json; the output was:\n{}\n",
                serde_json::to_string_pretty(output).unwrap_or_default()
            )),
            (Ok(RunReport { output: Ok(output), .. }), Some(expected)) => {
                let differences = fixtures::compare(expected, output, tolerance);
                if differences.is_empty() {
                    Ok(())
                } else {
                    let mut shown: String =
                        differences.iter().take(SHOWN_DIFFERENCES).map(|d| format!("  {d}\n")).collect();
                    if differences.len() > SHOWN_DIFFERENCES {
                        shown.push_str(&format!("  … and {} more\n", differences.len() - SHOWN_DIFFERENCES));
                    }
                    Err(shown)
                }
            }
        };
        let time = report.as_ref().map(|r| format!(" ({:.1} ms)", r.elapsed_ms)).unwrap_or_default();
        match verdict {
            Ok(()) => {
                passed += 1;
                println!("PASS {}{time}", case.name);
            }
            Err(why) => print!("FAIL {}{time}\n{why}", case.name),
        }
    }
    let _ = std::fs::remove_dir_all(compiled.data_dir);
    println!("{total} cases: {passed} passed, {} failed", total - passed);
    if passed < total {
        bail!("{} of {total} fixture cases failed", total - passed);
    }
    Ok(())
}
