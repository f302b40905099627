//! What a unit of each metric is worth to a tenant, in cents per unit of the records or per
//! point of the figure: set by a tenant admin, read by analysts, used to price quartile uplifts.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{JsonBody, Keyed, NotFound};
use super::extract::{ApiJson, ApiPath};
use super::{ApiError, AppState, Caller, TenantPath};
use crate::auth::Action;
use crate::problem::Failure;
use crate::runtime::bindings::PluginKind;
use crate::store::metric_values::{MetricValue, Per};

/// The most cents a unit may be valued at.
pub const MAX_CENTS_PER_UNIT: i64 = 1_000_000_000_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MetricValuePath {
    /// The tenant's id.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
    /// The metric's name, as `describe()` gives it.
    #[param(example = "aht")]
    pub metric: String,
}

/// What a unit of a metric is worth.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricValueBody {
    /// Cents per unit, 0 to 1,000,000,000,000.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64, example = 2)]
    pub cents_per_unit: i64,
    /// `record`: per unit of the records (a second of handle time over all contacts, a contact
    /// moved into a ratio's numerator); `point`: per point of the figure (0.01 of a ratio, 1 of
    /// any other unit).
    pub per: Per,
}

/// A tenant's metric values.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricValues {
    pub values: Vec<MetricValue>,
}

/// Set what a unit of one of the tenant's metrics is worth (tenant admin or operator); the
/// quartile uplift of that metric is then priced in money. Replaces any value; audited.
#[utoipa::path(put, path = "/tenants/{tenant}/metric-values/{metric}", tag = "analytics",
    operation_id = "set_metric_value",
    params(MetricValuePath),
    request_body(content = MetricValueBody, example = json!({"cents_per_unit": 2, "per": "record"})),
    responses((status = 200, body = MetricValue, description = "the value as stored"), Keyed, JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn set_value(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(MetricValuePath { tenant, metric }): ApiPath<MetricValuePath>,
    ApiJson(body): ApiJson<MetricValueBody>,
) -> Result<Json<MetricValue>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    if !(0..=MAX_CENTS_PER_UNIT).contains(&body.cents_per_unit) {
        return Err(Failure::bad_request(
            "invalid_parameter",
            format!("`cents_per_unit` must be a whole number from 0 to {MAX_CENTS_PER_UNIT}"),
        )
        .with_field("cents_per_unit"));
    }
    let actor = caller.0.actor();
    state
        .deployments
        .plan_of_kind(&state.registry, (&tenant, &metric, &actor), PluginKind::Metric)
        .map_err(|e| Failure::from(e).with_field("metric"))?;
    let stored = tokio::task::spawn_blocking(move || {
        state.system.set_metric_value(&tenant, &metric, (body.cents_per_unit, body.per), &actor, chrono::Utc::now())
    })
    .await??;
    Ok(Json(stored))
}

/// What a unit of one of the tenant's metrics is worth, if the tenant said.
#[utoipa::path(get, path = "/tenants/{tenant}/metric-values/{metric}", tag = "analytics",
    operation_id = "metric_value",
    params(MetricValuePath),
    responses((status = 200, body = MetricValue, description = "the value"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn value(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(MetricValuePath { tenant, metric }): ApiPath<MetricValuePath>,
) -> Result<Json<MetricValue>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let (t, m) = (tenant.clone(), metric.clone());
    let stored = tokio::task::spawn_blocking(move || state.system.metric_value(&t, &m)).await??;
    stored.map(Json).ok_or_else(|| {
        Failure::not_found(
            "no_metric_value",
            format!(
                "tenant `{tenant}` has not valued metric `{metric}`; PUT /v1/tenants/{tenant}/metric-values/{metric}"
            ),
        )
        .with_field("metric")
    })
}

/// Every metric value the tenant set.
#[utoipa::path(get, path = "/tenants/{tenant}/metric-values", tag = "analytics", operation_id = "metric_values",
    params(TenantPath),
    responses((status = 200, body = MetricValues, description = "the values, by metric"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn values(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<MetricValues>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let values = tokio::task::spawn_blocking(move || state.system.metric_values(&tenant)).await??;
    Ok(Json(MetricValues { values }))
}
