//! CX–EX correlation: a customer metric against an employee metric at agent, team or site
//! level, per week or month, with the employee figure taken `lag` periods before the customer
//! one.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::metrics::parse_time;
use super::{ApiError, AppState, Caller};
use crate::analytics::correlation::{Coefficient, correlate};
use crate::analytics::series::{Period, Point, metric_series, pair, period_bounds};
use crate::auth::Action;
use crate::deploy::call::CallContext;
use crate::runtime::bindings::GroupBy;

/// Employee figures for fewer respondents than this are never shown or used.
pub const DEFAULT_MIN_GROUP: u32 = 5;
/// Longest lag accepted, in periods.
pub const MAX_LAG: usize = 12;

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
    /// Customer metric: any metric plugin the tenant can query, e.g. csat, nps, ces, fcr, aht.
    pub cx: String,
    /// Employee metric, e.g. enps or a tenant's own plugin.
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

/// Correlate an employee metric with a customer metric (Pearson and Spearman, n, two-sided
/// p-value, 95% interval), with the paired points.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/correlations", tag = "analytics",
    params(("tenant" = String, Path), CorrelationQuery),
    responses((status = 200, body = CorrelationResponse), (status = 400, body = super::error::Problem),
        (status = 404, body = super::error::Problem, description = "no such metric")),
    security(("api_key" = [])))]
pub async fn correlate_metrics(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    Query(query): Query<CorrelationQuery>,
) -> Result<Json<CorrelationResponse>, ApiError> {
    let tenant = caller.require(&state, Action::Query, &tenant_id)?;
    let from = parse_time("from", &query.from)?.date_naive();
    let to = parse_time("to", &query.to)?.date_naive();
    if from >= to {
        return Err(ApiError::bad_request("invalid_range", "`from` must be before `to`").with_field("from"));
    }
    let lag = query.lag.unwrap_or(0);
    if lag > MAX_LAG {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!("lag must be 0 to {MAX_LAG} periods, got {lag}"),
        )
        .with_field("lag"));
    }
    let subject = caller.0.actor();
    let plan_of = |field: &str, name: &str| {
        state.deployments.plan(&state.registry, &tenant_id, name, &subject).ok_or_else(|| {
            ApiError::not_found("metric_not_found", format!("tenant `{tenant_id}` has no metric `{name}`"))
                .with_field(field)
        })
    };
    let (cx_plan, ex_plan) = (plan_of("cx", &query.cx)?, plan_of("ex", &query.ex)?);
    let bounds = period_bounds(query.period, from, to);
    let limits = tenant.limits.unwrap_or(state.config.default_limits);
    let db = state.tenants.get(&tenant_id)?;
    let worker = state.clone();
    let (cx_name, ex_name) = (query.cx.clone(), query.ex.clone());
    let level = query.level.group_by();
    let (ex, cx, bounds) = tokio::task::spawn_blocking(move || {
        let context = |name| CallContext {
            runtime: worker.registry.runtime(),
            deployments: &worker.deployments,
            tenant: &tenant_id,
            name,
            db: db.clone(),
            limits,
        };
        let ex = metric_series(&context(&ex_name), &ex_plan, level, &bounds);
        let cx = metric_series(&context(&cx_name), &cx_plan, level, &bounds);
        Ok::<_, crate::runtime::CallError>((ex?, cx?, bounds))
    })
    .await??;
    let paired = pair(&ex, &cx, lag, &bounds, DEFAULT_MIN_GROUP);
    let x: Vec<f64> = paired.points.iter().map(|p| p.ex).collect();
    let y: Vec<f64> = paired.points.iter().map(|p| p.cx).collect();
    let stats = correlate(&x, &y).map_err(|e| ApiError::internal(format!("correlation: {e}")))?;
    Ok(Json(CorrelationResponse {
        cx: query.cx,
        ex: query.ex,
        n: stats.n,
        pearson: stats.pearson,
        spearman: stats.spearman,
        lag,
        withheld_groups: paired.withheld,
        min_group: DEFAULT_MIN_GROUP,
        points: paired.points,
    }))
}
