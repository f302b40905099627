//! Test plugin: a hostile metric that attacks the sandbox as its `mode` parameter says.
//! Loops, stack and memory exhaustion, traps, SQL, log floods and WASI probes come from
//! ../../hostile.rs, as does a hostile `describe()` picked by patching the .wasm; malformed
//! metric results are made here.

#[path = "../../hostile.rs"]
mod hostile;

use cxhost_plugin_sdk::prelude::*;
use hostile::{MIB, Outcome, filler};

struct HostileMetric;

impl metric::Guest for HostileMetric {
    fn describe() -> PluginInfo {
        hostile::describe(
            PluginKind::Metric,
            "hostile_metric",
            "Hostile Metric!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin tests.",
        )
    }

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let args = hostile::Args {
            mode: req.params.text("mode")?,
            sql: req.params.text("sql")?,
            n: req.params.int("n")?,
            size: req.params.int("size")?,
        };
        let result = |unit: &str, rows| MetricResult { unit: unit.to_string(), rows };
        Ok(match args.mode {
            "huge_group" => result("count", vec![row(filler(args.bytes(15 * MIB), "g"), Some(1.0), None, None)]),
            "dup_groups" => result("count", vec![row("a", Some(1.0), None, None), row("a", Some(1.0), None, None)]),
            "empty_group" => result("count", vec![row("", Some(1.0), None, None)]),
            "bad_ratio" => result("ratio", vec![row("total", Some(0.9), Some(0.0), Some(0.0))]),
            "inconsistent_ratio" => result("ratio", vec![row("total", Some(0.9), Some(1.0), Some(4.0))]),
            "negative_denominator" => result("ratio", vec![row("total", Some(0.5), Some(-1.0), Some(-2.0))]),
            "nan" => result("count", vec![row("total", Some(f64::NAN), None, None)]),
            "many_rows" => result("count", (0..args.n).map(|i| row(format!("g{i}"), Some(1.0), None, None)).collect()),
            "huge_unit" => result(&filler(args.bytes(MIB), "u"), vec![row("total", Some(1.0), None, None)]),
            _ => match hostile::run(&args)? {
                Outcome::Ok => result("count", vec![row("total", Some(1.0), Some(1.0), Some(1.0))]),
                Outcome::Figure(value, unit) => result(unit, vec![row("total", Some(value), None, None)]),
            },
        })
    }
}

fn row(group: impl Into<String>, value: Option<f64>, numerator: Option<f64>, denominator: Option<f64>) -> MetricRow {
    MetricRow { group: group.into(), value, numerator, denominator }
}

export_metric!(HostileMetric);
