//! Actions: the coaching tasks and alerts rule runs opened, listed by state, agent, team,
//! rule and time, one with every change of its state, and moved on by the people who act on
//! them (tenant admins and team leads); marking a task done records its coaching session.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, Conflict, JsonBody, Keyed, NotFound, TenantData};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{ApiError, AppState, Caller, Time};
use crate::auth::Action;
use crate::params::{optional_bounds, parse_time};
use crate::store::actions::{self, ActionRow, Change, Event, Filter, Kind, NewSession, Session, State as ActionState};

/// The path of one action, `/tenants/{tenant}/actions/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ActionPath {
    /// The tenant's id.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
    /// The action's id, as listed.
    pub id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionsQuery {
    /// Only actions in these states, comma-separated: open, scheduled, in_progress, done,
    /// dismissed, expired, resolved (default: all).
    #[param(
        example = "open,scheduled",
        pattern = r"^ *$|^ *(open|scheduled|in_progress|done|dismissed|expired|resolved) *(, *(open|scheduled|in_progress|done|dismissed|expired|resolved) *)*$"
    )]
    pub state: Option<String>,
    /// `coaching_task` or `alert`.
    #[param(value_type = Option<Kind>, inline)]
    pub kind: Option<String>,
    /// Only this agent's tasks.
    pub agent: Option<String>,
    /// Only this team's tasks and alerts.
    pub team: Option<String>,
    /// Only actions this rule opened (or last took over).
    pub rule: Option<String>,
    /// Opened at or after this time.
    #[param(value_type = Option<Time>, inline)]
    pub from: Option<String>,
    /// Opened before this time.
    #[param(value_type = Option<Time>, inline)]
    pub to: Option<String>,
    /// At most this many, oldest first (default 500, at most 10000).
    #[param(minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
    /// Skip this many first.
    #[param(minimum = 0, maximum = 4294967295.0)]
    pub offset: Option<u32>,
}

fn states(text: Option<&str>) -> Result<Vec<ActionState>, ApiError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else { return Ok(Vec::new()) };
    text.split(',')
        .map(|s| {
            ActionState::parse(s.trim()).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_parameter",
                    format!(
                        "`{}` is not a state; use open, scheduled, in_progress, done, dismissed, expired or resolved",
                        crate::text::shown(s.trim())
                    ),
                )
                .with_field("state")
            })
        })
        .collect()
}

/// Coaching tasks and alerts, oldest first, each with the evidence that opened it.
#[utoipa::path(get, path = "/tenants/{tenant}/actions", tag = "actions", operation_id = "list_actions",
    params(super::TenantPath, ActionsQuery),
    responses((status = 200, body = Vec<ActionRow>, description = "the actions"), Keyed, BadRequest, NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(super::TenantPath { tenant }): ApiPath<super::TenantPath>,
    ApiQuery(query): ApiQuery<ActionsQuery>,
) -> Result<Json<Vec<ActionRow>>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let kind = match query.kind.as_deref() {
        None => None,
        Some(text) => Some(Kind::parse(text).ok_or_else(|| {
            ApiError::bad_request("invalid_parameter", "`kind` is `coaching_task` or `alert`").with_field("kind")
        })?),
    };
    let (from, to) = optional_bounds(query.from.as_deref(), query.to.as_deref())?;
    let filter = Filter {
        states: states(query.state.as_deref())?,
        kind,
        agent: query.agent,
        team: query.team,
        rule: query.rule,
        from,
        to,
        limit: query.limit.unwrap_or(500).min(10_000),
        offset: u64::from(query.offset.unwrap_or(0)),
    };
    let db = state.tenants.get(&tenant)?;
    Ok(Json(tokio::task::spawn_blocking(move || actions::list(&db, &filter)).await??))
}

/// An action with every change of its state and the sessions that answer it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDetail {
    #[serde(flatten)]
    pub action: ActionRow,
    /// Oldest first.
    pub events: Vec<Event>,
    pub sessions: Vec<Session>,
}

fn detail(db: &crate::store::TenantDb, id: &str) -> Result<ActionDetail, ApiError> {
    let (action, events) = actions::get(db, id)?;
    let sessions = match &action.agent_id {
        Some(agent) => {
            actions::sessions_of(db, agent)?.into_iter().filter(|s| s.action_id.as_deref() == Some(id)).collect()
        }
        None => Vec::new(),
    };
    Ok(ActionDetail { action, events, sessions })
}

/// One action, with who changed it, when and why.
#[utoipa::path(get, path = "/tenants/{tenant}/actions/{id}", tag = "actions", operation_id = "show_action",
    params(ActionPath),
    responses((status = 200, body = ActionDetail, description = "the action and its history"), Keyed,
        (status = 404, body = super::error::Problem, content_type = "application/problem+json",
            description = "no such tenant or action (`action_not_found`)"), TenantData),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ActionPath { tenant, id }): ApiPath<ActionPath>,
) -> Result<Json<ActionDetail>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let db = state.tenants.get(&tenant)?;
    Ok(Json(tokio::task::spawn_blocking(move || detail(&db, &id)).await??))
}

/// The coaching session a task marked done records; each field defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    /// Who coached (default: the caller).
    #[schema(max_length = 200)]
    pub coach: Option<String>,
    /// When (default: now).
    #[schema(value_type = Option<Time>, inline)]
    pub held_at: Option<String>,
    /// The metric or behaviour coached (default: the task's subject).
    #[schema(max_length = 200)]
    pub topic: Option<String>,
}

/// One step of an action, with the fields that step needs. Actions move only forward; runs
/// resolve and expire them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ActionStep {
    /// A coaching session is planned.
    Scheduled {
        /// When the coaching session will be held.
        #[schema(value_type = Time, inline)]
        scheduled_for: String,
        /// What was agreed.
        #[serde(default)]
        #[schema(max_length = 2000)]
        note: String,
    },
    /// The coaching has started.
    InProgress {
        #[serde(default)]
        #[schema(max_length = 2000)]
        note: String,
    },
    /// The coaching is done: a coaching task records its session in `coaching_sessions`.
    Done {
        #[serde(default)]
        #[schema(max_length = 2000)]
        note: String,
        /// The session held (each field defaults).
        #[serde(default)]
        session: Option<SessionBody>,
    },
    /// Closed without coaching.
    Dismissed {
        /// Why: required.
        #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
        note: String,
    },
}

/// Move an action on — schedule the coaching session, start it, mark it done (which records
/// the session in `coaching_sessions`) or dismiss it with a reason. Tenant admins and team
/// leads may; analysts read. Every change is kept with who made it and when.
#[utoipa::path(patch, path = "/tenants/{tenant}/actions/{id}", tag = "actions", operation_id = "change_action",
    params(ActionPath),
    request_body(content = ActionStep,
        example = json!({"state": "scheduled", "scheduled_for": "2026-04-02T10:00:00Z", "note": "1:1 on repeat contacts"})),
    responses((status = 200, body = ActionDetail, description = "the action as it now stands"), Keyed, JsonBody,
        (status = 404, body = super::error::Problem, content_type = "application/problem+json",
            description = "no such tenant or action (`action_not_found`)"),
        Conflict, TenantData),
    security(("api_key" = [])))]
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ActionPath { tenant, id }): ApiPath<ActionPath>,
    ApiJson(body): ApiJson<ActionStep>,
) -> Result<Json<ActionDetail>, ApiError> {
    caller.require(&state, Action::Coach, &tenant)?;
    let too_long = |field: &str, text: &str, max: usize| {
        crate::text::check_text(field, text, max)
            .map_err(|why| ApiError::bad_request("invalid_parameter", why).with_field(field.to_string()))
    };
    let (to, note, scheduled_for, session) = match body {
        ActionStep::Scheduled { scheduled_for, note } => (ActionState::Scheduled, note, Some(scheduled_for), None),
        ActionStep::InProgress { note } => (ActionState::InProgress, note, None, None),
        ActionStep::Done { note, session } => (ActionState::Done, note, None, session),
        ActionStep::Dismissed { note } => (ActionState::Dismissed, note, None, None),
    };
    too_long("note", &note, 2_000)?;
    let session = match session {
        Some(s) => {
            for (field, text) in [("coach", &s.coach), ("topic", &s.topic)] {
                if let Some(text) = text {
                    too_long(field, text, 200)?;
                }
            }
            Some(NewSession {
                coach: s.coach.filter(|c| !c.trim().is_empty()),
                held_at: s.held_at.as_deref().map(|t| parse_time("held_at", t)).transpose()?,
                topic: s.topic.filter(|t| !t.trim().is_empty()),
            })
        }
        None => None,
    };
    let change = Change {
        note,
        scheduled_for: scheduled_for.as_deref().map(|t| parse_time("scheduled_for", t)).transpose()?,
        session,
    };
    let actor = caller.0.actor();
    let db = state.tenants.get(&tenant)?;
    let answer = tokio::task::spawn_blocking(move || {
        actions::transition(&db, &id, to, &actor, &change, Utc::now())?;
        detail(&db, &id)
    })
    .await??;
    Ok(Json(answer))
}
