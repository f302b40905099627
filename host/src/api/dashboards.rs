//! The dashboard route: a dashboard plugin's checked panels over a time range (rendered by
//! [`crate::analytics::dashboards`]).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::extract::ApiQuery;
use super::metrics::{PluginRef, rfc3339};
use super::{ApiError, AppState, Caller};
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

/// Render a dashboard over `[from, to)`: its panels (KPI, table, line, bar, scatter, heat map)
/// with their data. Any other query parameter is passed to the plugin and must be one it declares.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/dashboards/{name}", tag = "analytics",
    params(("tenant" = String, Path), ("name" = String, Path, description = "dashboard name, e.g. cx_ex"),
        ("from" = String, Query, description = "start (inclusive): RFC 3339 timestamp or YYYY-MM-DD"),
        ("to" = String, Query, description = "end (exclusive), same forms")),
    responses((status = 429, body = super::error::Problem, description = "the tenant's places for plugin requests and its queue are taken; retry after `Retry-After` seconds"), (status = 200, body = DashboardResponse), (status = 400, body = super::error::Problem),
        (status = 404, body = super::error::Problem, description = "no such dashboard"),
        (status = 422, body = super::error::Problem, description = "the plugin could not render this request"),
        (status = 502, body = super::error::Problem, description = "the plugin trapped, hit a limit or returned invalid panels"),
        (status = 504, body = super::error::Problem, description = "the plugin ran past its deadline")),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, name)): Path<(String, String)>,
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
