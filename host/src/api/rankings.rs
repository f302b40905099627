//! Fair rankings and quartiles over HTTP: agents ranked raw and adjusted for their mix of
//! records (`analytics::ranking`), and the quartiles of that ranking with the uplift of the
//! bottom half in units and money (`analytics::quartiles`).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiPath, ApiQuery};
use super::metrics::{PluginRef, rfc3339};
use super::{ApiError, AppState, Caller, TenantPath, Time};
use crate::analytics::quartiles::{self, Basis, By, QuartileGroup};
use crate::analytics::ranking::{
    self, Adjust, AgentRanking, RankAsk, Ranking, Statistics, TenantFigure, parse_adjust, parse_min_sample,
};
use crate::analytics::records::RecordsSource;
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::metric_calls::{MetricCall, MetricError};
use crate::problem::Failure;
use crate::store::metric_values::MetricValue;

/// The agents of a metric ranked raw and adjusted for their mix.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankingResponse {
    pub metric: String,
    /// The version whose records were ranked (the one serving this caller).
    pub plugin: PluginRef,
    pub served_as: ServedAs,
    pub unit: String,
    /// Whether a higher value is better: rank 1 is the highest value if so, the lowest if not.
    pub higher_is_better: bool,
    pub from: String,
    pub to: String,
    /// Every parameter the plugin ran with (given or default).
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, Value>,
    /// The columns adjusted for (their cells' tenant-wide rates give each record's expected part).
    pub adjust: Vec<Adjust>,
    /// The tenure bands, when tenure is adjusted for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenure_bands: Option<Vec<String>>,
    /// Records an agent needs to be ranked.
    pub min_sample: u32,
    /// The tenant's figure over every counted record.
    pub tenant: TenantFigure,
    pub statistics: Statistics,
    /// The method, stated.
    pub method: String,
    /// What changes how to read this ranking (every score 0, nobody ranked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Ranked agents by adjusted rank, then the unranked.
    pub agents: Vec<AgentRanking>,
}

/// The quartiles of a ranking and the uplift of its bottom half.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuartilesResponse {
    pub metric: String,
    pub plugin: PluginRef,
    pub served_as: ServedAs,
    pub unit: String,
    pub higher_is_better: bool,
    pub from: String,
    pub to: String,
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, Value>,
    /// Sorted by the raw or the adjusted value.
    pub basis: Basis,
    /// Tenant-wide, or each team apart.
    pub by: By,
    pub adjust: Vec<Adjust>,
    pub min_sample: u32,
    /// The tenant's figure over every counted record.
    pub tenant: TenantFigure,
    /// Agents below `min_sample`, in no quartile.
    pub unranked: u32,
    /// What a unit of the metric is worth to the tenant, if it said.
    pub value: Option<MetricValue>,
    /// The quartiles' choices, stated.
    pub method: String,
    /// The ranking's method (for the adjusted basis).
    pub ranking_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub groups: Vec<QuartileGroup>,
}

/// The query of a ranking: the metric, its range and parameters, what to adjust for and the
/// smallest sample ranked.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RankingQuery {
    /// The metric to rank by; its plugin must open to its records.
    #[param(example = "aht")]
    metric: String,
    /// Start (inclusive).
    #[param(value_type = Time, inline)]
    from: String,
    /// End (exclusive); after `from`.
    #[param(value_type = Time, inline)]
    to: String,
    /// What to adjust for, comma-separated: `queue`, `contact_reason`, `channel`, `tenure`; or
    /// `none`. Default `queue,contact_reason,channel` (tenure only when asked).
    #[param(
        pattern = r"^(none|(queue|contact_reason|channel|tenure)(,(queue|contact_reason|channel|tenure))*)?$",
        example = "queue,contact_reason,channel"
    )]
    adjust: Option<String>,
    /// Records an agent needs to be ranked (default 30).
    #[param(minimum = 1, maximum = 1_000_000)]
    min_sample: Option<u32>,
    /// Who the canary share is decided for (default: the API key).
    subject: Option<String>,
}

/// The query of quartiles: a ranking's, and which value and populations.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct QuartilesQuery {
    /// The metric; its plugin must open to its records.
    #[param(example = "aht")]
    metric: String,
    /// Start (inclusive).
    #[param(value_type = Time, inline)]
    from: String,
    /// End (exclusive); after `from`.
    #[param(value_type = Time, inline)]
    to: String,
    /// `raw` (default) or `adjusted`: the value agents are sorted by.
    #[param(value_type = Option<Basis>, inline)]
    basis: Option<String>,
    /// `tenant` (default) or `team`: one population or each team apart.
    #[param(value_type = Option<By>, inline)]
    by: Option<String>,
    /// As for rankings.
    #[param(pattern = r"^(none|(queue|contact_reason|channel|tenure)(,(queue|contact_reason|channel|tenure))*)?$")]
    adjust: Option<String>,
    /// Records an agent needs to be ranked, and so to be in a quartile (default 30).
    #[param(minimum = 1, maximum = 1_000_000)]
    min_sample: Option<u32>,
    /// Who the canary share is decided for (default: the API key).
    subject: Option<String>,
}

const RANKING_PARAMS: &str = "metric, from, to, adjust, min_sample";
const QUARTILE_PARAMS: &str = "metric, from, to, basis, by, adjust, min_sample";

/// A ranking computed for a route, with what it was computed from.
struct Ranked {
    call: MetricCall,
    source: RecordsSource,
    ranking: Ranking,
    value: Option<MetricValue>,
}

/// Reads the ranking's own parameters out of `query`, prepares the metric's call by agent and
/// ranks its records (and, with `valued`, reads the tenant's value of the metric).
async fn ranked(
    state: &AppState,
    caller: &Caller,
    tenant_id: &str,
    mut query: HashMap<String, String>,
    accepted: &str,
    valued: bool,
) -> Result<Ranked, ApiError> {
    let tenant = caller.require(state, Action::Query, tenant_id)?;
    let metric = query.remove("metric").ok_or_else(|| {
        Failure::bad_request("missing_parameter", "query parameter `metric` is required: the metric to rank by")
            .with_field("metric")
    })?;
    let adjust = parse_adjust(query.remove("adjust").as_deref())?;
    let min_sample = parse_min_sample(query.remove("min_sample").as_deref())?;
    if let Some(group_by) = query.remove("group_by")
        && group_by != "agent"
    {
        return Err(Failure::bad_request(
            "invalid_parameter",
            format!("rankings and quartiles are of agents: group_by `{group_by}` cannot be asked"),
        )
        .with_field("group_by"));
    }
    query.insert("group_by".into(), "agent".into());
    let call =
        MetricCall::prepare_with(state, &tenant, &metric, &caller.0.actor(), query, accepted).map_err(|e| match e {
            MetricError::Plan(plan) => Failure::from(plan).with_field("metric"),
            other => Failure::from(other),
        })?;
    let limits = state.limits_of(&tenant);
    let admitted = state.admit(&tenant).await?;
    let db = state.tenants.get(tenant_id)?;
    let worker = state.clone();
    let ask = RankAsk { adjust, min_sample };
    let tenant_key = tenant_id.to_string();
    tokio::task::spawn_blocking(move || -> Result<Ranked, ApiError> {
        let _admitted = admitted;
        let source = RecordsSource::ask(&worker, &call, (None, true), db, limits)?;
        let ranking = ranking::rank(&worker, &source, &ask)?;
        let value = if valued { worker.system.metric_value(&tenant_key, &call.name)? } else { None };
        Ok(Ranked { call, source, ranking, value })
    })
    .await?
}

/// Rank agents by how they did against what their own mix of contacts leads one to expect:
/// each record's expected part from the tenant-wide rate of its cell (queue × contact reason ×
/// channel, tenure bands on request), the agent's residual shrunk towards 0 by empirical Bayes
/// (k = within ÷ between variance) with a 95% interval, raw and adjusted value and rank side by
/// side; agents below `min_sample` records listed unranked. Works for any metric whose plugin
/// opens to its records; the metric's own parameters go in the same query string.
#[utoipa::path(get, path = "/tenants/{tenant}/rankings", tag = "analytics", operation_id = "fair_ranking",
    params(TenantPath, RankingQuery),
    responses((status = 200, body = RankingResponse, description = "the agents, raw and adjusted"), Keyed, BadRequest,
        NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn rankings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<RankingResponse>, ApiError> {
    let Ranked { call, source, ranking, .. } = ranked(&state, &caller, &tenant, query, RANKING_PARAMS, false).await?;
    Ok(Json(RankingResponse {
        metric: call.name.clone(),
        plugin: PluginRef::of(&state.registry, &source.plugin),
        served_as: call.plan.served_as,
        unit: source.query.unit.clone(),
        higher_is_better: ranking.higher_is_better,
        from: rfc3339(call.from),
        to: rfc3339(call.to),
        params: call.params.clone(),
        adjust: ranking.adjust,
        tenure_bands: ranking.tenure_bands,
        min_sample: ranking.min_sample,
        tenant: ranking.tenant,
        statistics: ranking.statistics,
        method: ranking.method,
        note: ranking.note,
        agents: ranking.agents,
    }))
}

/// The quartiles of a ranking (raw or adjusted values; tenant-wide or per team): each
/// quartile's boundary, members and plain mean, and the uplift if every agent of the third
/// quartile reached the second's mean and every agent of the fourth the third's — in the
/// numerator's units, as the change of the figure, and in money where the tenant valued the
/// metric (`PUT …/metric-values/{metric}`).
#[utoipa::path(get, path = "/tenants/{tenant}/quartiles", tag = "analytics", operation_id = "metric_quartiles",
    params(TenantPath, QuartilesQuery),
    responses((status = 200, body = QuartilesResponse, description = "the quartiles and the uplift"), Keyed,
        BadRequest, NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn quartiles_of(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiQuery(mut query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<QuartilesResponse>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let basis = quartiles::parse_basis(query.remove("basis").as_deref())?;
    let by = quartiles::parse_by(query.remove("by").as_deref())?;
    let Ranked { call, source, ranking, value } =
        ranked(&state, &caller, &tenant, query, QUARTILE_PARAMS, true).await?;
    let unit = source.query.unit.clone();
    let q = quartiles::quartiles(&ranking, &unit, basis, by, value.as_ref());
    Ok(Json(QuartilesResponse {
        metric: call.name.clone(),
        plugin: PluginRef::of(&state.registry, &source.plugin),
        served_as: call.plan.served_as,
        unit,
        higher_is_better: ranking.higher_is_better,
        from: rfc3339(call.from),
        to: rfc3339(call.to),
        params: call.params.clone(),
        basis: q.basis,
        by: q.by,
        adjust: ranking.adjust,
        min_sample: ranking.min_sample,
        tenant: ranking.tenant,
        unranked: q.unranked,
        value,
        method: q.method,
        ranking_method: ranking.method,
        note: ranking.note,
        groups: q.groups,
    }))
}
