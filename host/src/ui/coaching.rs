//! A team lead's coaching queue: the open and scheduled coaching tasks, oldest first, with the
//! figures and periods that opened each, and one form each to schedule the session, mark the
//! task done (which records the session) and dismiss it with a reason — posts that go to the
//! same service as the API's `PATCH …/actions/{id}` (`store::actions::transition`).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::charts::number;
use super::pages::{blocking, require};
use super::{SameOrigin, UiError, Viewer, page, path_segment};
use crate::app::AppState;
use crate::auth::Action;
use crate::problem::{Class, Failure};
use crate::store::actions::{self, ActionRow, Change, Filter, Kind, State as ActionState};
use crate::store::overview;

/// Most tasks the queue shows at once.
const QUEUE_LIMIT: u32 = 500;

/// What the queue says above the tasks after a form was sent.
enum Notice {
    /// A task moved on: the task as it now is.
    Changed(Box<ActionRow>),
    /// A form was refused: what to do about it.
    Refused { task: String, message: String },
}

/// The queue: `?team=` narrows it to one team; `?changed=<id>` says what just happened.
pub async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    require(&state, &viewer, &tenant_id)?;
    let team = query.get("team").filter(|t| !t.is_empty()).cloned();
    let notice = match query.get("changed").filter(|id| !id.is_empty()) {
        Some(id) => {
            let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
            let id = id.clone();
            // A stale or made-up id says nothing rather than failing the page.
            blocking(move || Ok(actions::get(&db, &id).ok().map(|(action, _)| Notice::Changed(Box::new(action)))))
                .await?
        }
        None => None,
    };
    queue_page(&state, &viewer, &tenant_id, team, notice).await
}

/// Renders the queue of `tenant_id` (one team's, when given) with `notice` above it.
async fn queue_page(
    state: &AppState,
    viewer: &Viewer,
    tenant_id: &str,
    team: Option<String>,
    notice: Option<Notice>,
) -> Result<Response, UiError> {
    let db = state.tenants.get(tenant_id).map_err(Failure::from)?;
    let filter = Filter {
        states: vec![ActionState::Open, ActionState::Scheduled],
        kind: Some(Kind::CoachingTask),
        team: team.clone(),
        limit: QUEUE_LIMIT,
        ..Filter::default()
    };
    let (tasks, teams) = blocking(move || {
        let tasks = actions::list(&db, &filter)?;
        let teams = overview::teams(&db).map_err(Failure::internal)?;
        Ok((tasks, teams))
    })
    .await?;
    let may_coach = viewer.0.may(Action::Coach, Some(tenant_id));
    let default_when = (Utc::now().date_naive() + Days::new(1)).and_hms_opt(10, 0, 0).unwrap_or_default();
    let here = format!("/ui/tenants/{tenant_id}/coaching");
    let team_value = team.clone().unwrap_or_default();
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}")) { "← " (tenant_id) } " · "
            a href=(format!("{here}/impact")) { "Impact of coaching" } }
        @match &notice {
            Some(Notice::Changed(action)) => { p.notice role="status" { (changed_text(action)) } }
            Some(Notice::Refused { task, message }) => {
                p.error role="alert" { "Task " code { (task) } " was not changed: " (message) }
            }
            None => {}
        }
        form.filters method="get" action=(here) {
            label { "Team" select name="team" {
                option value="" selected[team.is_none()] { "every team" }
                @for t in &teams { option value=(t.team) selected[team.as_deref() == Some(t.team.as_str())] { (t.team) } }
            } }
            button type="submit" { "Show" }
        }
        p.note {
            (tasks.len()) " open and scheduled coaching tasks" @if let Some(team) = &team { " of team " (team) } ", oldest first."
            @if !may_coach { " Your role reads the queue; team leads and tenant admins act on it." }
            @else { " Times are UTC." }
        }
        @if tasks.is_empty() { p { "Nothing to coach: no open or scheduled tasks." } }
        @for task in &tasks { (task_card(tenant_id, task, may_coach, &team_value, default_when)) }
    };
    Ok(page("Coaching queue", Some(&viewer.0), body))
}

fn changed_text(action: &ActionRow) -> String {
    let mut text = format!("Task {} ({}) is now {}", action.action_id, action.title, words(action.state));
    if let (ActionState::Scheduled, Some(when)) = (action.state, &action.scheduled_for) {
        text.push_str(&format!(", the session at {}", when.replace('T', " ").trim_end_matches('Z')));
    }
    if action.state == ActionState::Done {
        text.push_str("; the coaching session is recorded on the agent's page");
    }
    text.push('.');
    text
}

/// A state in words.
pub fn words(state: ActionState) -> &'static str {
    match state {
        ActionState::InProgress => "in progress",
        other => other.as_str(),
    }
}

/// The date part of an ISO time.
pub fn day(text: &str) -> &str {
    text.get(..10).unwrap_or(text)
}

fn task_card(tenant_id: &str, task: &ActionRow, may_coach: bool, team: &str, default_when: NaiveDateTime) -> Markup {
    let id = &task.action_id;
    let post = format!("/ui/tenants/{tenant_id}/coaching/tasks/{}", path_segment(id));
    let agent = task.agent_id.as_deref().unwrap_or("");
    let slug = id.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    html! {
        article.task.panel data-action=(id) data-state=(task.state.as_str()) aria-labelledby=(format!("task-{slug}")) {
            h2 id=(format!("task-{slug}")) { (task.title) }
            p {
                "Agent " a href=(format!("/ui/tenants/{tenant_id}/agents/{agent}")) { (agent) }
                @if let Some(team) = &task.team { " · team " (team) }
                " · " span.state { (words(task.state)) }
                @if let Some(when) = &task.scheduled_for { " for " time datetime=(when) { (when.replace('T', " ").trim_end_matches('Z')) } }
            }
            p.note {
                "Task " code { (id) } " · " (task.subject) " · priority " (task.priority)
                " · opened " (day(&task.created_at)) " by " (task.rule) " " (task.rule_version)
                @if let Some(due) = &task.due_at { " · due " (day(due)) }
            }
            @if !task.detail.is_empty() { p { (task.detail) } }
            (evidence(&task.evidence))
            @if may_coach {
                div.task-forms {
                    form method="post" action=(post) {
                        input type="hidden" name="state" value="scheduled";
                        input type="hidden" name="team" value=(team);
                        label { "Session at (UTC) "
                            input type="datetime-local" name="when" value=(default_when.format("%Y-%m-%dT%H:%M").to_string()); }
                        " " button.schedule type="submit" { "Schedule" }
                    }
                    form method="post" action=(post) {
                        input type="hidden" name="state" value="done";
                        input type="hidden" name="team" value=(team);
                        label { "What was agreed " input type="text" name="note" maxlength="2000"; }
                        " " button.done type="submit" { "Mark done" }
                    }
                    form method="post" action=(post) {
                        input type="hidden" name="state" value="dismissed";
                        input type="hidden" name="team" value=(team);
                        label { "Reason (required) " input type="text" name="note" maxlength="2000" aria-required="true"; }
                        " " button.dismiss type="submit" { "Dismiss" }
                    }
                }
            }
        }
    }
}

fn optional(v: Option<f64>) -> String {
    v.map_or("–".to_string(), number)
}

/// The evidence of a task: each figure with its period, what it was compared with, its
/// sample and whether it met the condition.
fn evidence(items: &serde_json::Value) -> Markup {
    let items = items.as_array().map(Vec::as_slice).unwrap_or_default();
    html! {
        @if items.is_empty() { p.note { "No figures were given as evidence." } }
        @else {
            table.data.evidence {
                caption { "Evidence" }
                thead { tr { th scope="col" { "metric" } th scope="col" { "period" } th scope="col" { "value" }
                             th scope="col" { "compared with" } th scope="col" { "sample" } th scope="col" { "met the condition" } } }
                tbody { @for item in items { tr {
                    th scope="row" { (item["metric"].as_str().unwrap_or("")) }
                    td { (day(item["period_start"].as_str().unwrap_or(""))) " to " (day(item["period_end"].as_str().unwrap_or(""))) }
                    td { (optional(item["value"].as_f64())) }
                    td { (optional(item["threshold"].as_f64())) }
                    td { (optional(item["sample"].as_f64())) }
                    td { (if item["breach"].as_bool() == Some(true) { "yes" } else { "no" }) }
                } } }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    /// `scheduled`, `in_progress`, `done` or `dismissed`.
    state: String,
    /// The session's time, as a `datetime-local` field sends it (UTC).
    #[serde(default)]
    when: String,
    /// The reason to dismiss, or what was agreed.
    #[serde(default)]
    note: String,
    /// The team the queue was showing, to go back to it.
    #[serde(default)]
    team: String,
}

/// A `datetime-local` value (`2026-04-02T10:00`, seconds optional) as a UTC time.
fn parse_when(text: &str) -> Result<Option<DateTime<Utc>>, Failure> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            Failure::bad_request(
                "invalid_parameter",
                format!("`{}` is not a date and time like 2026-04-02T10:00", crate::text::shown(text)),
            )
        })
}

/// The state a form asks for and the change it brings, checked as the API checks them.
fn read_form(form: &ChangeForm) -> Result<(ActionState, Change), Failure> {
    let to = ActionState::parse(&form.state)
        .filter(|s| {
            matches!(s, ActionState::Scheduled | ActionState::InProgress | ActionState::Done | ActionState::Dismissed)
        })
        .ok_or_else(|| {
            Failure::bad_request("invalid_parameter", "a task can be scheduled, started, marked done or dismissed")
        })?;
    crate::text::check_text("the note", &form.note, 2_000)
        .map_err(|why| Failure::bad_request("invalid_parameter", why))?;
    Ok((to, Change { note: form.note.trim().to_string(), scheduled_for: parse_when(&form.when)?, session: None }))
}

/// A form of the queue: moves a task on as the signed-in person, then back to the queue with
/// what happened; a refused change shows the queue again with the reason.
pub async fn change(
    _: SameOrigin,
    State(state): State<AppState>,
    viewer: Viewer,
    Path((tenant_id, id)): Path<(String, String)>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, UiError> {
    state.authorize(&viewer.0, Action::Coach, &tenant_id)?;
    let team = Some(form.team.clone()).filter(|t| !t.is_empty());
    let outcome = match read_form(&form) {
        Ok((to, change)) => {
            let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
            let (actor, task) = (viewer.0.actor(), id.clone());
            let moved = move || actions::transition(&db, &task, to, &actor, &change, Utc::now()).map_err(Failure::from);
            blocking(move || Ok(moved())).await?
        }
        Err(refused) => Err(refused),
    };
    match outcome {
        Ok(_) => {
            let mut back = format!("/ui/tenants/{tenant_id}/coaching?changed={}", path_segment(&id));
            if let Some(team) = &team {
                back.push_str(&format!("&team={}", path_segment(team)));
            }
            Ok((StatusCode::SEE_OTHER, [(LOCATION, back)]).into_response())
        }
        Err(failure) if matches!(failure.class(), Class::BadRequest | Class::Conflict | Class::NotFound) => {
            let status = StatusCode::from_u16(failure.class().status()).unwrap_or(StatusCode::BAD_REQUEST);
            let notice = Notice::Refused { task: id, message: failure.detail().to_string() };
            let mut response = queue_page(&state, &viewer, &tenant_id, team, Some(notice)).await?;
            *response.status_mut() = status;
            Ok(response)
        }
        Err(failure) => Err(failure.into()),
    }
}
