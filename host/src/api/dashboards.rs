//! The dashboard route: a dashboard plugin's checked panels over a time range (rendered by
//! [`crate::analytics::dashboards`]).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiPath, ApiQuery};
use super::metrics::{PluginRef, rfc3339};
use super::{ApiError, AppState, Caller, Time};
use crate::analytics::dashboards::render;
use crate::analytics::panels::CheckedPanel;
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::deploy::call::FallbackNote;

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardResponse {
    pub dashboard: String,
    pub description: String,
    /// The version that rendered the panels.
    pub plugin: PluginRef,
    pub served_as: ServedAs,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<FallbackNote>,
    pub from: String,
    pub to: String,
    /// Every parameter the plugin ran with (given or default).
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, Value>,
    pub panels: Vec<CheckedPanel>,
    pub elapsed_ms: f64,
}

/// The path of a dashboard, `/tenants/{tenant}/dashboards/{name}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DashboardPath {
    /// The tenant's id.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
    /// The dashboard plugin's name.
    #[param(example = "cx_ex")]
    pub name: String,
}

/// The query of a dashboard: the period and the plugin's own parameters, which
/// `GET …/plugins` lists for each plugin (every one has a default).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DashboardQuery {
    /// Start (inclusive).
    #[param(value_type = Time, inline)]
    from: String,
    /// End (exclusive); after `from`.
    #[param(value_type = Time, inline)]
    to: String,
}

/// Render a dashboard over `[from, to)`: its panels (KPI, table, line, bar, scatter, heat map)
/// with their data. Any other query parameter is passed to the plugin and must be one it declares.
#[utoipa::path(get, path = "/tenants/{tenant}/dashboards/{name}", tag = "analytics", operation_id = "show_dashboard",
    params(DashboardPath, DashboardQuery),
    responses((status = 200, body = DashboardResponse, description = "the dashboard's checked panels"), Keyed, BadRequest,
        NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(DashboardPath { tenant: tenant_id, name }): ApiPath<DashboardPath>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<DashboardResponse>, ApiError> {
    let tenant = caller.require(&state, Action::Query, &tenant_id)?;
    let rendered = render(&state, tenant, caller.0.actor(), &name, query).await?;
    Ok(Json(DashboardResponse {
        dashboard: name,
        description: rendered.plugin.info.description.clone(),
        plugin: PluginRef::of(&state.registry, &rendered.plugin),
        served_as: rendered.served_as,
        fallback: rendered.fallback,
        from: rfc3339(rendered.from),
        to: rfc3339(rendered.to),
        params: rendered.params,
        panels: rendered.panels,
        elapsed_ms: rendered.elapsed_ms,
    }))
}
