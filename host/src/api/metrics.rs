//! Metric queries: resolve the tenant's plugin, check the parameters against its
//! `describe()`, run it under the tenant's limits and return rows per group.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState, Caller, GroupByName, PluginPath, Time};
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::deploy::call::FallbackNote;
use crate::metric_calls::MetricCall;
use crate::registry::PluginSource;

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricRowOut {
    pub group: String,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PluginRef {
    pub name: String,
    pub version: String,
    pub hash: String,
    pub source: PluginSource,
}

impl PluginRef {
    /// Which version `plugin` is and where it comes from.
    pub fn of(registry: &crate::registry::Registry, plugin: &crate::runtime::Plugin) -> PluginRef {
        PluginRef {
            name: plugin.info.name.clone(),
            version: plugin.info.version.clone(),
            hash: plugin.hash.clone(),
            source: registry.source_of(plugin),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricResponse {
    pub metric: String,
    /// The version that computed `rows`.
    pub plugin: PluginRef,
    /// In which role that version answered: standard, active, canary or fallback.
    pub served_as: ServedAs,
    /// Present when the serving version failed and the failure policy fell back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<FallbackNote>,
    pub unit: String,
    pub group_by: String,
    pub from: String,
    pub to: String,
    /// Every parameter the plugin ran with (given or default).
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, Value>,
    pub rows: Vec<MetricRowOut>,
    pub elapsed_ms: f64,
}

/// The query of a metric: the period, the grouping, and the plugin's own parameters, which
/// `GET …/plugins` lists for each plugin (every one has a default).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct MetricQuery {
    /// Start (inclusive).
    #[param(value_type = Time, inline)]
    from: String,
    /// End (exclusive); after `from`.
    #[param(value_type = Time, inline)]
    to: String,
    /// The groups of the answer's rows (default `total`).
    #[param(value_type = Option<GroupByName>, inline)]
    group_by: Option<String>,
    /// Who the canary share is decided for (default: the API key).
    subject: Option<String>,
}

/// Compute a metric over `[from, to)` grouped by agent, team, site, queue, channel, day, week,
/// month or total. Any other query parameter is passed to the plugin and must be one it declares.
#[utoipa::path(get, path = "/tenants/{tenant}/metrics/{name}", tag = "metrics", operation_id = "query_metric",
    params(PluginPath, MetricQuery),
    responses((status = 200, body = MetricResponse, description = "the metric's rows per group"), Keyed, BadRequest,
        NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn query(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant: tenant_id, name }): ApiPath<PluginPath>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<MetricResponse>, ApiError> {
    let tenant = caller.require(&state, Action::Query, &tenant_id)?;
    let call = MetricCall::prepare(&state, &tenant, &name, &caller.0.actor(), query)?;
    let limits = state.limits_of(&tenant);
    let admitted = state.admit(&tenant).await?;
    let db = state.tenants.get(&tenant_id)?;
    let started = std::time::Instant::now();
    let worker = state.clone();
    let (answer, call, db) = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        (call.answer(&worker, db.clone(), limits), call, db)
    })
    .await?;
    let answer = answer?;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let response = MetricResponse {
        metric: name,
        plugin: PluginRef::of(&state.registry, &answer.served_by),
        served_as: answer.served_as,
        fallback: answer.fallback.clone(),
        unit: answer.result.unit.clone(),
        group_by: call.group_by.clone(),
        from: rfc3339(call.from),
        to: rfc3339(call.to),
        params: call.params.clone(),
        rows: answer
            .result
            .rows
            .iter()
            .map(|r| MetricRowOut {
                group: r.group.clone(),
                value: r.value,
                numerator: r.numerator,
                denominator: r.denominator,
            })
            .collect(),
        elapsed_ms,
    };
    // After the answer, off the request's path, and only in a free place of the tenant's: the
    // shadow's output is compared, never served.
    if call.wants_shadow(&answer)
        && let Some(place) = state.admission.try_admit(&tenant_id, &limits)
    {
        let worker = state.clone();
        tokio::task::spawn_blocking(move || {
            let _place = place;
            call.shadow(&worker, db, limits, &answer.result);
        });
    }
    Ok(Json(response))
}

/// A time as the answers write it.
pub(crate) fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
