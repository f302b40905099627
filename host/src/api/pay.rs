//! Pay runs and statements: run a tenant's pay-model plugin for a period and keep its lines in
//! the pay ledger; list statements as JSON or export them as CSV.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, JsonBody, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::metrics::{PluginRef, rfc3339};
use super::runs::RunRequest;
use super::{ApiError, AppState, Caller, TenantPath, Time};
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::params::optional_bounds;
use crate::runs::pay::PayLedger;
use crate::store::pay::{self, Filter, RunReport, Statement};

#[derive(Debug, Serialize, ToSchema)]
pub struct PayRunResponse {
    pub plugin: PluginRef,
    pub served_as: ServedAs,
    pub from: String,
    pub to: String,
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, Value>,
    #[serde(flatten)]
    pub report: RunReport,
}

/// Run a pay model for a period: every agent's statement is computed by the plugin and kept in
/// the ledger; an identical re-run changes nothing, a different result supersedes the current
/// statement and is listed with its difference.
#[utoipa::path(post, path = "/tenants/{tenant}/pay/runs", tag = "pay", operation_id = "run_pay",
    params(TenantPath),
    request_body(content = RunRequest,
        example = json!({"plugin": "standard_pay", "from": "2026-01-01", "to": "2026-02-01", "params": {"per_minute_cents": 25}})),
    responses((status = 200, body = PayRunResponse, description = "the run's statements and what changed"), Keyed, JsonBody,
        NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<RunRequest>,
) -> Result<Json<PayRunResponse>, ApiError> {
    let (run, executed) = super::runs::run::<PayLedger>(&state, &caller, &tenant_id, &body).await?;
    Ok(Json(PayRunResponse {
        plugin: PluginRef::of(&state.registry, &executed.served_by),
        served_as: executed.served_as,
        from: rfc3339(run.from),
        to: rfc3339(run.to),
        params: run.echoed,
        report: executed.report,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// Periods starting at or after this time.
    #[param(value_type = Option<Time>, inline)]
    pub from: Option<String>,
    /// Periods ending at or before this time.
    #[param(value_type = Option<Time>, inline)]
    pub to: Option<String>,
    pub agent: Option<String>,
    pub plugin: Option<String>,
    /// Include statements replaced by later runs (default false).
    pub all: Option<bool>,
}

fn filter(query: StatementQuery) -> Result<Filter, ApiError> {
    let (from, to) = optional_bounds(query.from.as_deref(), query.to.as_deref())?;
    Ok(Filter { from, to, agent: query.agent, plugin: query.plugin, include_superseded: query.all.unwrap_or(false) })
}

async fn find(
    state: &AppState,
    caller: &Caller,
    tenant_id: &str,
    query: StatementQuery,
) -> Result<Vec<Statement>, ApiError> {
    caller.require(state, Action::Query, tenant_id)?;
    let filter = filter(query)?;
    let db = state.tenants.get(tenant_id)?;
    Ok(tokio::task::spawn_blocking(move || pay::statements(&db, &filter)).await??)
}

/// Pay statements with their lines (current ones unless `all=true`).
#[utoipa::path(get, path = "/tenants/{tenant}/pay/statements", tag = "pay",
    params(TenantPath, StatementQuery),
    responses((status = 200, body = Vec<Statement>, description = "the statements with their lines"), Keyed, BadRequest,
        NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn statements(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Json<Vec<Statement>>, ApiError> {
    find(&state, &caller, &tenant_id, query).await.map(Json)
}

/// The same statements as CSV, one row per line.
#[utoipa::path(get, path = "/tenants/{tenant}/pay/statements.csv", tag = "pay",
    params(TenantPath, StatementQuery),
    responses((status = 200, content_type = "text/csv", body = String,
            description = "one row per statement line, with a header row"),
        Keyed, BadRequest, NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn statements_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    let found = find(&state, &caller, &tenant_id, query).await?;
    let csv = pay::to_csv(&found).map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"pay-{tenant_id}.csv\"");
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (CONTENT_DISPOSITION, disposition)], csv)
        .into_response())
}
