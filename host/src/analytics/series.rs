//! Metric series for CX–EX analysis: a metric's value per group (agent, team or site) and per
//! calendar period (ISO week starting Monday, or month, UTC), computed by the metric's plugin
//! in one `compute-series` call where it answers series and one period at a time where it does
//! not, and the pairing of an employee series with a customer series `lag` periods later.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::PluginLimits;
use crate::deploy::CallPlan;
use crate::deploy::call::CallContext;
use crate::runtime::CallImports;
use crate::runtime::bindings::{Grain, GroupBy, MetricRequest, Param, SeriesRequest, SeriesResult, SeriesRow};
use crate::runtime::worlds::{MetricSeriesWorld, MetricWorld};
use crate::runtime::{CallError, Plugin};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
}

/// The start of every period that begins in `[from, to)`, plus the end of the last one.
/// Weeks start on Monday, months on the 1st; a partial first period starts at its calendar start.
pub fn period_bounds(period: Period, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut start = match period {
        Period::Week => from - Days::new(from.weekday().num_days_from_monday() as u64),
        Period::Month => from.with_day(1).expect("day 1 exists"),
    };
    let mut bounds = Vec::new();
    while start < to {
        bounds.push(start);
        start = next(period, start);
    }
    bounds.push(start);
    bounds
}

impl Period {
    fn grain(self) -> Grain {
        match self {
            Period::Week => Grain::Week,
            Period::Month => Grain::Month,
        }
    }
}

fn next(period: Period, start: NaiveDate) -> NaiveDate {
    match period {
        Period::Week => start + Days::new(7),
        Period::Month => start + Months::new(1),
    }
}

fn micros(day: NaiveDate) -> i64 {
    DateTime::<Utc>::from_naive_utc_and_offset(day.and_hms_opt(0, 0, 0).expect("midnight"), Utc).timestamp_micros()
}

/// One group's figure in one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub value: f64,
    /// The metric's denominator (responses, contacts), when it reports one.
    pub weight: Option<f64>,
}

/// (group, period index) → cell.
pub type Series = BTreeMap<(String, usize), Cell>;

/// The start of every day that begins in `[from, to)`, or of every week or month (as
/// [`period_bounds`]), plus the end of the last one.
pub fn grain_bounds(grain: Grain, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    match grain {
        Grain::Day => from.iter_days().take_while(|day| *day <= to).collect(),
        Grain::Week => period_bounds(Period::Week, from, to),
        Grain::Month => period_bounds(Period::Month, from, to),
    }
}

/// Computes the plan's metric with `params` for every `period` between consecutive `bounds`,
/// grouped by `level`: in one call where the version answers series (with the limits of one
/// call per period, see [`PluginLimits::for_calls`]), else one call per period. The
/// fallback version, if the plan has one, stands in for the whole series.
pub fn metric_series(
    context: &CallContext,
    plan: &CallPlan,
    params: &[Param],
    (level, period): (GroupBy, Period),
    bounds: &[NaiveDate],
) -> Result<Series, CallError> {
    let result = series_rows(context, plan, params, (level, period.grain()), bounds, None)?;
    let index = period_index(bounds);
    // Sorted once and built in bulk: a year by agent is a million cells.
    Ok(result
        .rows
        .into_iter()
        .filter_map(|row| {
            let period = *index.get(&row.period_start)?;
            Some(((row.group, period), Cell { value: row.value?, weight: row.denominator }))
        })
        .collect())
}

/// The metric's rows for every period between consecutive `bounds` (each period's start in
/// µs), as [`metric_series`] computes them. With `until`, every call ends by then (a nested
/// call within a plugin's own deadline).
pub fn series_rows(
    context: &CallContext,
    plan: &CallPlan,
    params: &[Param],
    (level, grain): (GroupBy, Grain),
    bounds: &[NaiveDate],
    until: Option<Instant>,
) -> Result<SeriesResult, CallError> {
    let answer = context.answer_with(plan, |plugin| {
        if plugin.answers_series() {
            series_at_once(context, plugin, params, (level, grain), bounds, until)
        } else {
            period_by_period(context, plugin, params, level, bounds, until)
        }
    })?;
    Ok(answer.result)
}

/// `limits` with their deadline cut to what is left before `until`; a timeout once it passed.
fn within(limits: PluginLimits, until: Option<Instant>, plugin: &Plugin) -> Result<PluginLimits, CallError> {
    let Some(until) = until else { return Ok(limits) };
    let left = until.saturating_duration_since(Instant::now()).as_millis() as u64;
    if left == 0 {
        return Err(CallError::Timeout {
            plugin: plugin.info.name.clone(),
            version: plugin.info.version.clone(),
            deadline_ms: limits.deadline_ms,
        });
    }
    Ok(PluginLimits { deadline_ms: limits.deadline_ms.min(left), ..limits })
}

/// Each period's start (µs) → its index.
fn period_index(bounds: &[NaiveDate]) -> HashMap<i64, usize> {
    bounds[..bounds.len().saturating_sub(1)].iter().enumerate().map(|(i, day)| (micros(*day), i)).collect()
}

fn series_at_once(
    context: &CallContext,
    plugin: &Plugin,
    params: &[Param],
    (level, grain): (GroupBy, Grain),
    bounds: &[NaiveDate],
    until: Option<Instant>,
) -> Result<SeriesResult, CallError> {
    let (Some(first), Some(last)) = (bounds.first(), bounds.last()) else {
        return Ok(SeriesResult { unit: String::new(), rows: Vec::new() });
    };
    let request = SeriesRequest {
        period_start: micros(*first),
        period_end: micros(*last),
        grain,
        group_by: level,
        params: params.to_vec(),
    };
    let periods = bounds.len() as u64 - 1;
    let limits = within(context.limits.for_calls(periods), until, plugin)?;
    let result =
        context.runtime.call::<MetricSeriesWorld>(plugin, context.db.clone(), CallImports::none(), limits, &request)?;
    let index = period_index(bounds);
    if let Some(row) = result.rows.iter().find(|row| !index.contains_key(&row.period_start)) {
        return Err(CallError::InvalidResult {
            plugin: plugin.info.name.clone(),
            version: plugin.info.version.clone(),
            detail: format!(
                "a series row is for a period starting at {} µs, which is not the start of a period asked for",
                row.period_start
            ),
        });
    }
    Ok(result)
}

fn period_by_period(
    context: &CallContext,
    plugin: &Plugin,
    params: &[Param],
    level: GroupBy,
    bounds: &[NaiveDate],
    until: Option<Instant>,
) -> Result<SeriesResult, CallError> {
    let mut series = SeriesResult { unit: String::new(), rows: Vec::new() };
    for window in bounds.windows(2) {
        let request = MetricRequest {
            period_start: micros(window[0]),
            period_end: micros(window[1]),
            group_by: level,
            params: params.to_vec(),
        };
        let limits = within(context.limits, until, plugin)?;
        let result =
            context.runtime.call::<MetricWorld>(plugin, context.db.clone(), CallImports::none(), limits, &request)?;
        series.unit = result.unit;
        series.rows.extend(result.rows.into_iter().map(|row| SeriesRow {
            period_start: request.period_start,
            group: row.group,
            value: row.value,
            numerator: row.numerator,
            denominator: row.denominator,
        }));
    }
    Ok(series)
}

/// One paired observation: a group's employee figure in a period and its customer figure
/// `lag` periods later.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Point {
    pub group: String,
    /// Start of the employee period (YYYY-MM-DD).
    pub ex_period: String,
    /// Start of the customer period.
    pub cx_period: String,
    pub ex: f64,
    pub cx: f64,
    /// The employee figure's denominator when the metric reports one: respondents for survey
    /// metrics, shifts or evaluations for others.
    pub ex_respondents: Option<f64>,
}

/// What pairing did: the points, and how many employee cells were withheld for privacy.
pub struct Paired {
    pub points: Vec<Point>,
    pub withheld: usize,
}

/// Pairs `ex` with `cx` shifted by `lag` periods, group by group. Employee cells whose weight
/// (respondents) is below `min_group` are withheld, never paired.
pub fn pair(ex: &Series, cx: &Series, lag: usize, bounds: &[NaiveDate], min_group: u32) -> Paired {
    let mut points = Vec::new();
    let withheld = walk_pairs(ex, cx, lag, min_group, |group, period, cell, customer| {
        points.push(Point {
            group: group.to_string(),
            ex_period: bounds[period].to_string(),
            cx_period: bounds[period + lag].to_string(),
            ex: cell.value,
            cx: customer.value,
            ex_respondents: cell.weight,
        })
    });
    Paired { points, withheld }
}

/// The paired values alone, as [`pair`] pairs them: employee figures, customer figures, and
/// how many employee cells were withheld.
pub fn pair_values(ex: &Series, cx: &Series, lag: usize, min_group: u32) -> (Vec<f64>, Vec<f64>, usize) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let withheld = walk_pairs(ex, cx, lag, min_group, |_, _, cell, customer| {
        xs.push(cell.value);
        ys.push(customer.value);
    });
    (xs, ys, withheld)
}

/// Calls `paired` with each employee cell that is not withheld and its customer cell `lag`
/// periods later, in (group, period) order; returns how many were withheld. One merge walk
/// over both sorted series: (group, period) → (group, period + lag) keeps the order.
fn walk_pairs(
    ex: &Series,
    cx: &Series,
    lag: usize,
    min_group: u32,
    mut paired: impl FnMut(&str, usize, &Cell, &Cell),
) -> usize {
    let mut withheld = 0;
    let mut customers = cx.iter().peekable();
    for ((group, period), cell) in ex {
        if cell.weight.is_some_and(|w| w < f64::from(min_group)) {
            withheld += 1;
            continue;
        }
        let wanted = (group.as_str(), period + lag);
        while customers.next_if(|((g, p), _)| (g.as_str(), *p) < wanted).is_some() {}
        if let Some(((g, p), customer)) = customers.peek()
            && (g.as_str(), *p) == wanted
        {
            paired(group, *period, cell, customer);
        }
    }
    withheld
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let weeks = period_bounds(Period::Week, day("2026-03-04"), day("2026-03-17"));
        assert_eq!(weeks, vec![day("2026-03-02"), day("2026-03-09"), day("2026-03-16"), day("2026-03-23")]);
        let months = period_bounds(Period::Month, day("2026-01-15"), day("2026-03-01"));
        assert_eq!(months, vec![day("2026-01-01"), day("2026-02-01"), day("2026-03-01")]);
    }

    #[test]
    fn pairing_shifts_by_the_lag_and_withholds_small_groups() {
        let bounds = period_bounds(Period::Month, day("2026-01-01"), day("2026-04-01"));
        let cell = |value, weight| Cell { value, weight: Some(weight) };
        let ex: Series = [
            (("t1".to_string(), 0), cell(10.0, 8.0)),
            (("t1".to_string(), 1), cell(20.0, 8.0)),
            (("t2".to_string(), 0), cell(30.0, 3.0)),
        ]
        .into();
        let cx: Series = [
            (("t1".to_string(), 1), cell(0.7, 100.0)),
            (("t1".to_string(), 2), cell(0.8, 100.0)),
            (("t2".to_string(), 1), cell(0.9, 100.0)),
        ]
        .into();
        let paired = pair(&ex, &cx, 1, &bounds, 5);
        assert_eq!(paired.withheld, 1);
        let got: Vec<(&str, &str, f64, f64)> =
            paired.points.iter().map(|p| (p.ex_period.as_str(), p.cx_period.as_str(), p.ex, p.cx)).collect();
        assert_eq!(got, vec![("2026-01-01", "2026-02-01", 10.0, 0.7), ("2026-02-01", "2026-03-01", 20.0, 0.8)]);
        assert_eq!(pair_values(&ex, &cx, 1, 5), (vec![10.0, 20.0], vec![0.7, 0.8], 1));
        // Without a lag only the same periods pair: t1's second month; t2 has no customer
        // figure in its first.
        assert_eq!(pair_values(&ex, &cx, 0, 0), (vec![20.0], vec![0.7], 0));
    }
}
