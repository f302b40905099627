//! Pages for pay and points: a leaderboard (agents or teams, with a bar chart of the leaders),
//! an agent's page with its pay statements, its points ledger, its standing, its coaching tasks
//! and sessions (and links to its records of the team page's metrics), and the
//! suspected-gaming flags for operators and tenant admins.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::html;

use super::charts::{self, Drill};
use super::coaching::{day, words};
use super::pages::{blocking, default_range, require};
use super::{UiError, Viewer, page};
use crate::analytics::panels::{Bar, BarSeries, CheckedPanel, PanelData};
use crate::app::AppState;
use crate::params::parse_range;
use crate::problem::Failure;
use crate::store::actions::{self, Kind};
use crate::store::overview;
use crate::store::{awards, pay};

/// `from`/`to` of the query, or whole months around the tenant's contacts.
async fn range(state: &AppState, tenant: &str, query: &HashMap<String, String>) -> Result<(String, String), UiError> {
    if let (Some(from), Some(to)) = (query.get("from"), query.get("to")) {
        return Ok((from.clone(), to.clone()));
    }
    let db = state.tenants.get(tenant).map_err(Failure::from)?;
    Ok(default_range(blocking(move || overview::contact_days(&db).map_err(Failure::internal)).await?))
}

/// Points per agent or team, best first, ties sharing a rank.
pub async fn leaderboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    require(&state, &viewer, &tenant_id)?;
    let (from, to) = range(&state, &tenant_id, &query).await?;
    let window = parse_range(&from, &to)?;
    let by_team = query.get("by").is_some_and(|b| b == "team");
    let team = query.get("team").filter(|t| !t.is_empty()).cloned();
    let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
    let team_filter = team.clone();
    let places = blocking(move || Ok(awards::leaderboard(&db, window, by_team, team_filter.as_deref())?)).await?;
    let leaders: Vec<_> = places.iter().take(20).collect();
    let chart = CheckedPanel {
        title: format!("Top {} by points", leaders.len()),
        data: PanelData::Bar(Bar {
            y_label: "points".to_string(),
            categories: leaders.iter().map(|p| p.name.clone()).collect(),
            series: vec![BarSeries {
                name: "points".to_string(),
                values: leaders.iter().map(|p| Some(p.points as f64)).collect(),
                ..BarSeries::default()
            }],
        }),
    };
    let query_text = format!("?from={from}&to={to}");
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}")) { "← " (tenant_id) } }
        form.filters method="get" {
            label { "From" input type="date" name="from" value=(from); }
            label { "To" input type="date" name="to" value=(to); }
            label { "Board" select name="by" {
                option value="agent" selected[!by_team] { "agents" }
                option value="team" selected[by_team] { "teams" }
            } }
            label { "Team" input type="text" name="team" value=(team.clone().unwrap_or_default()); }
            button type="submit" { "Update" }
        }
        div.panels { (charts::panel(0, &chart, &Drill::none())) }
        section.panel aria-labelledby="board" {
            h2 id="board" { (if by_team { "Teams" } else { "Agents" }) }
            table.data.leaderboard {
                thead { tr { th scope="col" { "rank" } th scope="col" { (if by_team { "team" } else { "agent" }) }
                             th scope="col" { "team" } th scope="col" { "points" } th scope="col" { "agents" } } }
                tbody { @for p in &places { tr {
                    td { (p.rank) }
                    th scope="row" {
                        @if by_team { (p.name) }
                        @else { a href=(format!("/ui/tenants/{tenant_id}/agents/{}{query_text}", p.name)) { (p.name) } }
                    }
                    td { (p.team) } td { (p.points) } td { (p.agents) }
                } } }
            }
            p.note { "Equal points share a rank and are listed by name." }
        }
    };
    Ok(page("Leaderboard", Some(&viewer.0), body))
}

fn cents(amount: i64) -> String {
    let sign = if amount < 0 { "−" } else { "" };
    format!("{sign}{}.{:02}", amount.unsigned_abs() / 100, amount.unsigned_abs() % 100)
}

/// An agent's pay statements, points and standing over a range.
pub async fn agent(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((tenant_id, agent)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    require(&state, &viewer, &tenant_id)?;
    let (from, to) = range(&state, &tenant_id, &query).await?;
    let window = parse_range(&from, &to)?;
    let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
    let who = agent.clone();
    let (statements, ledger, places, (tasks, sessions)) = blocking(move || {
        if !overview::agent_ids(&db).map_err(Failure::internal)?.contains(&who) {
            return Err(Failure::not_found("agent_not_found", format!("no agent `{who}`")));
        }
        let filter =
            pay::Filter { from: Some(window.0), to: Some(window.1), agent: Some(who.clone()), ..Default::default() };
        let statements = pay::statements(&db, &filter)?;
        let ledger = awards::ledger(&db, window, Some(&who))?;
        let places = awards::leaderboard(&db, window, false, None)?;
        Ok((statements, ledger, places, coaching_of(&db, &who)?))
    })
    .await?;
    let standing = places.iter().find(|p| p.name == agent);
    let points: i64 = ledger.iter().filter(|e| e.kind == "points").map(|e| e.amount).sum();
    let badges: Vec<&str> =
        ledger.iter().filter(|e| e.kind == "badge" && e.reverses.is_none()).map(|e| e.code.as_str()).collect();
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}/leaderboard?from={from}&to={to}")) { "← leaderboard" } }
        p { "From " (from) " to " (to) "." }
        p.records { "The agent's records behind: "
            @for (i, name) in super::pages::AGENT_METRICS.iter().enumerate() {
                @if i > 0 { " · " }
                a href=(super::records::records_href(&tenant_id, name, &[], "agent", &agent, (&from, &to))) { (name) }
            }
        }
        section.panel aria-labelledby="standing" {
            h2 id="standing" { "Standing" }
            @if let Some(s) = standing {
                p.kpi { span.kpi-value { "#" (s.rank) } " " span.kpi-unit { "of " (places.len()) ", " (s.points) " points" } }
            }
            @if !badges.is_empty() { p { "Badges: " (badges.join(", ")) } }
        }
        section.panel aria-labelledby="pay" {
            h2 id="pay" { "Pay statements" }
            @if statements.is_empty() { p { "No pay statements in this range." } }
            @for s in &statements {
                h3 { (s.period_start.get(..10).unwrap_or(&s.period_start)) " to " (s.period_end.get(..10).unwrap_or(&s.period_end))
                     " · " (s.plugin) " " (s.plugin_version) }
                table.data.statement {
                    thead { tr { th scope="col" { "component" } th scope="col" { "quantity" } th scope="col" { "rate" }
                                 th scope="col" { "amount" } th scope="col" { "note" } } }
                    tbody { @for l in &s.lines { tr {
                        th scope="row" { (l.component) } td { (charts::number(l.quantity)) } td { (cents(l.rate_cents)) }
                        td { (cents(l.amount_cents)) } td { (l.note) }
                    } } }
                    tfoot { tr { th scope="row" { "total" } td {} td {} td { strong { (cents(s.total_cents)) } } td {} } }
                }
            }
        }
        section.panel aria-labelledby="coaching-tasks" {
            h2 id="coaching-tasks" { "Coaching tasks (" (tasks.len()) ")" }
            p.note { "Every task, open and past, oldest first; the "
                a href=(format!("/ui/tenants/{tenant_id}/coaching")) { "coaching queue" } " acts on the open ones." }
            @if tasks.is_empty() { p { "No coaching tasks." } }
            @else {
                table.data.tasks {
                    thead { tr { th scope="col" { "task" } th scope="col" { "subject" } th scope="col" { "title" }
                                 th scope="col" { "state" } th scope="col" { "opened" } th scope="col" { "due" }
                                 th scope="col" { "session planned" } th scope="col" { "why closed" } } }
                    tbody { @for t in &tasks { tr data-action=(t.action_id) data-state=(t.state.as_str()) {
                        th scope="row" { code { (t.action_id) } } td { (t.subject) } td { (t.title) }
                        td.state { (words(t.state)) } td { (day(&t.created_at)) }
                        td { (t.due_at.as_deref().map_or("–", day)) } td { (t.scheduled_for.as_deref().map_or("–", day)) }
                        td { (t.reason.as_deref().unwrap_or("")) }
                    } } }
                }
            }
        }
        section.panel aria-labelledby="coaching-sessions" {
            h2 id="coaching-sessions" { "Coaching sessions (" (sessions.len()) ")" }
            @if sessions.is_empty() { p { "No coaching sessions." } }
            @else {
                table.data.coaching-sessions {
                    thead { tr { th scope="col" { "session" } th scope="col" { "held" } th scope="col" { "coach" }
                                 th scope="col" { "topic" } th scope="col" { "answers task" } th scope="col" { "notes" } } }
                    tbody { @for s in &sessions { tr data-action=(s.action_id.as_deref().unwrap_or("")) {
                        th scope="row" { (s.session_id) } td { (s.held_at.replace('T', " ").trim_end_matches('Z')) }
                        td { (s.coach) } td { (s.topic) } td { (s.action_id.as_deref().unwrap_or("–")) }
                        td { (s.notes.as_deref().unwrap_or("")) }
                    } } }
                }
            }
        }
        section.panel aria-labelledby="points" {
            h2 id="points" { "Points ledger (" (points) " points)" }
            table.data {
                thead { tr { th scope="col" { "period" } th scope="col" { "kind" } th scope="col" { "amount" }
                             th scope="col" { "code" } th scope="col" { "reason" } th scope="col" { "rule version" } } }
                tbody { @for e in &ledger { tr {
                    td { (e.period_start.get(..10).unwrap_or(&e.period_start)) } td { (e.kind) } td { (e.amount) }
                    td { (e.code) } td { (e.reason) } td { (e.plugin) " " (e.plugin_version) }
                } } }
            }
        }
    };
    Ok(page(&format!("Agent {agent}"), Some(&viewer.0), body))
}

/// An agent's coaching tasks (every state, oldest first) and sessions (newest first).
fn coaching_of(
    db: &crate::store::TenantDb,
    agent: &str,
) -> Result<(Vec<actions::ActionRow>, Vec<actions::Session>), Failure> {
    let filter = actions::Filter {
        kind: Some(Kind::CoachingTask),
        agent: Some(agent.to_string()),
        limit: 1_000,
        ..Default::default()
    };
    Ok((actions::list(db, &filter)?, actions::sessions_of(db, agent)?))
}

/// Suspected gaming patterns raised by award runs, for operators and tenant admins.
pub async fn flags(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    state.authorize(&viewer.0, crate::auth::Action::ManagePlugins, &tenant_id)?;
    let (from, to) = range(&state, &tenant_id, &query).await?;
    let window = parse_range(&from, &to)?;
    let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
    let raised = blocking(move || Ok(awards::flags(&db, window)?)).await?;
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}")) { "← " (tenant_id) } }
        p { "From " (from) " to " (to) ". Flags never change points; they are for people to look into." }
        @if raised.is_empty() { p { "No suspected gaming in this range." } }
        @else {
            table.data.flags {
                thead { tr { th scope="col" { "agent" } th scope="col" { "pattern" } th scope="col" { "detail" } } }
                tbody { @for f in &raised { tr {
                    th scope="row" { a href=(format!("/ui/tenants/{tenant_id}/agents/{}?from={from}&to={to}", f.agent_id)) { (f.agent_id) } }
                    td { (f.pattern) } td { (f.detail) }
                } } }
            }
        }
    };
    Ok(page("Suspected gaming", Some(&viewer.0), body))
}
