//! Test plugin: a hostile metric that attacks the sandbox as its `mode` parameter says, through
//! `compute` and through `compute-series` alike (it answers series). Loops,
//! stack and memory exhaustion, traps, SQL, log floods and WASI probes come from
//! ../../hostile.rs, as does a hostile `describe()` picked by patching the .wasm; malformed
//! metric results are made here, and a series adds rows for periods nobody asked for. It is a
//! `metric-records` component too: `records` attacks through the query it returns
//! (`records_sql`), its size (`records_huge`) or parameters (`records_params`), or runs the
//! guest-code attacks inside `records`.

#[path = "../../hostile.rs"]
mod hostile;

use cxhost_plugin_sdk::prelude::*;
use cxhost_plugin_sdk::{Param, RecordsQuery, RecordsRequest, SeriesRequest, SeriesResult, SeriesRow};
use hostile::{MIB, Outcome, filler};

struct HostileMetric;

impl cxhost_plugin_sdk::with_records::Guest for HostileMetric {
    fn describe() -> PluginInfo {
        hostile::describe(
            PluginKind::Metric,
            "hostile_metric",
            "Hostile Metric!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin tests.",
        )
    }

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        attack(&req.params)
    }

    fn records(req: RecordsRequest) -> Result<RecordsQuery, String> {
        records_attack(&req.params)
    }

    /// Every row of the single-period answer in the first period; `unasked_period` adds a row
    /// a week before the range, `dup_cells` one cell twice.
    fn compute_series(req: SeriesRequest) -> Result<SeriesResult, String> {
        let in_period = |start: i64, r: MetricRow| SeriesRow {
            period_start: start,
            group: r.group,
            value: r.value,
            numerator: r.numerator,
            denominator: r.denominator,
        };
        let week = 7 * 86_400_000_000;
        let cell = |start| SeriesRow {
            period_start: start,
            group: "a".into(),
            value: Some(1.0),
            numerator: None,
            denominator: None,
        };
        let result = match req.params.text("mode")? {
            "unasked_period" => {
                return Ok(SeriesResult { unit: "count".into(), rows: vec![cell(req.period_start - week)] });
            }
            "dup_cells" => {
                return Ok(SeriesResult {
                    unit: "count".into(),
                    rows: vec![cell(req.period_start), cell(req.period_start)],
                });
            }
            _ => attack(&req.params)?,
        };
        let rows = result.rows.into_iter().map(|r| in_period(req.period_start, r)).collect();
        Ok(SeriesResult { unit: result.unit, rows })
    }
}

/// Records of every agent, one each, in group `total`: what `records` answers when it is not
/// attacking.
const VALID_RECORDS: &str = "SELECT 'agents' AS source, agent_id AS record_id, 'total' AS grp, \
     TIMESTAMP '2026-03-02' AS occurred_at, agent_id, CAST(NULL AS VARCHAR) AS queue, \
     CAST(NULL AS VARCHAR) AS contact_reason, CAST(NULL AS VARCHAR) AS channel, 1.0 AS num, 1.0 AS den, \
     CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS related_id FROM agents";

/// The records attack `params` ask for.
fn records_attack(params: &[Param]) -> Result<RecordsQuery, String> {
    let answer = |sql: String, params: Vec<SqlValue>| RecordsQuery {
        sql,
        params,
        unit: "count".to_string(),
        higher_is_better: true,
    };
    Ok(match params.text("mode")? {
        "records_sql" => answer(params.text("sql")?.to_string(), vec![]),
        "records_huge" => answer(format!("{VALID_RECORDS} -- {}", filler(MIB, "x")), vec![]),
        "records_params" => answer(VALID_RECORDS.to_string(), (0..10_000).map(SqlValue::Integer).collect()),
        "records_error" => return Err("hostile records error".to_string()),
        _ => {
            attack(params)?;
            answer(VALID_RECORDS.to_string(), vec![])
        }
    })
}

/// The attack `params` ask for, answered as a single period.
fn attack(params: &[Param]) -> Result<MetricResult, String> {
    let args = hostile::Args {
        mode: params.text("mode")?,
        sql: params.text("sql")?,
        n: params.int("n")?,
        size: params.int("size")?,
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

fn row(group: impl Into<String>, value: Option<f64>, numerator: Option<f64>, denominator: Option<f64>) -> MetricRow {
    MetricRow { group: group.into(), value, numerator, denominator }
}

cxhost_plugin_sdk::with_records::export_metric_records_world!(HostileMetric with_types_in cxhost_plugin_sdk::with_records);
