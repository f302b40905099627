//! The pages: sign-in, the start page (tenants), a tenant's overview (data, plugins, teams,
//! links to the leaderboard, coaching, rankings and quartiles), a dashboard rendered from its
//! plugin (figures linked to their records), a team's drill-down to its agents (each figure
//! linked to its records), and a plugin's versions and deployment.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Days, NaiveDate};
use maud::html;
use serde::Deserialize;

use super::charts::{self, Drill, number};
use super::records::RecordsLinks;
use super::{UiError, Viewer, page, session_cookie};
use crate::analytics::dashboards;
use crate::analytics::host::TenantAnalytics;
use crate::app::AppState;
use crate::auth::Action;
use crate::problem::Failure;
use crate::runtime::bindings::{GroupBy, MetricRequest, PluginKind};
use crate::runtime::host::AnalyticsHost;
use crate::runtime::kind_name;
use crate::store::overview;
use crate::store::system::Tenant;

/// Where a signed-in person may be sent back to: a path under `/ui`, nothing else.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/ui") && !n.starts_with("//") && !n.contains("://") => n,
        _ => "/ui",
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn login_page(next: &str, error: Option<&str>) -> Response {
    let body = html! {
        @if let Some(error) = error { p.error role="alert" { (error) } }
        form method="post" action="/ui/login" {
            input type="hidden" name="next" value=(next);
            p {
                label for="key" { "API key" }
                br;
                input id="key" name="key" type="password" autocomplete="current-password" required size="48";
            }
            p { button type="submit" { "Sign in" } }
        }
        p.note { "Any key of the server works; you see what its role may see. `cxhost demo` prints keys." }
    };
    page("Sign in", None, body)
}

pub async fn login_form(Query(query): Query<LoginQuery>) -> Response {
    login_page(safe_next(query.next.as_deref()), None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    key: String,
    next: Option<String>,
}

pub async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    let next = safe_next(form.next.as_deref()).to_string();
    let key = form.key.trim();
    let Some(principal) = state.keys.authenticate(key) else {
        let mut response = login_page(&next, Some("That key is not known to this server."));
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return response;
    };
    let token = state.ui_sessions.open(principal);
    (StatusCode::SEE_OTHER, [session_cookie(Some(&token)), (LOCATION, next)]).into_response()
}

pub async fn logout(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = super::session_token(&headers) {
        state.ui_sessions.close(&token);
    }
    (StatusCode::SEE_OTHER, [session_cookie(None), (LOCATION, "/ui/login".to_string())]).into_response()
}

/// The start page: the tenants this key may see (a tenant key goes straight to its tenant).
pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    if let Some(tenant) = &viewer.0.tenant {
        return Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/ui/tenants/{tenant}"))]).into_response());
    }
    let tenants = state.system.tenants().map_err(Failure::from)?;
    let body = html! {
        @if tenants.is_empty() { p { "No tenants yet. Create one with POST /v1/tenants." } }
        ul { @for t in &tenants { li { a href=(format!("/ui/tenants/{}", t.id)) { (t.name) } " (" (t.id) ")" } } }
    };
    Ok(page("Tenants", Some(&viewer.0), body))
}

pub(crate) fn require(state: &AppState, viewer: &Viewer, tenant: &str) -> Result<Tenant, UiError> {
    Ok(state.authorize(&viewer.0, Action::Query, tenant)?)
}

/// The range pages show by default: whole months around the tenant's contacts.
pub(crate) fn default_range(days: Option<(NaiveDate, NaiveDate)>) -> (String, String) {
    match days {
        Some((first, last)) => {
            let from = first.with_day(1).unwrap_or(first);
            (from.to_string(), (last + Days::new(1)).to_string())
        }
        None => {
            let today = chrono::Utc::now().date_naive();
            ((today - Days::new(28)).to_string(), (today + Days::new(1)).to_string())
        }
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, UiError> {
    Ok(tokio::task::spawn_blocking(work).await.map_err(Failure::from)??)
}

/// A tenant's overview: its data, its dashboards and metrics, its teams.
pub async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant_id): Path<String>,
) -> Result<Response, UiError> {
    let tenant = require(&state, &viewer, &tenant_id)?;
    let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
    let (counts, days, teams) = blocking(move || {
        let counts = overview::table_counts(&db).map_err(Failure::internal)?;
        let days = overview::contact_days(&db).map_err(Failure::internal)?;
        let teams = overview::teams(&db).map_err(Failure::internal)?;
        Ok((counts, days, teams))
    })
    .await?;
    let (from, to) = default_range(days);
    let range = format!("?from={from}&to={to}");
    let plugins = state.deployments.list(&state.registry, &tenant_id);
    let body = html! {
        p { "Employee figures are shown only for groups of at least " strong { (tenant.min_group_size) } " respondents." }
        section aria-labelledby="dashboards" {
            h2 id="dashboards" { "Dashboards" }
            ul { @for (plugin, source) in plugins.iter().filter(|(p, _)| p.kind() == PluginKind::Dashboard) {
                li { a href=(format!("/ui/tenants/{tenant_id}/dashboards/{}{range}", plugin.info.name)) { (plugin.info.name) }
                     " " (plugin.info.version) " (" (format!("{source:?}").to_lowercase()) ")" }
            } }
        }
        p {
            a href=(format!("/ui/tenants/{tenant_id}/leaderboard{range}")) { "Leaderboard" }
            " · " a href=(format!("/ui/tenants/{tenant_id}/coaching")) { "Coaching queue" }
            " · " a href=(format!("/ui/tenants/{tenant_id}/coaching/impact{range}")) { "Impact of coaching" }
            " · " a.rankings href=(format!("/ui/tenants/{tenant_id}/rankings{range}")) { "Fair ranking" }
            " · " a.quartiles href=(format!("/ui/tenants/{tenant_id}/quartiles{range}")) { "Quartiles and uplift" }
            @if viewer.0.may(Action::ManagePlugins, Some(&tenant_id)) {
                " · " a href=(format!("/ui/tenants/{tenant_id}/flags{range}")) { "Suspected gaming" }
            }
        }
        section aria-labelledby="data" {
            h2 id="data" { "Data" }
            p { @match days { Some((a, b)) => { "Contacts from " (a) " to " (b) "." } None => { "No contacts yet." } } }
            table.data {
                thead { tr { th scope="col" { "table" } th scope="col" { "rows" } } }
                tbody { @for (table, rows) in &counts { tr { th scope="row" { (table) } td { (rows) } } } }
            }
        }
        section aria-labelledby="teams" {
            h2 id="teams" { "Teams" }
            table.data {
                thead { tr { th scope="col" { "team" } th scope="col" { "site" } th scope="col" { "agents" } } }
                tbody { @for t in &teams { tr {
                    th scope="row" { a href=(format!("/ui/tenants/{tenant_id}/teams/{}{range}", t.team)) { (t.team) } }
                    td { (t.site) } td { (t.agents) }
                } } }
            }
        }
        section aria-labelledby="plugins" {
            h2 id="plugins" { "Plugins" }
            table.data {
                thead { tr { th scope="col" { "name" } th scope="col" { "kind" } th scope="col" { "version" }
                             th scope="col" { "source" } th scope="col" { "hash" } } }
                tbody { @for (plugin, source) in &plugins { tr {
                    th scope="row" { a href=(format!("/ui/tenants/{tenant_id}/plugins/{}", plugin.info.name)) { (plugin.info.name) } }
                    td { (kind_name(plugin.kind())) } td { (plugin.info.version) }
                    td { (format!("{source:?}").to_lowercase()) } td { code { (&plugin.hash[..12]) } }
                } } }
            }
        }
    };
    Ok(page(&format!("{} ({})", tenant.name, tenant.id), Some(&viewer.0), body))
}

fn param_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A dashboard, rendered from the tenant's plugin with the query's range and parameters.
pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((tenant_id, name)): Path<(String, String)>,
    Query(mut query): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    let tenant = require(&state, &viewer, &tenant_id)?;
    if !query.contains_key("from") || !query.contains_key("to") {
        let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
        let days = blocking(move || overview::contact_days(&db).map_err(Failure::internal)).await?;
        let (from, to) = default_range(days);
        query.entry("from".into()).or_insert(from);
        query.entry("to".into()).or_insert(to);
    }
    let (from, to) = (query["from"].clone(), query["to"].clone());
    let rendered = dashboards::render(&state, tenant, viewer.0.actor(), &name, query).await?;
    let drill_base = format!("/ui/tenants/{tenant_id}/teams");
    let drill_query = format!("?from={from}&to={to}");
    let records = RecordsLinks { tenant: &tenant_id, from: &from, to: &to };
    let drill = Drill { base: &drill_base, query: &drill_query, records: Some(records) };
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}")) { "← " (tenant_id) } }
        p.note { (rendered.plugin.info.description) }
        form.filters method="get" {
            label { "From" input type="date" name="from" value=(from); }
            label { "To" input type="date" name="to" value=(to); }
            @for (param, value) in &rendered.params {
                label { (param) input type="text" name=(param) value=(param_text(value)); }
            }
            button type="submit" { "Update" }
        }
        p.note {
            (rendered.plugin.info.name) " " (rendered.plugin.info.version) " ("
            (format!("{:?}", rendered.served_as).to_lowercase())
            ", " code { (&rendered.plugin.hash[..12]) } ") rendered in " (number(rendered.elapsed_ms)) " ms"
        }
        div.panels { @for (i, panel) in rendered.panels.iter().enumerate() { (charts::panel(i, panel, &drill)) } }
    };
    Ok(page(&format!("Dashboard {name}"), Some(&viewer.0), body))
}

#[derive(Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The customer metrics shown per agent on a team page.
pub(crate) const AGENT_METRICS: &[&str] = &["csat", "aht", "fcr", "transfer_rate", "qa_score"];

/// A team's page: its employee figure (team level, privacy floor applied) and its agents'
/// customer and quality figures.
pub async fn team(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((tenant_id, team)): Path<(String, String)>,
    Query(range): Query<RangeQuery>,
) -> Result<Response, UiError> {
    let tenant = require(&state, &viewer, &tenant_id)?;
    let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
    let (from, to) = match (range.from, range.to) {
        (Some(from), Some(to)) => (from, to),
        _ => {
            let db = db.clone();
            default_range(blocking(move || overview::contact_days(&db).map_err(Failure::internal)).await?)
        }
    };
    let (start, end) = crate::params::parse_range(&from, &to)?;
    let limits = state.limits_of(&tenant);
    let admitted = state.admit(&tenant).await?;
    let analytics = TenantAnalytics::new(state.clone(), tenant.clone(), viewer.0.actor(), db, limits);
    let team_for_work = team.clone();
    let (agents, per_agent, team_enps) = blocking(move || {
        let _admitted = admitted;
        let agents = overview::team_agents(&analytics.db, &team_for_work).map_err(Failure::internal)?;
        if agents.is_empty() {
            return Err(Failure::not_found("team_not_found", format!("tenant has no team `{team_for_work}`")));
        }
        let request = |group_by| MetricRequest {
            period_start: start.timestamp_micros(),
            period_end: end.timestamp_micros(),
            group_by,
            params: Vec::new(),
        };
        let deadline = || Instant::now() + Duration::from_millis(limits.deadline_ms);
        let failed = |name: &str, e: String| Failure::bad_request("metric_failed", format!("{name}: {e}"));
        let mut per_agent = Vec::new();
        for name in AGENT_METRICS {
            let result = analytics.metric(name, request(GroupBy::Agent), deadline()).map_err(|e| failed(name, e))?;
            per_agent.push((*name, result));
        }
        let enps = analytics.metric("enps", request(GroupBy::Team), deadline()).map_err(|e| failed("enps", e))?;
        let team_enps = enps.rows.into_iter().find(|r| r.group == team_for_work);
        Ok((agents, per_agent, team_enps))
    })
    .await?;
    let floor = tenant.min_group_size;
    let links = RecordsLinks { tenant: &tenant_id, from: &from, to: &to };
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}")) { "← " (tenant_id) } }
        p { "From " (from) " to " (to) "." }
        section.panel aria-labelledby="team-ex" {
            h2 id="team-ex" { "Employee NPS of the team" }
            @match &team_enps {
                Some(row) if row.value.is_some() => {
                    p.kpi { span.kpi-value { (number(row.value.unwrap_or_default())) } " " span.kpi-unit { "points" } }
                    p.note { (row.denominator.unwrap_or_default()) " respondents" }
                }
                _ => { p.note { "Withheld: fewer than " (floor) " respondents in this range." } }
            }
            p.note { "Survey figures are never shown per agent, so no answer can be traced to a person." }
            @if let Some(href) = links.href("enps", "team", &team, None) {
                @if team_enps.as_ref().is_some_and(|r| r.value.is_some()) { p { a.records href=(href) { "The answers behind it" } } }
            }
        }
        section.panel aria-labelledby="agents" {
            h2 id="agents" { "Agents" }
            p.note { "Each figure opens to the records behind it." }
            table.data {
                thead { tr {
                    th scope="col" { "agent" } th scope="col" { "name" } th scope="col" { "type" }
                    @for (name, result) in &per_agent { th scope="col" { (name) " (" (result.unit) ")" } }
                } }
                tbody { @for agent in &agents { tr {
                    th scope="row" { a href=(format!("/ui/tenants/{tenant_id}/agents/{}?from={from}&to={to}", agent.agent_id)) { (agent.agent_id) } }
                    td { (agent.name.as_deref().unwrap_or("")) } td { (agent.employment_type) }
                    @for (name, result) in &per_agent {
                        @let value = result.rows.iter().find(|r| r.group == agent.agent_id).and_then(|r| r.value);
                        td { @match (value, links.href(name, "agent", &agent.agent_id, None)) {
                            (Some(v), Some(href)) => { a.records href=(href) { (number(v)) } }
                            (v, _) => { (v.map_or("–".to_string(), number)) }
                        } }
                    }
                } } }
            }
        }
    };
    Ok(page(&format!("Team {team}"), Some(&viewer.0), body))
}

/// A plugin's page: what serves it (active, previous, canary, shadow, policy), every stored
/// version with who uploaded it, and the figures per version since the server started.
pub async fn plugin(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((tenant_id, name)): Path<(String, String)>,
) -> Result<Response, UiError> {
    require(&state, &viewer, &tenant_id)?;
    let versions = state.system.plugin_versions(&tenant_id, &name).map_err(Failure::from)?;
    let standard = state.registry.standard(&name);
    if versions.is_empty() && standard.is_none() {
        return Err(
            Failure::not_found("plugin_not_found", format!("tenant `{tenant_id}` has no plugin `{name}`")).into()
        );
    }
    let deployment = state.deployments.get(&tenant_id, &name).map(|d| d.row.clone());
    let serving = state.deployments.serving(&state.registry, &tenant_id, &name);
    let stats = state.deployments.stats.report(&tenant_id, &name);
    let short = |hash: &Option<String>| hash.as_deref().map_or("–".to_string(), |h| h[..12.min(h.len())].to_string());
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}")) { "← " (tenant_id) } }
        @if let Some(plugin) = &serving {
            p { "Serving: " strong { (plugin.info.name) " " (plugin.info.version) } " (" (kind_name(plugin.kind())) ", "
                code { (&plugin.hash[..12]) } ")" }
            p.note { (plugin.info.description) }
        }
        section.panel aria-labelledby="deployment" {
            h2 id="deployment" { "Deployment" }
            @match &deployment {
                None => { p { "The standard version serves every call; the tenant has deployed nothing." } }
                Some(d) => {
                    table.data { tbody {
                        tr { th scope="row" { "active" } td { code { (short(&d.active_hash)) } } }
                        tr { th scope="row" { "previous" } td { code { (short(&d.previous_hash)) } } }
                        tr { th scope="row" { "canary" } td { code { (short(&d.canary_hash)) } " " (d.canary_percent) "%" } }
                        tr { th scope="row" { "shadow" } td { code { (short(&d.shadow_hash)) } } }
                        tr { th scope="row" { "on failure" } td { (format!("{:?}", d.on_failure).to_lowercase()) } }
                        tr { th scope="row" { "changed" } td { (d.updated_at) } }
                    } }
                }
            }
        }
        section.panel aria-labelledby="versions" {
            h2 id="versions" { "Stored versions" }
            @if let Some(standard) = &standard {
                p { "Standard version shipped with the server: " (standard.info.version) " " code { (&standard.hash[..12]) } }
            }
            table.data {
                thead { tr { th scope="col" { "hash" } th scope="col" { "version" } th scope="col" { "kind" }
                             th scope="col" { "size" } th scope="col" { "uploaded by" } th scope="col" { "uploaded at" } } }
                tbody { @for v in &versions { tr {
                    th scope="row" { code { (&v.hash[..12]) } } td { (v.version) } td { (v.kind) }
                    td { (v.size_bytes / 1024) " KiB" } td { (v.uploaded_by) } td { (v.uploaded_at) }
                } } }
            }
        }
        section.panel aria-labelledby="stats" {
            h2 id="stats" { "Calls since the server started" }
            table.data {
                thead { tr { th scope="col" { "version" } th scope="col" { "calls" } th scope="col" { "errors" }
                             th scope="col" { "fallbacks" } th scope="col" { "p50 ms" } th scope="col" { "p99 ms" } } }
                tbody { @for s in &stats { tr {
                    th scope="row" { (s.version) " " code { (&s.hash[..12.min(s.hash.len())]) } } td { (s.calls) } td { (s.errors) }
                    td { (s.fallbacks) } td { (s.p50_ms.map_or("–".to_string(), number)) } td { (s.p99_ms.map_or("–".to_string(), number)) }
                } } }
            }
        }
    };
    Ok(page(&format!("Plugin {name}"), Some(&viewer.0), body))
}
