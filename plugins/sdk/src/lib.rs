//! The cxhost metric SDK: WIT bindings of the metric worlds on top of the shared core
//! (`cxhost-sdk-core`), plus what nearly every metric does — group rows by agent, team or
//! period and build ratios; parameters, SQL and columns come from the core.
//!
//! A metric implements [`Metric`] once and calls [`export_metric!`]; the component then
//! answers both a single period (`compute`) and a sequence of periods in one call
//! (`compute-series`, the `metric-series` world), from the same SQL:
//!
//! ```ignore
//! use cxhost_plugin_sdk::prelude::*;
//! struct Aht;
//! impl Metric for Aht {
//!     fn describe() -> PluginInfo { info("aht", "1.0.0", "Average handle time ...", vec![]) }
//!     fn compute(ask: &Ask) -> Result<MetricResult, String> {
//!         let g = grouping(Source::Interactions, ask)?;
//!         let sql = format!("SELECT {} AS grp, sum(...) AS num, count(*) AS den FROM {} WHERE {} GROUP BY 1", g.key, g.from, g.time_filter);
//!         ratio_result("seconds", &sql, ask)
//!     }
//! }
//! export_metric!(Aht);
//! ```
//!
//! Asked for a series, [`grouping`]'s `key` carries each row's period as well as its group,
//! so one `GROUP BY` over the whole range answers every period; [`export_metric!`] splits
//! them apart again. A plugin that implements [`metric::Guest`] itself and exports it with
//! [`export_metric_single!`] answers single periods only, and the host asks it one period at a
//! time.

/// Bindings of the metric world; `types` and `host` are the core's.
pub mod metric {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "metric",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
        },
        pub_export_macro: true,
        export_macro_name: "export_metric_world",
        default_bindings_module: "cxhost_plugin_sdk::metric",
    });
}

/// Bindings of the metric-series world (the metric world plus `compute-series`).
pub mod series {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "metric-series",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
            "cxhost:plugin/metric-types@0.1.0": crate::metric::cxhost::plugin::metric_types,
        },
        pub_export_macro: true,
        export_macro_name: "export_metric_series_world",
        default_bindings_module: "cxhost_plugin_sdk::series",
    });
}

/// Bindings of the metric-records world (the metric-series world plus `records`). The
/// generated export takes the request's fields one by one, more than clippy likes.
#[allow(clippy::too_many_arguments)]
pub mod with_records {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "metric-records",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
            "cxhost:plugin/metric-types@0.1.0": crate::metric::cxhost::plugin::metric_types,
        },
        pub_export_macro: true,
        export_macro_name: "export_metric_records_world",
        default_bindings_module: "cxhost_plugin_sdk::with_records",
    });
}

mod ask;
mod grouping;
mod records;

use ask::PERIOD_SEPARATOR;

pub use ask::{Ask, Metric, answer_records, answer_series, answer_single};
pub use cxhost_sdk_core::{
    Batch, Column, ColumnValues, LogLevel, Param, ParamSpec, ParamType, ParamValue, ParamsExt, PluginInfo, PluginKind,
    SqlValue, Table, TimeRange, certifications, log, param_bool, param_float, param_int, param_text, query, time_range,
};
pub use grouping::{Grouping, Source, first_logins, grouping};
pub use metric::cxhost::plugin::metric_types::{
    Grain, GroupBy, MetricRequest, MetricResult, MetricRow, RecordsQuery, RecordsRequest, SeriesRequest, SeriesResult,
    SeriesRow,
};
pub use records::{MetricRecords, RowRatio, group_text, record_select, records_query};

/// Everything a metric plugin usually needs.
pub mod prelude {
    pub use crate::{
        Ask, GroupBy, Grouping, Metric, MetricRecords, MetricRequest, MetricResult, MetricRow, ParamSpec, ParamType,
        ParamValue, ParamsExt, PluginInfo, PluginKind, RecordsQuery, RowRatio, Source, SqlValue, Table, count_ratio,
        export_metric, export_metric_single, first_logins, group_text, grouping, info, metric, param_bool, param_float,
        param_int, param_text, query, ratio_result, ratio_rows, record_select, records_query, survey_ratio,
        survey_records, time_range,
    };
}

/// Exports `$t` (which implements [`Metric`]) as this component's `metric-series` world:
/// `compute` and `compute-series` both run `$t::compute`. `export_metric!($t, records)`
/// exports the `metric-records` world instead, whose `records` runs `$t::records` (which
/// implements [`MetricRecords`] as well): the metric then opens to its records.
#[macro_export]
macro_rules! export_metric {
    ($t:ident, records) => {
        const _: () = {
            struct Exported;
            impl $crate::with_records::Guest for Exported {
                fn describe() -> $crate::PluginInfo {
                    <$t as $crate::Metric>::describe()
                }
                fn compute(request: $crate::MetricRequest) -> Result<$crate::MetricResult, String> {
                    $crate::answer_single::<$t>(request)
                }
                fn compute_series(request: $crate::SeriesRequest) -> Result<$crate::SeriesResult, String> {
                    $crate::answer_series::<$t>(request)
                }
                fn records(request: $crate::RecordsRequest) -> Result<$crate::RecordsQuery, String> {
                    $crate::answer_records::<$t>(request)
                }
            }
    $crate::with_records::export_metric_records_world!(Exported with_types_in $crate::with_records);
        };
    };
    ($t:ident) => {
        const _: () = {
            struct Exported;
            impl $crate::series::Guest for Exported {
                fn describe() -> $crate::PluginInfo {
                    <$t as $crate::Metric>::describe()
                }
                fn compute(request: $crate::MetricRequest) -> Result<$crate::MetricResult, String> {
                    $crate::answer_single::<$t>(request)
                }
                fn compute_series(request: $crate::SeriesRequest) -> Result<$crate::SeriesResult, String> {
                    $crate::answer_series::<$t>(request)
                }
            }
    $crate::series::export_metric_series_world!(Exported with_types_in $crate::series);
        };
    };
}

/// Exports `$t` (which implements [`metric::Guest`] itself) as this component's `metric`
/// world: it answers single periods only, and the host asks it one period at a time.
#[macro_export]
macro_rules! export_metric_single {
    ($t:ident) => {
        $crate::metric::export_metric_world!($t with_types_in $crate::metric);
    };
}

impl TimeRange for MetricRequest {
    fn period(&self) -> (i64, i64) {
        (self.period_start, self.period_end)
    }
}

/// Builds a metric's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    cxhost_sdk_core::info(name, version, PluginKind::Metric, description, params)
}

/// Runs `sql`, which must return the columns `grp`, `num` and `den`, and turns each row into
/// a ratio row: value = num / den, none when den is zero or null. By day, week or month, and
/// for a series (`ask.grain`), `grp` is the timestamp or struct [`grouping`] keys rows by,
/// made into text here, after aggregation.
pub fn ratio_rows(sql: &str, params: &[SqlValue], ask: &Ask) -> Result<Vec<MetricRow>, String> {
    let as_text = |grp: &str| format!("SELECT {grp} AS grp, num, den FROM ({sql}) AS metric");
    let wrapped;
    let sql = match (ask.grain, ask.group_by) {
        (Some(_), _) => {
            wrapped = as_text(&format!(
                "CAST(grp.p AS VARCHAR) || '{PERIOD_SEPARATOR}' || coalesce(CAST(grp.g AS VARCHAR), '(none)')"
            ));
            &wrapped
        }
        (None, GroupBy::Day | GroupBy::Week) => {
            wrapped = as_text("strftime(grp, '%Y-%m-%d')");
            &wrapped
        }
        (None, GroupBy::Month) => {
            wrapped = as_text("strftime(grp, '%Y-%m')");
            &wrapped
        }
        (None, _) => sql,
    };
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
    req: &Ask,
    (numerator, filter): (&str, &str),
    unit: &str,
) -> Result<MetricResult, String> {
    let g = grouping(source, req)?;
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
    req: &Ask,
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
    let g = grouping(Source::Surveys, req)?;
    let sql = format!(
        "SELECT {key} AS grp, CAST({numerator} AS DOUBLE) AS num, CAST(count(*) AS DOUBLE) AS den \
         FROM {from} WHERE s.{column} IS NOT NULL AND {time} GROUP BY 1 HAVING count(*) >= ? ORDER BY 1",
        key = g.key,
        from = g.from,
        time = g.time_filter
    );
    let [start, end] = time_range(req);
    let rows = ratio_rows(&sql, &[start, end, SqlValue::Integer(min_responses)], req)?;
    Ok(MetricResult { unit: unit.to_string(), rows })
}

/// The records of a [`survey_ratio`]: every answer row in the range; those without an answer
/// to `column` excluded. The host opens them only for groups at the privacy floor and never
/// shows who answered.
pub fn survey_records(
    req: &Ask,
    what: &str,
    (numerator, column): (&str, &str),
    unit: &str,
) -> Result<RecordsQuery, String> {
    if req.group_by == GroupBy::Agent {
        return Err(format!(
            "{what} cannot be grouped by agent: an agent's own answers would be revealed; group by team, \
             site or a period instead"
        ));
    }
    let ratio = RowRatio {
        source: Source::Surveys,
        num: numerator,
        den: "1",
        counted: &format!("s.{column} IS NOT NULL"),
        excluded_reason: &format!("'no {column} answer'"),
        denominator_reason: "NULL",
        unit,
        higher_is_better: true,
    };
    ratio.records(req)
}

/// [`ratio_rows`] over the request's time range, wrapped into a result with `unit`.
pub fn ratio_result(unit: &str, sql: &str, req: &Ask) -> Result<MetricResult, String> {
    Ok(MetricResult { unit: unit.to_string(), rows: ratio_rows(sql, &time_range(req), req)? })
}
