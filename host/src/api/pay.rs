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
use super::metrics::{PluginRef, parse_time};
use super::runs::{RunRequest, prepare};
use super::{ApiError, AppState, Caller, Services};
use crate::auth::Action;
use crate::config::PluginLimits;
use crate::deploy::CallPlan;
use crate::deploy::ServedAs;
use crate::deploy::shadow::totals_per_agent;
use crate::runtime::CallError;
use crate::runtime::bindings::{PayRequest, PluginKind};
use crate::store::pay::{self, Filter, Line, PayError, RunOf, RunReport, Statement};
use chrono::{DateTime, Utc};

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
    let run = prepare(&state, &caller, &tenant_id, &body, PluginKind::PayModel)?;
    let request = PayRequest {
        period_start: run.from.timestamp_micros(),
        period_end: run.to.timestamp_micros(),
        params: run.params,
    };
    let admitted = state.admit(&run.tenant).await?;
    let (plan, limits, from, to) = (run.plan, run.limits, run.from, run.to);
    let worker = state.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        execute(&worker, &tenant_id, &plan, &request, limits, (from, to))
    })
    .await??;
    let (served_by, served_as, report) = answer;
    Ok(Json(PayRunResponse {
        plugin: PluginRef::of(&state.registry, &served_by),
        served_as,
        from: from.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        to: to.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        params: run.echoed,
        report,
    }))
}

/// What a pay run did: the version that served it, in which role, and the ledger's report.
pub type Executed = (std::sync::Arc<crate::runtime::Plugin>, ServedAs, RunReport);

/// Runs a pay model by its plan and records the statements. Blocking: it runs the plugin.
pub fn execute(
    state: &Services,
    tenant_id: &str,
    plan: &CallPlan,
    request: &PayRequest,
    limits: PluginLimits,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Executed, ApiError> {
    let db = state.tenants.get(tenant_id)?;
    let context = state.call_context(tenant_id, &plan.serve.info.name, db.clone(), limits);
    let answer = context.answer_with(plan, |plugin| {
        let lines = state.registry.runtime().call_pay(plugin, db.clone(), limits, request)?;
        let lines: Vec<(String, Line)> = lines
            .into_iter()
            .map(|l| {
                let line = Line {
                    component: l.component,
                    quantity: l.quantity,
                    rate_cents: l.rate_cents,
                    amount_cents: l.amount_cents,
                    note: l.note,
                };
                (l.agent_id, line)
            })
            .collect();
        let agents = crate::store::overview::agent_ids(&db).map_err(|e| CallError::Busy(e.to_string()))?;
        pay::check_lines(&lines, |a| agents.contains(a)).map_err(|e| CallError::InvalidResult {
            plugin: plugin.info.name.clone(),
            version: plugin.info.version.clone(),
            detail: e.to_string(),
        })
    })?;
    let served = &answer.served_by;
    let run = RunOf {
        plugin: &served.info.name,
        hash: &served.hash,
        version: &served.info.version,
        period_start: from,
        period_end: to,
    };
    let report = pay::record_run(&db, &run, &answer.result)?;
    if let Some(candidate) = plan.shadow.as_ref().filter(|_| answer.served_as != ServedAs::Fallback) {
        // The shadow candidate computes the same period; its totals are compared, never kept.
        let served = totals_per_agent(
            "cents",
            answer.result.iter().map(|(a, lines)| (a.clone(), lines.iter().map(|l| l.amount_cents).sum())),
        );
        let result =
            context.candidate(candidate, |c| state.registry.runtime().call_pay(c, db.clone(), limits, request));
        let compared =
            result.map(|lines| totals_per_agent("cents", lines.into_iter().map(|l| (l.agent_id, l.amount_cents))));
        state.deployments.shadows.update(tenant_id, &candidate.info.name, &candidate.hash, |shadow| match compared {
            Ok(totals) => shadow.add("agent", &served, &totals),
            Err(e) => shadow.add_candidate_error(e.to_string()),
        });
    }
    Ok((answer.served_by.clone(), answer.served_as, report))
}

impl From<PayError> for ApiError {
    fn from(e: PayError) -> Self {
        ApiError::internal(e)
    }
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
