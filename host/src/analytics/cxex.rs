//! CX–EX correlation as a service: metrics named as callers name them (`name` or
//! `name[param=value,…]`), resolved for the tenant with its privacy floor applied, their series
//! per group and period computed through the plugins (two metrics at a time), and correlation
//! cells of an employee metric against a customer metric `lag` periods later. The correlation
//! routes, dashboards (through the `analytics` import) and the pages use it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::correlation::{Correlation, CorrelationError, correlate};
use super::series::{Paired, Period, Series, metric_series, pair, pair_values, period_bounds};
use crate::app::Services;
use crate::config::PluginLimits;
use crate::deploy::{CallPlan, PlanError};
use crate::params::{ParamError, parse_param};
use crate::privacy::{BelowFloor, MIN_RESPONSES, hold_to_floor};
use crate::runtime::CallError;
use crate::runtime::bindings::{GroupBy, Param, PluginKind};
use crate::store::system::Tenant;
use crate::store::tenant::TenantDbError;

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("`{field}` = `{text}`: {why}; write name or name[param=value,…]")]
    BadName { field: &'static str, text: String, why: &'static str },
    #[error("{source}")]
    Plan { field: &'static str, source: PlanError },
    #[error("metric `{metric}` has no parameter `{name}`")]
    UnknownParameter { field: &'static str, metric: String, name: String },
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    BelowPrivacyFloor(#[from] BelowFloor),
    #[error("lag must be 0 to {MAX_LAG} periods, got {0}")]
    LagTooLong(usize),
    #[error("a correlation may span at most {MAX_PERIODS} periods; narrow `from`–`to`")]
    TooManyPeriods,
    #[error("`{field}` must name 1 to {MAX_MATRIX_SIDE} metrics, got {count}")]
    MatrixSide { field: &'static str, count: usize },
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Database(#[from] TenantDbError),
    #[error("correlation: {0}")]
    Statistics(#[from] CorrelationError),
    #[error("cannot read the coaching sessions: {0}")]
    Sessions(#[source] duckdb::Error),
}

impl AnalyticsError {
    /// The parameter at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AnalyticsError::BadName { field, .. }
            | AnalyticsError::Plan { field, .. }
            | AnalyticsError::UnknownParameter { field, .. }
            | AnalyticsError::MatrixSide { field, .. } => Some(field),
            AnalyticsError::Param(e) => Some(e.field()),
            AnalyticsError::BelowPrivacyFloor(_) => Some(MIN_RESPONSES),
            AnalyticsError::LagTooLong(_) => Some("lag"),
            AnalyticsError::TooManyPeriods => Some("to"),
            AnalyticsError::OutOfRange(field) => Some(field),
            _ => None,
        }
    }
}

/// Longest lag accepted, in periods.
pub const MAX_LAG: usize = 12;
/// Most periods one request may span (five years of weeks).
pub const MAX_PERIODS: usize = 261;
/// Most metrics on one side of a matrix.
pub const MAX_MATRIX_SIDE: usize = 12;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Agent,
    Team,
    Site,
}

impl Level {
    pub fn group_by(self) -> GroupBy {
        match self {
            Level::Agent => GroupBy::Agent,
            Level::Team => GroupBy::Team,
            Level::Site => GroupBy::Site,
        }
    }
}

/// A metric as the correlation routes name it: `name` or `name[param=value,…]`, e.g.
/// `survey_item[item=wellbeing]`.
struct MetricSpec {
    text: String,
    name: String,
    given: Vec<(String, String)>,
}

fn parse_spec(field: &'static str, text: &str) -> Result<MetricSpec, AnalyticsError> {
    let bad = |why: &'static str| AnalyticsError::BadName { field, text: text.to_string(), why };
    let (name, given) = match text.split_once('[') {
        None => (text, Vec::new()),
        Some((name, rest)) => {
            let inner = rest.strip_suffix(']').ok_or_else(|| bad("missing `]`"))?;
            let pairs = inner
                .split(',')
                .map(|pair| pair.split_once('=').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("a parameter lacks `=`"))?;
            (name, pairs)
        }
    };
    if name.is_empty() {
        return Err(bad("no metric name"));
    }
    Ok(MetricSpec { text: text.to_string(), name: name.to_string(), given })
}

/// A metric named as the API names it — `name` or `name[param=value,…]` — split into its name
/// and the parameters given, as text and not yet checked against the plugin (dashboard panels
/// name the metric behind their figures this way, and pages link to its records).
pub fn parse_metric_name(field: &'static str, text: &str) -> Result<(String, Vec<(String, String)>), AnalyticsError> {
    let spec = parse_spec(field, text)?;
    Ok((spec.name, spec.given))
}

/// A metric resolved for this tenant: the plan that computes it and its parameters.
struct Resolved {
    spec: MetricSpec,
    plan: CallPlan,
    params: Vec<Param>,
}

fn resolve(
    state: &Services,
    (tenant, floor): (&str, u32),
    subject: &str,
    field: &'static str,
    spec: MetricSpec,
) -> Result<Resolved, AnalyticsError> {
    let plan = state
        .deployments
        .plan_of_kind(&state.registry, (tenant, &spec.name, subject), PluginKind::Metric)
        .map_err(|source| AnalyticsError::Plan { field, source })?;
    let info = &plan.serve.info;
    if let Some((unknown, _)) = spec.given.iter().find(|(k, _)| !info.params.iter().any(|p| &p.name == k)) {
        return Err(AnalyticsError::UnknownParameter { field, metric: spec.name.clone(), name: unknown.clone() });
    }
    let mut params = Vec::new();
    for declared in &info.params {
        let value = match spec.given.iter().find(|(k, _)| k == &declared.name) {
            Some((_, text)) => parse_param(&declared.name, declared.type_, text)?,
            None => declared.default.clone(),
        };
        params.push(Param { name: declared.name.clone(), value });
    }
    hold_to_floor(&mut params, spec.given.iter().any(|(k, _)| k == MIN_RESPONSES), floor)?;
    Ok(Resolved { spec, plan, params })
}

/// A metric named as the correlation routes name it (`name` or `name[param=value,…]`), with
/// `extra` parameters given as text besides, resolved to the plan that computes it and every
/// parameter it runs with (the tenant's privacy floor applied).
pub fn resolve_named(
    state: &Services,
    tenant: &Tenant,
    subject: &str,
    text: &str,
    extra: Vec<(String, String)>,
) -> Result<(CallPlan, Vec<Param>), AnalyticsError> {
    let mut spec = parse_spec("name", text)?;
    spec.given.extend(extra);
    let resolved = resolve(state, (&tenant.id, tenant.min_group_size), subject, "name", spec)?;
    Ok((resolved.plan, resolved.params))
}

/// What both correlation routes share: the period bounds, every metric's series and the
/// tenant's privacy floor.
pub struct Computed {
    bounds: Vec<NaiveDate>,
    series: HashMap<String, Series>,
    /// Metrics built on employee survey answers (they declare `min_responses`): only their
    /// figures are held to the privacy floor; a shift or evaluation count is not a respondent.
    surveyed: HashSet<String>,
    pub min_group: u32,
}

/// Level, period and range of a correlation, checked together with its lag.
pub struct Scope {
    pub level: Level,
    pub period: Period,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Scope {
    pub fn new(
        level: Level,
        period: Period,
        from: NaiveDate,
        to: NaiveDate,
        lag: usize,
    ) -> Result<Scope, AnalyticsError> {
        if lag > MAX_LAG {
            return Err(AnalyticsError::LagTooLong(lag));
        }
        if (to - from).num_days() > 7 * MAX_PERIODS as i64 {
            return Err(AnalyticsError::TooManyPeriods);
        }
        Ok(Scope { level, period, from, to })
    }
}

/// Resolves every metric named in `metrics` (each once) and computes its series over the
/// scope (see [`metric_series`]). Blocking: it runs plugins.
pub fn compute_series(
    state: &Services,
    tenant: &Tenant,
    subject: &str,
    scope: &Scope,
    metrics: Vec<(&'static str, String)>,
    limits: PluginLimits,
) -> Result<Computed, AnalyticsError> {
    let mut resolved: Vec<Resolved> = Vec::new();
    for (field, text) in metrics {
        if resolved.iter().any(|r| r.spec.text == text) {
            continue;
        }
        let spec = parse_spec(field, &text)?;
        resolved.push(resolve(state, (&tenant.id, tenant.min_group_size), subject, field, spec)?);
    }
    let bounds = period_bounds(scope.period, scope.from, scope.to);
    let db = state.tenants.get(&tenant.id)?;
    let surveyed = resolved
        .iter()
        .filter(|m| m.params.iter().any(|p| p.name == MIN_RESPONSES))
        .map(|m| m.spec.text.clone())
        .collect();
    let computed = in_parallel(&resolved, |metric| {
        let context = state.call_context(&tenant.id, &metric.spec.name, db.clone(), limits);
        metric_series(&context, &metric.plan, &metric.params, (scope.level.group_by(), scope.period), &bounds)
    });
    let mut series = HashMap::new();
    for (metric, computed) in resolved.iter().zip(computed) {
        series.insert(metric.spec.text.clone(), computed?);
    }
    Ok(Computed { bounds, series, surveyed, min_group: tenant.min_group_size })
}

impl Computed {
    /// The respondents an employee cell of `ex` needs to be shown: the privacy floor for
    /// survey metrics, none for the others.
    fn floor(&self, ex: &str) -> u32 {
        if self.surveyed.contains(ex) { self.min_group } else { 0 }
    }
}

/// Metrics whose series are computed at once (and matrix cells paired at once). DuckDB runs
/// each query on every core, but the plugin's side of a call (building and passing the rows)
/// runs on one; two metrics in flight keep both cores of a small server busy.
const SERIES_WORKERS: usize = 2;

/// `work` on every item on up to [`SERIES_WORKERS`] threads (each inside the caller's Tokio
/// runtime, which plugin calls need for their query deadlines); results in item order.
fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let runtime = tokio::runtime::Handle::try_current().ok();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..SERIES_WORKERS.min(items.len()) {
            scope.spawn(|| {
                let _inside = runtime.as_ref().map(|r| r.enter());
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = work(item);
                    done.lock().unwrap_or_else(|e| e.into_inner()).push((index, result));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// One correlation cell: `ex` against `cx` taken `lag` periods later, with the privacy floor
/// applied to survey-based employee figures.
pub fn cell(computed: &Computed, cx: &str, ex: &str, lag: usize) -> Result<(Paired, Correlation), AnalyticsError> {
    let paired = pair(&computed.series[ex], &computed.series[cx], lag, &computed.bounds, computed.floor(ex));
    let x: Vec<f64> = paired.points.iter().map(|p| p.ex).collect();
    let y: Vec<f64> = paired.points.iter().map(|p| p.cx).collect();
    let stats = correlate(&x, &y)?;
    Ok((paired, stats))
}

/// A matrix's cells, each `ex` against each `cx` (employee metric by employee metric), as
/// (withheld employee cells, correlation): [`cell`] without the points, on two threads.
/// Blocking: a year by agent pairs a million cells per pair of metrics.
pub fn matrix_cells(
    computed: &Computed,
    cx: &[String],
    ex: &[String],
    lag: usize,
) -> Result<Vec<(usize, Correlation)>, AnalyticsError> {
    let pairs: Vec<(&String, &String)> = ex.iter().flat_map(|e| cx.iter().map(move |c| (e, c))).collect();
    in_parallel(&pairs, |(e, c)| {
        let (x, y, withheld) = pair_values(&computed.series[*e], &computed.series[*c], lag, computed.floor(e));
        Ok((withheld, correlate(&x, &y)?))
    })
    .into_iter()
    .collect()
}

/// Splits a comma-separated metric list, keeping commas inside `[…]`.
pub fn split_metrics(text: &str) -> Vec<String> {
    let (mut out, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_string());
    out.into_iter().filter(|m| !m.is_empty()).collect()
}

/// Checks a matrix side names 1 to [`MAX_MATRIX_SIDE`] metrics.
pub fn check_matrix_side(field: &'static str, metrics: &[String]) -> Result<(), AnalyticsError> {
    if metrics.is_empty() || metrics.len() > MAX_MATRIX_SIDE {
        return Err(AnalyticsError::MatrixSide { field, count: metrics.len() });
    }
    Ok(())
}
