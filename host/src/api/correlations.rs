//! CX–EX correlation: a customer metric against an employee metric at agent, team or site
//! level, per week or month, with the employee figure taken `lag` periods before the customer
//! one.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use super::metrics::parse_range;
use super::{ApiError, AppState, Caller, Services};
use std::collections::HashMap;

use crate::analytics::correlation::{Coefficient, Correlation, correlate};
use crate::analytics::series::{Paired, Period, Point, Series, metric_series, pair, period_bounds};
use crate::auth::Action;
use crate::config::PluginLimits;
use crate::deploy::CallPlan;
use crate::runtime::bindings::GroupBy;
use crate::runtime::bindings::{Param, ParamValue, PluginKind};
use crate::store::system::Tenant;
use chrono::NaiveDate;

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
    fn group_by(self) -> GroupBy {
        match self {
            Level::Agent => GroupBy::Agent,
            Level::Team => GroupBy::Team,
            Level::Site => GroupBy::Site,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CorrelationQuery {
    /// Customer metric: any metric plugin the tenant can query, e.g. csat, nps, ces, fcr, aht;
    /// parameters as `name[param=value,…]`.
    pub cx: String,
    /// Employee metric, e.g. enps, `survey_item[item=wellbeing]` or a tenant's own plugin.
    pub ex: String,
    /// agent, team or site.
    #[param(value_type = String)]
    pub level: Level,
    /// week or month.
    #[param(value_type = String)]
    pub period: Period,
    /// Start (inclusive), RFC 3339 or YYYY-MM-DD; widened to its period's start.
    pub from: String,
    /// End (exclusive).
    pub to: String,
    /// The customer figure is taken this many periods after the employee one (0–12, default 0).
    pub lag: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CorrelationResponse {
    pub cx: String,
    pub ex: String,
    /// Employee figure on x, customer figure on y.
    pub n: usize,
    pub pearson: Option<Coefficient>,
    pub spearman: Option<Coefficient>,
    pub lag: usize,
    /// Employee figures left out because fewer than `min_group` people answered.
    pub withheld_groups: usize,
    pub min_group: u32,
    /// The paired points, for a scatter plot.
    pub points: Vec<Point>,
}

/// A metric as the correlation routes name it: `name` or `name[param=value,…]`, e.g.
/// `survey_item[item=wellbeing]`.
struct MetricSpec {
    text: String,
    name: String,
    given: Vec<(String, String)>,
}

fn parse_spec(field: &str, text: &str) -> Result<MetricSpec, ApiError> {
    let bad = |why: &str| {
        ApiError::bad_request(
            "invalid_parameter",
            format!("`{field}` = `{text}`: {why}; write name or name[param=value,…]"),
        )
        .with_field(field)
    };
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

/// A metric resolved for this tenant: the plan that computes it and its parameters.
struct Resolved {
    spec: MetricSpec,
    plan: CallPlan,
    params: Vec<Param>,
}

/// The plugin parameter through which employee metrics withhold small groups.
const MIN_RESPONSES: &str = "min_responses";

fn resolve(
    state: &Services,
    (tenant, floor): (&str, u32),
    subject: &str,
    field: &str,
    spec: MetricSpec,
) -> Result<Resolved, ApiError> {
    let plan = state.deployments.plan(&state.registry, tenant, &spec.name, subject).ok_or_else(|| {
        ApiError::not_found("metric_not_found", format!("tenant `{tenant}` has no metric `{}`", spec.name))
            .with_field(field)
    })?;
    let info = &plan.serve.info;
    if plan.serve.kind() != PluginKind::Metric {
        return Err(super::metrics::not_a_metric(tenant, &plan.serve).with_field(field));
    }
    if let Some((unknown, _)) = spec.given.iter().find(|(k, _)| !info.params.iter().any(|p| &p.name == k)) {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("metric `{}` has no parameter `{unknown}`", spec.name),
        )
        .with_field(field));
    }
    let mut params = Vec::new();
    for declared in &info.params {
        let mut value = match spec.given.iter().find(|(k, _)| k == &declared.name) {
            Some((_, text)) => super::metrics::parse_param(&declared.name, declared.type_, text)?,
            None => declared.default.clone(),
        };
        // The tenant's privacy floor binds every metric that withholds small groups.
        if declared.name == MIN_RESPONSES
            && let ParamValue::Integer(n) = value
            && n < i64::from(floor)
        {
            if spec.given.iter().any(|(k, _)| k == MIN_RESPONSES) {
                return Err(ApiError::bad_request(
                    "below_privacy_floor",
                    format!("{MIN_RESPONSES} = {n} is below this tenant's minimum group size of {floor}"),
                )
                .with_field(MIN_RESPONSES));
            }
            value = ParamValue::Integer(i64::from(floor));
        }
        params.push(Param { name: declared.name.clone(), value });
    }
    Ok(Resolved { spec, plan, params })
}

/// A metric named as the correlation routes name it (`name` or `name[param=value,…]`), with
/// `extra` parameters given as text besides, resolved to the plan that computes it and every
/// parameter it runs with (the tenant's privacy floor applied).
pub(crate) fn resolve_named(
    state: &Services,
    tenant: &Tenant,
    subject: &str,
    text: &str,
    extra: Vec<(String, String)>,
) -> Result<(CallPlan, Vec<Param>), ApiError> {
    let mut spec = parse_spec("name", text)?;
    spec.given.extend(extra);
    let resolved = resolve(state, (&tenant.id, tenant.min_group_size), subject, "name", spec)?;
    Ok((resolved.plan, resolved.params))
}

/// What both correlation routes share: the period bounds, every metric's series and the
/// tenant's privacy floor.
pub(crate) struct Computed {
    bounds: Vec<chrono::NaiveDate>,
    series: HashMap<String, Series>,
    /// Metrics built on employee survey answers (they declare `min_responses`): only their
    /// figures are held to the privacy floor; a shift or evaluation count is not a respondent.
    surveyed: std::collections::HashSet<String>,
    pub(crate) min_group: u32,
}

/// Level, period and range of a correlation, checked together with its lag.
pub(crate) struct Scope {
    pub level: Level,
    pub period: Period,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Scope {
    pub(crate) fn new(
        level: Level,
        period: Period,
        from: NaiveDate,
        to: NaiveDate,
        lag: usize,
    ) -> Result<Scope, ApiError> {
        if lag > MAX_LAG {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("lag must be 0 to {MAX_LAG} periods, got {lag}"),
            )
            .with_field("lag"));
        }
        if (to - from).num_days() > 7 * MAX_PERIODS as i64 {
            return Err(ApiError::bad_request(
                "invalid_range",
                format!("a correlation may span at most {MAX_PERIODS} periods; narrow `from`–`to`"),
            )
            .with_field("to"));
        }
        Ok(Scope { level, period, from, to })
    }
}

/// Resolves every metric named in `metrics` (each once) and computes its series over the
/// scope, one period at a time. Blocking: it runs plugins.
pub(crate) fn compute_series(
    state: &Services,
    tenant: &Tenant,
    subject: &str,
    scope: &Scope,
    metrics: Vec<(&'static str, String)>,
    limits: PluginLimits,
) -> Result<Computed, ApiError> {
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
        metric_series(&context, &metric.plan, &metric.params, scope.level.group_by(), &bounds)
    });
    let mut series = HashMap::new();
    for (metric, computed) in resolved.iter().zip(computed) {
        series.insert(metric.spec.text.clone(), computed?);
    }
    Ok(Computed { bounds, series, surveyed, min_group: tenant.min_group_size })
}

/// Metrics whose series are computed at once. DuckDB runs each query on every core, but the
/// plugin's side of a call (building and passing the rows) runs on one; two metrics in flight
/// keep both cores of a small server busy.
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

/// Checks the caller and the common query parameters, then computes the series off the
/// async runtime.
async fn compute(
    state: &AppState,
    caller: &Caller,
    tenant_id: &str,
    common: &Common,
    metrics: Vec<(&'static str, String)>,
) -> Result<Computed, ApiError> {
    let tenant = caller.require(state, Action::Query, tenant_id)?;
    let (from, to) = parse_range(&common.from, &common.to)?;
    let scope = Scope::new(common.level, common.period, from.date_naive(), to.date_naive(), common.lag)?;
    let limits = state.limits_of(&tenant);
    let admitted = state.admit(&tenant).await?;
    let (worker, subject) = (state.clone(), caller.0.actor());
    tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        compute_series(&worker, &tenant, &subject, &scope, metrics, limits)
    })
    .await?
}

/// The query parameters both correlation routes take besides the metrics.
struct Common {
    level: Level,
    period: Period,
    from: String,
    to: String,
    lag: usize,
}

pub(crate) fn cell(computed: &Computed, cx: &str, ex: &str, lag: usize) -> Result<(Paired, Correlation), ApiError> {
    let floor = if computed.surveyed.contains(ex) { computed.min_group } else { 0 };
    let paired = pair(&computed.series[ex], &computed.series[cx], lag, &computed.bounds, floor);
    let x: Vec<f64> = paired.points.iter().map(|p| p.ex).collect();
    let y: Vec<f64> = paired.points.iter().map(|p| p.cx).collect();
    let stats = correlate(&x, &y).map_err(|e| ApiError::internal(format!("correlation: {e}")))?;
    Ok((paired, stats))
}

/// Correlate an employee metric with a customer metric (Pearson and Spearman, n, two-sided
/// p-value, 95% interval), with the paired points.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/correlations", tag = "analytics",
    params(("tenant" = String, Path), CorrelationQuery),
    responses((status = 429, body = super::error::Problem, description = "the tenant's places for plugin requests and its queue are taken; retry after `Retry-After` seconds"), (status = 200, body = CorrelationResponse), (status = 400, body = super::error::Problem),
        (status = 404, body = super::error::Problem, description = "no such metric")),
    security(("api_key" = [])))]
pub async fn correlate_metrics(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    ApiQuery(query): ApiQuery<CorrelationQuery>,
) -> Result<Json<CorrelationResponse>, ApiError> {
    let common = Common {
        level: query.level,
        period: query.period,
        from: query.from,
        to: query.to,
        lag: query.lag.unwrap_or(0),
    };
    let metrics = vec![("ex", query.ex.clone()), ("cx", query.cx.clone())];
    let computed = compute(&state, &caller, &tenant_id, &common, metrics).await?;
    let (paired, stats) = cell(&computed, &query.cx, &query.ex, common.lag)?;
    Ok(Json(CorrelationResponse {
        cx: query.cx,
        ex: query.ex,
        n: stats.n,
        pearson: stats.pearson,
        spearman: stats.spearman,
        lag: common.lag,
        withheld_groups: paired.withheld,
        min_group: computed.min_group,
        points: paired.points,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MatrixQuery {
    /// Customer metrics, comma-separated; each `name` or `name[param=value,…]`.
    pub cx: String,
    /// Employee metrics, comma-separated, e.g. `enps,survey_item[item=wellbeing]`.
    pub ex: String,
    #[param(value_type = String)]
    pub level: Level,
    #[param(value_type = String)]
    pub period: Period,
    pub from: String,
    pub to: String,
    pub lag: Option<usize>,
}

/// One cell of the matrix.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixCell {
    pub cx: String,
    pub ex: String,
    pub n: usize,
    pub pearson: Option<Coefficient>,
    pub spearman: Option<Coefficient>,
    pub withheld_groups: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixResponse {
    pub cx: Vec<String>,
    pub ex: Vec<String>,
    pub lag: usize,
    pub min_group: u32,
    /// Row-major: every employee metric against every customer metric.
    pub cells: Vec<MatrixCell>,
}

/// Splits a comma-separated metric list, keeping commas inside `[…]`.
fn split_metrics(text: &str) -> Vec<String> {
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

/// Every employee metric against every customer metric: n, Pearson and Spearman per cell.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/correlations/matrix", tag = "analytics",
    params(("tenant" = String, Path), MatrixQuery),
    responses((status = 429, body = super::error::Problem, description = "the tenant's places for plugin requests and its queue are taken; retry after `Retry-After` seconds"), (status = 200, body = MatrixResponse), (status = 400, body = super::error::Problem)),
    security(("api_key" = [])))]
pub async fn matrix(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    ApiQuery(query): ApiQuery<MatrixQuery>,
) -> Result<Json<MatrixResponse>, ApiError> {
    let (cx, ex) = (split_metrics(&query.cx), split_metrics(&query.ex));
    for (field, list) in [("cx", &cx), ("ex", &ex)] {
        if list.is_empty() || list.len() > MAX_MATRIX_SIDE {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("`{field}` must name 1 to {MAX_MATRIX_SIDE} metrics, got {}", list.len()),
            )
            .with_field(field));
        }
    }
    let common = Common {
        level: query.level,
        period: query.period,
        from: query.from,
        to: query.to,
        lag: query.lag.unwrap_or(0),
    };
    let metrics = ex.iter().map(|m| ("ex", m.clone())).chain(cx.iter().map(|m| ("cx", m.clone()))).collect();
    let computed = compute(&state, &caller, &tenant_id, &common, metrics).await?;
    let mut cells = Vec::new();
    for e in &ex {
        for c in &cx {
            let (paired, stats) = cell(&computed, c, e, common.lag)?;
            cells.push(MatrixCell {
                cx: c.clone(),
                ex: e.clone(),
                n: stats.n,
                pearson: stats.pearson,
                spearman: stats.spearman,
                withheld_groups: paired.withheld,
            });
        }
    }
    Ok(Json(MatrixResponse { cx, ex, lag: common.lag, min_group: computed.min_group, cells }))
}
