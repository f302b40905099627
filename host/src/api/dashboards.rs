//! Dashboards: run the tenant's dashboard plugin (standard `cx_ex` or its own) over a time
//! range, with the analytics interface bound to the tenant, and return its checked panels.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::analytics_host::TenantAnalytics;
use super::extract::ApiQuery;
use super::metrics::{PluginRef, missing, params_from_query, parse_range};
use super::{ApiError, AppState, Caller};
use crate::analytics::panels::{CheckedPanel, check_panels};
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::deploy::call::FallbackNote;
use crate::runtime::bindings::{DashboardRequest, PluginKind};
use crate::runtime::{CallError, kind_name};
use crate::store::system::Tenant;

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

/// Renders dashboard `name` for `tenant` with the query's `from`, `to` and plugin parameters.
pub(crate) async fn render(
    state: &AppState,
    tenant: Tenant,
    subject: String,
    name: &str,
    mut query: HashMap<String, String>,
) -> Result<DashboardResponse, ApiError> {
    let plan = state.deployments.plan(&state.registry, &tenant.id, name, &subject).ok_or_else(|| {
        ApiError::not_found("dashboard_not_found", format!("tenant `{}` has no dashboard `{name}`", tenant.id))
            .with_field("name")
    })?;
    if plan.serve.kind() != PluginKind::Dashboard {
        return Err(ApiError::not_found(
            "dashboard_not_found",
            format!("`{name}` of tenant `{}` is a {} plugin, not a dashboard", tenant.id, kind_name(plan.serve.kind())),
        )
        .with_field("name"));
    }
    let from_text = query.remove("from").ok_or_else(|| missing("from"))?;
    let to_text = query.remove("to").ok_or_else(|| missing("to"))?;
    let (from, to) = parse_range(&from_text, &to_text)?;
    let (params, echoed) = params_from_query(&plan.serve.info, query, "from, to")?;
    let request = DashboardRequest { period_start: from.timestamp_micros(), period_end: to.timestamp_micros(), params };
    let limits = state.limits_of(&tenant);
    let admitted = state.admit(&tenant).await?;
    let db = state.tenants.get(&tenant.id)?;
    let started = std::time::Instant::now();
    let (worker, name_for_call) = (state.clone(), name.to_string());
    let analytics =
        Arc::new(TenantAnalytics { state: state.clone(), tenant: tenant.clone(), subject, db: db.clone(), limits });
    let answer = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        let context = worker.call_context(&analytics.tenant.id, &name_for_call, db.clone(), limits);
        context.answer_with(&plan, |plugin| {
            let panels =
                worker.registry.runtime().call_dashboard(plugin, db.clone(), analytics.clone(), limits, &request)?;
            check_panels(panels).map_err(|detail| CallError::InvalidResult {
                plugin: plugin.info.name.clone(),
                version: plugin.info.version.clone(),
                detail,
            })
        })
    })
    .await??;
    let served_by = answer.served_by;
    Ok(DashboardResponse {
        dashboard: name.to_string(),
        description: served_by.info.description.clone(),
        plugin: PluginRef::of(&state.registry, &served_by),
        served_as: answer.served_as,
        fallback: answer.fallback,
        from: from.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        to: to.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        params: echoed,
        panels: answer.result,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
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
    render(&state, tenant, caller.0.actor(), &name, query).await.map(Json)
}
