//! Test plugin: a hostile dashboard that attacks the sandbox as its `mode` parameter says.
//! Loops, stack and memory exhaustion, traps, SQL, log floods and WASI probes come from
//! ../../hostile.rs, as does a hostile `describe()` picked by patching the .wasm; malformed
//! panels and nested metric (and metric series) calls are made here.

#[path = "../../hostile.rs"]
mod hostile;

use cxhost_dashboard_sdk::dashboard::cxhost::plugin::analytics;
use cxhost_dashboard_sdk::prelude::*;
use cxhost_dashboard_sdk::{Grain, PanelKind, Param, ParamValue, PluginKind, SeriesRequest};
use hostile::{MIB, Outcome, filler};

struct HostileDashboard;

impl dashboard::Guest for HostileDashboard {
    fn describe() -> PluginInfo {
        hostile::describe(
            PluginKind::Dashboard,
            "hostile_dashboard",
            "Hostile Dashboard!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin tests.",
        )
    }

    fn render(req: DashboardRequest) -> Result<Vec<Panel>, String> {
        let args = hostile::Args {
            mode: req.params.text("mode")?,
            sql: req.params.text("sql")?,
            n: req.params.int("n")?,
            size: req.params.int("size")?,
        };
        Ok(match args.mode {
            "huge_panel" => {
                // A valid kpi document of exactly `size` bytes (when `size` exceeds its frame).
                let (head, tail) = (r#"{"value":1,"unit":"x","note":""#, r#""}"#);
                let note = filler(args.bytes(20 * MIB).saturating_sub(head.len() + tail.len()), "x");
                vec![Panel { title: "big".to_string(), kind: PanelKind::Kpi, data_json: format!("{head}{note}{tail}") }]
            }
            "many_panels" => (0..args.n).map(|i| panel::kpi(&format!("p{i}"), Some(1.0), "count", "")).collect(),
            "bad_json" => {
                vec![Panel { title: "bad".to_string(), kind: PanelKind::Kpi, data_json: "{not json".to_string() }]
            }
            "huge_title" => vec![panel::kpi(&filler(args.bytes(MIB), "t"), Some(1.0), "count", "")],
            "nested" => nested(&req, &args)?,
            "nested_series" => nested_series(&req, &args)?,
            _ => match hostile::run(&args)? {
                Outcome::Ok => vec![panel::kpi("ok", Some(1.0), "count", "")],
                Outcome::Figure(value, unit) => vec![panel::kpi(args.mode, Some(value), unit, "")],
            },
        })
    }
}

/// Calls the metric named by `sql` with `mode = loop` over the request's period, `n` times
/// (once when `n` is 0); a failed call's error is returned unchanged.
fn nested(req: &DashboardRequest, args: &hostile::Args) -> Result<Vec<Panel>, String> {
    let params = [Param { name: "mode".to_string(), value: ParamValue::Text("loop".to_string()) }];
    let calls = args.n.max(1);
    let mut last = None;
    for _ in 0..calls {
        last = Some(analytics::metric(args.sql, req.period_start, req.period_end, GroupBy::Total, &params)?);
    }
    let value = last.as_ref().and_then(|r| r.rows.first()).and_then(|row| row.value);
    let unit = last.as_ref().map_or("", |r| r.unit.as_str());
    Ok(vec![panel::kpi("nested", value, unit, &format!("{calls} nested calls to `{}`", args.sql))])
}

/// Asks the metric named by `sql` with `mode = loop` for every day of the request's period in
/// one `metric-series` call, `n` times (once when `n` is 0): a series gets the limits of one
/// call per period, which must still end within the dashboard's own deadline.
fn nested_series(req: &DashboardRequest, args: &hostile::Args) -> Result<Vec<Panel>, String> {
    let request = SeriesRequest {
        period_start: req.period_start,
        period_end: req.period_end,
        grain: Grain::Day,
        group_by: GroupBy::Total,
        params: vec![Param { name: "mode".to_string(), value: ParamValue::Text("loop".to_string()) }],
    };
    let calls = args.n.max(1);
    for _ in 0..calls {
        analytics::metric_series(args.sql, &request)?;
    }
    Ok(vec![panel::kpi("nested series", Some(1.0), "count", &format!("{calls} series calls to `{}`", args.sql))])
}

export_dashboard!(HostileDashboard);
