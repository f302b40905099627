//! Pay runs and statements: run a tenant's pay-model plugin for a period and keep its lines in
//! the pay ledger; list statements as JSON or export them as CSV.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery};
use super::metrics::{PluginRef, rfc3339};
use super::runs::RunRequest;
use super::{ApiError, AppState, Caller};
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::params::parse_time;
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
#[utoipa::path(post, path = "/v1/tenants/{tenant}/pay/runs", tag = "pay",
    params(("tenant" = String, Path)), request_body = RunRequest,
    responses((status = 429, body = super::error::Problem, description = "the tenant's places for plugin requests and its queue are taken; retry after `Retry-After` seconds"), (status = 200, body = PayRunResponse), (status = 400, body = super::error::Problem),
        (status = 404, body = super::error::Problem, description = "no such pay model"),
        (status = 502, body = super::error::Problem, description = "the plugin failed or returned invalid lines")),
    security(("api_key" = [])))]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
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
pub struct StatementQuery {
    /// Periods starting at or after this time.
    pub from: Option<String>,
    /// Periods ending at or before this time.
    pub to: Option<String>,
    pub agent: Option<String>,
    pub plugin: Option<String>,
    /// Include statements replaced by later runs (default false).
    pub all: Option<bool>,
}

fn filter(query: StatementQuery) -> Result<Filter, ApiError> {
    Ok(Filter {
        from: query.from.as_deref().map(|t| parse_time("from", t)).transpose()?,
        to: query.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
        agent: query.agent,
        plugin: query.plugin,
        include_superseded: query.all.unwrap_or(false),
    })
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
#[utoipa::path(get, path = "/v1/tenants/{tenant}/pay/statements", tag = "pay",
    params(("tenant" = String, Path), StatementQuery),
    responses((status = 200, body = Vec<Statement>), (status = 400, body = super::error::Problem)),
    security(("api_key" = [])))]
pub async fn statements(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Json<Vec<Statement>>, ApiError> {
    find(&state, &caller, &tenant_id, query).await.map(Json)
}

/// The same statements as CSV, one row per line.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/pay/statements.csv", tag = "pay",
    params(("tenant" = String, Path), StatementQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = super::error::Problem)),
    security(("api_key" = [])))]
pub async fn statements_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    let found = find(&state, &caller, &tenant_id, query).await?;
    let csv = pay::to_csv(&found).map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"pay-{tenant_id}.csv\"");
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (CONTENT_DISPOSITION, disposition)], csv)
        .into_response())
}
