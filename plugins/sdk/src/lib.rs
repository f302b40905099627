//! The cxhost plugin SDK: WIT bindings for each plugin world plus helpers for what
//! nearly every plugin does — read parameters, run tenant SQL, group rows, build ratios.
//!
//! A metric plugin implements [`metric::Guest`] and calls [`export_metric!`]:
//!
//! ```ignore
//! use cxhost_plugin_sdk::prelude::*;
//! struct Aht;
//! impl metric::Guest for Aht {
//!     fn describe() -> PluginInfo { info("aht", "1.0.0", "Average handle time ...", vec![]) }
//!     fn compute(req: MetricRequest) -> Result<MetricResult, String> {
//!         let g = grouping(Source::Interactions, req.group_by)?;
//!         let sql = format!("SELECT {} AS grp, sum(...) AS num, count(*) AS den FROM {} WHERE {} GROUP BY 1", g.key, g.from, g.time_filter);
//!         ratio_result("seconds", &sql, &req)
//!     }
//! }
//! export_metric!(Aht);
//! ```

pub mod metric {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "metric",
        pub_export_macro: true,
        export_macro_name: "export_metric_world",
        default_bindings_module: "cxhost_plugin_sdk::metric",
    });
}

mod columns;
mod facts;
mod grouping;
mod params;

pub use columns::Table;
pub use facts::certifications;
pub use grouping::{Grouping, Source, first_logins, grouping};
pub use metric::cxhost::plugin::host::{LogLevel, log};
pub use metric::cxhost::plugin::metric_types::{GroupBy, MetricRequest, MetricResult, MetricRow};
pub use metric::cxhost::plugin::types::{
    Batch, Column, ColumnValues, Param, ParamSpec, ParamType, ParamValue, PluginInfo, PluginKind, SqlValue,
};
pub use params::{ParamsExt, param_bool, param_float, param_int, param_text};

/// Everything a metric plugin usually needs.
pub mod prelude {
    pub use crate::{
        GroupBy, Grouping, MetricRequest, MetricResult, MetricRow, ParamSpec, ParamType, ParamValue, ParamsExt,
        PluginInfo, PluginKind, Source, SqlValue, Table, count_ratio, export_metric, first_logins, grouping, info,
        metric, param_bool, param_float, param_int, param_text, query, ratio_result, ratio_rows, survey_ratio,
        time_range,
    };
}

/// Exports `$t` (which implements [`metric::Guest`]) as this component's metric world.
#[macro_export]
macro_rules! export_metric {
    ($t:ident) => {
        $crate::metric::export_metric_world!($t with_types_in $crate::metric);
    };
}

/// Builds a metric's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: version.to_string(),
        kind: PluginKind::Metric,
        description: description.to_string(),
        params,
    }
}

/// Runs one read-only SELECT over the tenant's tables.
pub fn query(sql: &str, params: &[SqlValue]) -> Result<Table, String> {
    metric::cxhost::plugin::host::query(sql, params).map(Table::new)
}

/// The request's time range as the two `?` parameters `[from, to)`.
pub fn time_range(req: &MetricRequest) -> [SqlValue; 2] {
    [SqlValue::Timestamp(req.period_start), SqlValue::Timestamp(req.period_end)]
}

/// Runs `sql`, which must return the columns `grp`, `num` and `den`, and turns each row into
/// a ratio row: value = num / den, none when den is zero or null.
pub fn ratio_rows(sql: &str, params: &[SqlValue]) -> Result<Vec<MetricRow>, String> {
    let table = query(sql, params)?;
    let groups = table.text("grp")?;
    let nums = table.float("num")?;
    let dens = table.float("den")?;
    Ok(groups
        .into_iter()
        .zip(nums)
        .zip(dens)
        .map(|((group, num), den)| {
            let value = match (num, den) {
                (Some(n), Some(d)) if d != 0.0 => Some(n / d),
                _ => None,
            };
            MetricRow { group: group.unwrap_or_else(|| "(none)".to_string()), value, numerator: num, denominator: den }
        })
        .collect())
}

/// A ratio metric in one aggregate over `source`: per group of the rows that pass `filter` in
/// the request's range, numerator = the aggregate `numerator` and denominator = rows counted.
/// E.g. CSAT: `count_ratio(Source::Feedback, &req, ("count(*) FILTER (WHERE f.csat >= 4)",
/// "f.csat IS NOT NULL"), "ratio")`.
pub fn count_ratio(
    source: Source,
    req: &MetricRequest,
    (numerator, filter): (&str, &str),
    unit: &str,
) -> Result<MetricResult, String> {
    let g = grouping(source, req.group_by)?;
    let sql = format!(
        "SELECT {key} AS grp, CAST({numerator} AS DOUBLE) AS num, CAST(count(*) AS DOUBLE) AS den \
         FROM {from} WHERE {filter} AND {time} GROUP BY 1 ORDER BY 1",
        key = g.key,
        from = g.from,
        time = g.time_filter
    );
    ratio_result(unit, &sql, req)
}

/// A ratio over employee survey answers to `column`, held to a privacy floor: never grouped
/// by agent, and groups with fewer answers than the `min_responses` parameter are left out.
pub fn survey_ratio(
    req: &MetricRequest,
    what: &str,
    (numerator, column): (&str, &str),
    unit: &str,
) -> Result<MetricResult, String> {
    if req.group_by == GroupBy::Agent {
        return Err(format!(
            "{what} cannot be grouped by agent: an agent's own answers would be revealed; group by team, \
             site or a period instead"
        ));
    }
    let min_responses = req.params.int("min_responses")?;
    if min_responses < 1 {
        return Err(format!("parameter `min_responses` must be at least 1, got {min_responses}"));
    }
    let g = grouping(Source::Surveys, req.group_by)?;
    let sql = format!(
        "SELECT {key} AS grp, CAST({numerator} AS DOUBLE) AS num, CAST(count(*) AS DOUBLE) AS den \
         FROM {from} WHERE s.{column} IS NOT NULL AND {time} GROUP BY 1 HAVING count(*) >= ? ORDER BY 1",
        key = g.key,
        from = g.from,
        time = g.time_filter
    );
    let [start, end] = time_range(req);
    let rows = ratio_rows(&sql, &[start, end, SqlValue::Integer(min_responses)])?;
    Ok(MetricResult { unit: unit.to_string(), rows })
}

/// [`ratio_rows`] over the request's time range, wrapped into a result with `unit`.
pub fn ratio_result(unit: &str, sql: &str, req: &MetricRequest) -> Result<MetricResult, String> {
    Ok(MetricResult { unit: unit.to_string(), rows: ratio_rows(sql, &time_range(req))? })
}
