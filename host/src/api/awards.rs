//! Awards: award runs of a tenant's game-mechanic plugin into the points ledger, the
//! ledger itself, gaming flags for operators, leaderboards and an agent's standing.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, JsonBody, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::metrics::{PluginRef, rfc3339};
use super::runs::RunRequest;
use super::{ApiError, AppState, Caller, TenantPath, Time};
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::params::parse_range;
use crate::runs::awards::PointsLedger;
use crate::store::awards::{self, AwardReport, FlagEntry, LedgerEntry, Standing};

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardRunResponse {
    pub plugin: PluginRef,
    pub served_as: ServedAs,
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub report: AwardReport,
}

/// Run a game mechanic for a period: its awards go to the append-only points ledger (an
/// identical re-run adds nothing; a different result reverses the period's earlier entries of
/// this plugin and appends the new ones) and its gaming flags to the operators' list.
#[utoipa::path(post, path = "/tenants/{tenant}/awards/runs", tag = "awards", operation_id = "run_awards",
    params(TenantPath),
    request_body(content = RunRequest,
        example = json!({"plugin": "standard_game", "from": "2026-01-01", "to": "2026-02-01"})),
    responses((status = 200, body = AwardRunResponse, description = "the run's awards and what changed"), Keyed, JsonBody,
        NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<RunRequest>,
) -> Result<Json<AwardRunResponse>, ApiError> {
    let (run, executed) = super::runs::run::<PointsLedger>(&state, &caller, &tenant_id, &body).await?;
    Ok(Json(AwardRunResponse {
        plugin: PluginRef::of(&state.registry, &executed.served_by),
        served_as: executed.served_as,
        from: rfc3339(run.from),
        to: rfc3339(run.to),
        report: executed.report,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Periods starting at or after this time.
    #[param(value_type = Time, inline)]
    pub from: String,
    /// Periods ending at or before this time; after `from`.
    #[param(value_type = Time, inline)]
    pub to: String,
    /// Only this agent's entries.
    pub agent: Option<String>,
}

/// Ledger entries (awards and reversals) with the plugin version behind each.
#[utoipa::path(get, path = "/tenants/{tenant}/awards/ledger", tag = "awards",
    params(TenantPath, LedgerQuery),
    responses((status = 200, body = Vec<LedgerEntry>, description = "the entries"), Keyed, BadRequest, NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn ledger(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<LedgerQuery>,
) -> Result<Json<Vec<LedgerEntry>>, ApiError> {
    caller.require(&state, Action::Query, &tenant_id)?;
    let range = parse_range(&query.from, &query.to)?;
    let db = state.tenants.get(&tenant_id)?;
    let entries = tokio::task::spawn_blocking(move || awards::ledger(&db, range, query.agent.as_deref())).await??;
    Ok(Json(entries))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Periods starting at or after this time.
    #[param(value_type = Time, inline)]
    pub from: String,
    /// Periods ending at or before this time; after `from`.
    #[param(value_type = Time, inline)]
    pub to: String,
}

/// Suspected gaming patterns found by award runs, for operators and tenant admins.
#[utoipa::path(get, path = "/tenants/{tenant}/awards/flags", tag = "awards",
    params(TenantPath, RangeQuery),
    responses((status = 200, body = Vec<FlagEntry>, description = "the flags"), Keyed, BadRequest, NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn flags(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> Result<Json<Vec<FlagEntry>>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant_id)?;
    let range = parse_range(&query.from, &query.to)?;
    let db = state.tenants.get(&tenant_id)?;
    Ok(Json(tokio::task::spawn_blocking(move || awards::flags(&db, range)).await??))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Periods starting at or after this time.
    #[param(value_type = Time, inline)]
    pub from: String,
    /// Periods ending at or before this time; after `from`.
    #[param(value_type = Time, inline)]
    pub to: String,
    /// `agent` (default) or `team`.
    #[param(value_type = Option<BoardBy>, inline)]
    pub by: Option<String>,
    /// Only this team's agents (agent boards).
    pub team: Option<String>,
    /// At most this many places (default 100).
    #[param(format = Int64, minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
}

/// What a leaderboard ranks.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum BoardBy {
    Agent,
    Team,
}

async fn board(state: &AppState, tenant_id: &str, query: &BoardQuery) -> Result<Vec<Standing>, ApiError> {
    let range = parse_range(&query.from, &query.to)?;
    let by_team = match query.by.as_deref().unwrap_or("agent") {
        "agent" => false,
        "team" => true,
        other => {
            return Err(ApiError::bad_request("invalid_parameter", format!("`by` is agent or team, got `{other}`"))
                .with_field("by"));
        }
    };
    let db = state.tenants.get(tenant_id)?;
    let team = query.team.clone();
    Ok(tokio::task::spawn_blocking(move || awards::leaderboard(&db, range, by_team, team.as_deref())).await??)
}

/// Points leaderboard of agents (or teams) over periods inside `[from, to)`; equal points
/// share a rank (1, 2, 2, 4) and are listed by name.
#[utoipa::path(get, path = "/tenants/{tenant}/leaderboards", tag = "awards",
    params(TenantPath, BoardQuery),
    responses((status = 200, body = Vec<Standing>, description = "the places, best first"), Keyed, BadRequest, NotFound,
        TenantData),
    security(("api_key" = [])))]
pub async fn leaderboard(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<BoardQuery>,
) -> Result<Json<Vec<Standing>>, ApiError> {
    caller.require(&state, Action::Query, &tenant_id)?;
    let mut places = board(&state, &tenant_id, &query).await?;
    places.truncate(query.limit.map_or(100, |limit| limit as usize));
    Ok(Json(places))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StandingQuery {
    /// Periods starting at or after this time.
    #[param(value_type = Time, inline)]
    pub from: String,
    /// Periods ending at or before this time; after `from`.
    #[param(value_type = Time, inline)]
    pub to: String,
    /// Peers shown on each side (default 2; more than 50 gives 50).
    #[param(format = Int64, minimum = 0, maximum = 4294967295.0)]
    pub around: Option<u32>,
    /// Rank among the agent's team only.
    pub team_only: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AgentPath {
    /// The tenant's id.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
    /// The agent's id.
    #[param(example = "a0001")]
    pub agent: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StandingResponse {
    pub standing: Standing,
    /// Places just ahead, best first.
    pub above: Vec<Standing>,
    /// Places just behind.
    pub below: Vec<Standing>,
    pub of: usize,
}

/// An agent's place on the board with the peers around it.
#[utoipa::path(get, path = "/tenants/{tenant}/leaderboards/agents/{agent}", tag = "awards",
    params(AgentPath, StandingQuery),
    responses((status = 200, body = StandingResponse, description = "the agent's place and its peers"), Keyed, BadRequest,
        NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn standing(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(AgentPath { tenant: tenant_id, agent }): ApiPath<AgentPath>,
    ApiQuery(query): ApiQuery<StandingQuery>,
) -> Result<Json<StandingResponse>, ApiError> {
    caller.require(&state, Action::Query, &tenant_id)?;
    let all = BoardQuery { from: query.from.clone(), to: query.to.clone(), by: None, team: None, limit: None };
    let everyone = board(&state, &tenant_id, &all).await?;
    let not_found = || ApiError::not_found("agent_not_found", format!("tenant `{tenant_id}` has no agent `{agent}`"));
    let team = everyone.iter().find(|s| s.name == agent).ok_or_else(not_found)?.team.clone();
    let places = if query.team_only.unwrap_or(false) {
        let scoped = BoardQuery { team: Some(team), ..all };
        board(&state, &tenant_id, &scoped).await?
    } else {
        everyone
    };
    let at = places.iter().position(|s| s.name == agent).ok_or_else(not_found)?;
    let around = query.around.unwrap_or(2).min(50) as usize;
    Ok(Json(StandingResponse {
        standing: places[at].clone(),
        above: places[at.saturating_sub(around)..at].to_vec(),
        below: places[at + 1..(at + 1 + around).min(places.len())].to_vec(),
        of: places.len(),
    }))
}
