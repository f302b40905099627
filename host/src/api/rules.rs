//! Rules: runs on demand of a tenant's rule plugin into the actions ledger, the run log, and
//! the schedule each rule deployment runs by itself on.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, JsonBody, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::metrics::{PluginRef, rfc3339};
use super::{ApiError, AppState, Caller, PluginPath, TenantPath, Time};
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::params::{optional_bounds, parse_time};
use crate::runs::rules::{RulePlan, RunAsk, Trigger, run_admitted};
use crate::runs::schedule;
use crate::runtime::bindings::PluginKind;
use crate::store::actions::{self, Reconciled, RunRecord};
use crate::store::schedules::{Every, Schedule, StoredSchedule};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRunRequest {
    /// The rule, e.g. `standard_coaching`.
    #[schema(pattern = r"^[a-z0-9_]{1,64}$", example = "standard_coaching")]
    pub plugin: String,
    /// When the run happens (default now, at most a few minutes ahead): it judges the periods
    /// that were over by then, so a past time replays a run as it would have been.
    #[serde(default)]
    #[schema(value_type = Option<Time>, inline)]
    pub at: Option<String>,
    /// Minutes after midnight UTC before a day's data counts as complete (default 60).
    #[serde(default)]
    #[schema(maximum = 10080)]
    pub settle_minutes: Option<u32>,
    /// The rule's parameters (`GET …/plugins` lists them); the others take their defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, Value>,
}

/// What a rule run did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleRunResponse {
    pub run_id: String,
    pub plugin: PluginRef,
    pub served_as: ServedAs,
    pub run_at: String,
    /// The end of the finished periods the run could judge.
    pub judged_until: String,
    /// The periods the rule judged.
    pub period_start: String,
    pub period_end: String,
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, Value>,
    /// Actions the rule proposed.
    pub proposed: usize,
    /// What the run did to the actions ledger: the ids it opened, raised, resolved, closed as
    /// answered by a session and expired, and how many proposals added nothing.
    #[serde(flatten)]
    pub reconciled: Reconciled,
    pub elapsed_ms: f64,
}

/// Run a rule now: its serving version (or canary, which takes its share of runs) judges the
/// finished periods and its actions are reconciled with the ledger — new tasks and alerts
/// opened, one live action per agent (or team) and cause, the higher priority taking over on
/// one agent and subject, its untouched open actions whose condition no longer holds resolved
/// by themselves, answered ones done, overdue ones expired. The run is logged, failed or not;
/// a shadow candidate's differing actions go to its shadow report.
#[utoipa::path(post, path = "/tenants/{tenant}/rules/runs", tag = "rules", operation_id = "run_rule",
    params(TenantPath),
    request_body(content = RuleRunRequest,
        example = json!({"plugin": "standard_coaching", "at": "2026-03-30T02:00:00Z", "params": {"metric": "fcr", "threshold": 0.7}})),
    responses((status = 200, body = RuleRunResponse, description = "what the run opened, kept and closed"), Keyed,
        JsonBody, NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<RuleRunRequest>,
) -> Result<Json<RuleRunResponse>, ApiError> {
    let tenant = caller.require(&state, Action::ManagePlugins, &tenant_id)?;
    let at = body.at.as_deref().map(|t| parse_time("at", t)).transpose()?;
    let settle = body.settle_minutes.unwrap_or(60);
    if settle > 7 * 24 * 60 {
        return Err(ApiError::bad_request("invalid_parameter", "`settle_minutes` must be at most 10080 (a week)")
            .with_field("settle_minutes"));
    }
    let actor = caller.0.actor();
    let ask = RunAsk {
        rule: &body.plugin,
        at,
        settle: chrono::Duration::minutes(i64::from(settle)),
        params: &body.params,
        trigger: Trigger::OnDemand,
        actor: &actor,
    };
    let plan = RulePlan::prepare(&state, &tenant, &ask)?;
    let (plan, outcome) = run_admitted(&state, plan).await?;
    Ok(Json(RuleRunResponse {
        run_id: outcome.run_id,
        plugin: PluginRef::of(&state.registry, &outcome.served_by),
        served_as: outcome.served_as,
        run_at: rfc3339(plan.at),
        judged_until: rfc3339(plan.judged_until),
        period_start: rfc3339(outcome.period.0),
        period_end: rfc3339(outcome.period.1),
        params: plan.echoed,
        proposed: outcome.proposed,
        reconciled: outcome.reconciled,
        elapsed_ms: outcome.elapsed_ms,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Only this rule's runs.
    pub rule: Option<String>,
    /// Runs at or after this time.
    #[param(value_type = Option<Time>, inline)]
    pub from: Option<String>,
    /// Runs before this time.
    #[param(value_type = Option<Time>, inline)]
    pub to: Option<String>,
    /// At most this many runs, newest first (default 100, at most 10000).
    #[param(minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
}

/// The run log: every rule run — scheduled or on demand, failed or not — with the version,
/// the periods judged and what it opened, kept and closed; newest first.
#[utoipa::path(get, path = "/tenants/{tenant}/rules/runs", tag = "rules", operation_id = "rule_runs",
    params(TenantPath, RunsQuery),
    responses((status = 200, body = Vec<RunRecord>, description = "the runs"), Keyed, BadRequest, NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn runs(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<RunsQuery>,
) -> Result<Json<Vec<RunRecord>>, ApiError> {
    caller.require(&state, Action::Query, &tenant_id)?;
    let (from, to) = optional_bounds(query.from.as_deref(), query.to.as_deref())?;
    let limit = query.limit.unwrap_or(100).min(10_000);
    let db = state.tenants.get(&tenant_id)?;
    let rule = query.rule;
    Ok(Json(tokio::task::spawn_blocking(move || actions::runs(&db, rule.as_deref(), (from, to), limit)).await??))
}

/// A rule's schedule as stored, with the time of its next run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleResponse {
    pub tenant_id: String,
    /// The rule's name.
    pub name: String,
    pub every: Every,
    /// Local time of day, `HH:MM` (24 h).
    pub at: String,
    /// For weekly runs: the day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weekday: Option<String>,
    /// IANA time zone of `at`.
    pub timezone: String,
    pub settle_minutes: u32,
    /// The rule's parameters for scheduled runs.
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, Value>,
    pub updated_by: String,
    pub updated_at: String,
    /// The due time of the last scheduled run (none before the first).
    pub last_due_at: Option<String>,
    /// When the scheduler next runs the rule.
    pub next_due_at: Option<String>,
}

fn with_next(stored: StoredSchedule) -> ScheduleResponse {
    let next = schedule::read(&stored.schedule).ok().and_then(|when| when.next_due(Utc::now()));
    let StoredSchedule { tenant_id, name, schedule, updated_by, updated_at, last_due_at } = stored;
    ScheduleResponse {
        tenant_id,
        name,
        every: schedule.every,
        at: schedule.at,
        weekday: schedule.weekday,
        timezone: schedule.timezone,
        settle_minutes: schedule.settle_minutes,
        params: schedule.params,
        updated_by,
        updated_at,
        last_due_at,
        next_due_at: next.map(rfc3339),
    }
}

/// Run a rule by itself: daily or weekly at a local time in a time zone, with the parameters
/// given here. Each run uses the version that serves the rule at that moment, judges the days
/// ended at least `settle_minutes` before it, and is logged like a run on demand; a server
/// that was stopped over a due time runs once when it is back. Replaces any schedule of the
/// rule; audited.
#[utoipa::path(put, path = "/tenants/{tenant}/rules/{name}/schedule", tag = "rules", operation_id = "set_rule_schedule",
    params(PluginPath),
    request_body(content = Schedule,
        example = json!({"every": "daily", "at": "02:00", "timezone": "Europe/Berlin", "params": {"metric": "fcr"}})),
    responses((status = 200, body = ScheduleResponse, description = "the schedule as stored, with the next run"), Keyed,
        JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn set_schedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
    ApiJson(body): ApiJson<Schedule>,
) -> Result<Json<ScheduleResponse>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    schedule::read(&body)?;
    let plan = state.deployments.plan_of_kind(&state.registry, (&tenant, &name, "schedule"), PluginKind::Rule)?;
    crate::params::plugin_params(&plan.serve.info, crate::params::texts_of(&body.params), "(none besides its own)")?;
    let actor = caller.0.actor();
    let stored =
        tokio::task::spawn_blocking(move || state.system.set_schedule(&tenant, &name, &body, &actor, Utc::now()))
            .await??;
    Ok(Json(with_next(stored)))
}

/// A rule's schedule, with its next run.
#[utoipa::path(get, path = "/tenants/{tenant}/rules/{name}/schedule", tag = "rules", operation_id = "rule_schedule",
    params(PluginPath),
    responses((status = 200, body = ScheduleResponse, description = "the schedule"), Keyed,
        (status = 404, body = super::error::Problem, content_type = "application/problem+json",
            description = "no such tenant, or the rule has no schedule (`no_schedule`)")),
    security(("api_key" = [])))]
pub async fn schedule_of(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
) -> Result<Json<ScheduleResponse>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let stored = state.system.schedule(&tenant, &name)?;
    stored.map(with_next).map(Json).ok_or_else(|| no_schedule(&name))
}

fn no_schedule(name: &str) -> ApiError {
    ApiError::not_found("no_schedule", format!("rule `{name}` has no schedule; it runs on demand only"))
        .with_field("name")
}

/// Stop running a rule by itself (it still runs on demand); audited.
#[utoipa::path(delete, path = "/tenants/{tenant}/rules/{name}/schedule", tag = "rules", operation_id = "remove_rule_schedule",
    params(PluginPath),
    responses((status = 204, description = "the schedule is gone"), Keyed,
        (status = 404, body = super::error::Problem, content_type = "application/problem+json",
            description = "no such tenant, or the rule has no schedule (`no_schedule`)")),
    security(("api_key" = [])))]
pub async fn remove_schedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
) -> Result<StatusCode, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let actor = caller.0.actor();
    if state.system.remove_schedule(&tenant, &name, &actor)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_schedule(&name))
    }
}

/// Every rule schedule of the tenant, with its next run.
#[utoipa::path(get, path = "/tenants/{tenant}/rules/schedules", tag = "rules", operation_id = "rule_schedules",
    params(TenantPath),
    responses((status = 200, body = Vec<ScheduleResponse>, description = "the schedules"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn schedules(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<Vec<ScheduleResponse>>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    Ok(Json(state.system.schedules(Some(&tenant))?.into_iter().map(with_next).collect()))
}
