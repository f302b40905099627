//! CX–EX correlation: a customer metric against an employee metric at agent, team or site
//! level, per week or month, with the employee figure taken `lag` periods before the customer
//! one.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState, Caller, TenantPath, Time};
use crate::analytics::correlation::Coefficient;
use crate::analytics::cxex::{
    Computed, Level, Scope, cell, check_matrix_side, compute_series, matrix_cells, split_metrics,
};
use crate::analytics::series::{Period, Point};
use crate::auth::Action;
use crate::params::parse_range;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CorrelationQuery {
    /// Customer metric: any metric plugin the tenant can query, e.g. csat, nps, ces, fcr, aht;
    /// parameters as `name[param=value,…]`.
    #[param(
        pattern = r"^[a-z0-9_]{1,64}(\[[a-z0-9_]{1,64}=[^,\[\]]*(,[a-z0-9_]{1,64}=[^,\[\]]*)*\])?$",
        example = "csat"
    )]
    pub cx: String,
    /// Employee metric, e.g. enps, `survey_item[item=wellbeing]` or a tenant's own plugin.
    #[param(
        pattern = r"^[a-z0-9_]{1,64}(\[[a-z0-9_]{1,64}=[^,\[\]]*(,[a-z0-9_]{1,64}=[^,\[\]]*)*\])?$",
        example = "enps"
    )]
    pub ex: String,
    /// agent, team or site.
    #[param(inline)]
    pub level: Level,
    /// week or month.
    #[param(inline)]
    pub period: Period,
    /// Start (inclusive); widened to its period's start.
    #[param(value_type = Time, inline)]
    pub from: String,
    /// End (exclusive); after `from`, and at most 261 weeks later.
    #[param(value_type = Time, inline)]
    pub to: String,
    /// The customer figure is taken this many periods after the employee one (0–12, default 0).
    #[param(minimum = 0, maximum = 12)]
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
    let computed = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        compute_series(&worker, &tenant, &subject, &scope, metrics, limits)
    })
    .await??;
    Ok(computed)
}

/// The query parameters both correlation routes take besides the metrics.
struct Common {
    level: Level,
    period: Period,
    from: String,
    to: String,
    lag: usize,
}

/// Correlate an employee metric with a customer metric (Pearson and Spearman, n, two-sided
/// p-value, 95% interval), with the paired points.
#[utoipa::path(get, path = "/tenants/{tenant}/correlations", tag = "analytics",
    params(TenantPath, CorrelationQuery),
    responses((status = 200, body = CorrelationResponse, description = "the coefficients and the paired points"), Keyed,
        BadRequest, NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn correlate_metrics(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
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
    let min_group = computed.min_group;
    let (cx, ex, lag) = (query.cx.clone(), query.ex.clone(), common.lag);
    let (paired, stats) = tokio::task::spawn_blocking(move || cell(&computed, &cx, &ex, lag)).await??;
    Ok(Json(CorrelationResponse {
        cx: query.cx,
        ex: query.ex,
        n: stats.n,
        pearson: stats.pearson,
        spearman: stats.spearman,
        lag: common.lag,
        withheld_groups: paired.withheld,
        min_group,
        points: paired.points,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// Customer metrics, 1 to 12, comma-separated; each `name` or `name[param=value,…]`.
    #[param(
        pattern = r"^[a-z0-9_]{1,64}(\[[a-z0-9_]{1,64}=[^,\[\]]*(,[a-z0-9_]{1,64}=[^,\[\]]*)*\])?(,[a-z0-9_]{1,64}(\[[a-z0-9_]{1,64}=[^,\[\]]*(,[a-z0-9_]{1,64}=[^,\[\]]*)*\])?){0,11}$",
        example = "csat,nps"
    )]
    pub cx: String,
    /// Employee metrics, 1 to 12, comma-separated, e.g. `enps,survey_item[item=wellbeing]`.
    #[param(
        pattern = r"^[a-z0-9_]{1,64}(\[[a-z0-9_]{1,64}=[^,\[\]]*(,[a-z0-9_]{1,64}=[^,\[\]]*)*\])?(,[a-z0-9_]{1,64}(\[[a-z0-9_]{1,64}=[^,\[\]]*(,[a-z0-9_]{1,64}=[^,\[\]]*)*\])?){0,11}$",
        example = "enps"
    )]
    pub ex: String,
    /// agent, team or site.
    #[param(inline)]
    pub level: Level,
    /// week or month.
    #[param(inline)]
    pub period: Period,
    /// Start (inclusive); widened to its period's start.
    #[param(value_type = Time, inline)]
    pub from: String,
    /// End (exclusive); after `from`, and at most 261 weeks later.
    #[param(value_type = Time, inline)]
    pub to: String,
    /// The customer figure is taken this many periods after the employee one (0–12, default 0).
    #[param(minimum = 0, maximum = 12)]
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

/// Every employee metric against every customer metric: n, Pearson and Spearman per cell.
#[utoipa::path(get, path = "/tenants/{tenant}/correlations/matrix", tag = "analytics",
    params(TenantPath, MatrixQuery),
    responses((status = 200, body = MatrixResponse, description = "one cell per pair of metrics"), Keyed, BadRequest,
        NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn matrix(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<MatrixQuery>,
) -> Result<Json<MatrixResponse>, ApiError> {
    let (cx, ex) = (split_metrics(&query.cx), split_metrics(&query.ex));
    check_matrix_side("cx", &cx)?;
    check_matrix_side("ex", &ex)?;
    let common = Common {
        level: query.level,
        period: query.period,
        from: query.from,
        to: query.to,
        lag: query.lag.unwrap_or(0),
    };
    let metrics = ex.iter().map(|m| ("ex", m.clone())).chain(cx.iter().map(|m| ("cx", m.clone()))).collect();
    let computed = compute(&state, &caller, &tenant_id, &common, metrics).await?;
    let min_group = computed.min_group;
    let (cx, ex, stats) = tokio::task::spawn_blocking(move || {
        let stats = matrix_cells(&computed, &cx, &ex, common.lag);
        (cx, ex, stats)
    })
    .await?;
    let pairs = ex.iter().flat_map(|e| cx.iter().map(move |c| (e, c)));
    let cells = pairs
        .zip(stats?)
        .map(|((e, c), (withheld, stats))| MatrixCell {
            cx: c.clone(),
            ex: e.clone(),
            n: stats.n,
            pearson: stats.pearson,
            spearman: stats.spearman,
            withheld_groups: withheld,
        })
        .collect();
    Ok(Json(MatrixResponse { cx, ex, lag: common.lag, min_group, cells }))
}
