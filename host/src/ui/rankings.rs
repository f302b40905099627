//! The fair-ranking page (agents' raw and adjusted value and rank side by side, arrows with
//! the places each moved, the largest moves drawn and highlighted, unranked agents with why,
//! the method stated) and the quartile page (each population's distribution as a strip plot,
//! the four groups with boundaries, means and members, the uplift of the bottom half in units
//! and money). The figures are `analytics::ranking`'s and `analytics::quartiles`', as the API
//! answers them; every agent's figure links to its records.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::charts::number;
use super::pages::{blocking, default_range, require};
use super::records::records_href;
use super::{UiError, Viewer, page, path_segment, query_string};
use crate::analytics::cxex::parse_metric_name;
use crate::analytics::quartiles::{self, Basis, By, Quartile, QuartileGroup, Quartiles};
use crate::analytics::ranking::{self, Adjust, AgentRanking, RankAsk, Ranking, parse_adjust, parse_min_sample};
use crate::analytics::records::RecordsSource;
use crate::app::AppState;
use crate::metric_calls::{MetricCall, MetricError};
use crate::problem::Failure;
use crate::store::metric_values::{MetricValue, Per};
use crate::store::overview;
use crate::store::system::Tenant;

/// The metric the pages open with.
const DEFAULT_METRIC: &str = "aht";
/// The columns a ranking may adjust for, in the order the form offers them.
const ADJUSTABLE: [Adjust; 4] = [Adjust::Queue, Adjust::ContactReason, Adjust::Channel, Adjust::Tenure];
/// Ranked agents listed on the ranking page at most (the largest moves are drawn apart).
const MAX_ROWS: usize = 1000;
/// Agents drawn in the rank chart at most.
const MAX_DRAWN: usize = 200;
/// The largest moves highlighted.
const LARGEST_MOVES: usize = 3;

/// The query as the pages read it: single values, the `adjust` boxes joined, the metric's own
/// parameters (also from `name[param=value,…]`) kept apart.
struct Asked {
    name: String,
    given: Vec<(String, String)>,
    from: String,
    to: String,
    adjust: Option<String>,
    min_sample: Option<String>,
    basis: Option<String>,
    by: Option<String>,
}

impl Asked {
    /// The metric as the form shows it: `name` or `name[param=value,…]`.
    fn metric(&self) -> String {
        super::records::metric_text(&self.name, &self.given)
    }
}

/// Reads the query; `own` names the pages' own parameters besides `metric`, `from`, `to`.
async fn read(state: &AppState, tenant: &str, pairs: Vec<(String, String)>, own: &[&str]) -> Result<Asked, UiError> {
    let mut single: HashMap<String, String> = HashMap::new();
    let mut boxes: Vec<String> = Vec::new();
    let mut form = false;
    for (k, v) in pairs {
        match k.as_str() {
            "adjust_box" => boxes.push(v),
            "form" => form = true,
            _ if v.trim().is_empty() => {}
            _ => {
                single.insert(k, v.trim().to_string());
            }
        }
    }
    // Boxes from the form win; a form with none ticked adjusts for nothing.
    if form {
        single.insert("adjust".into(), if boxes.is_empty() { "none".into() } else { boxes.join(",") });
    }
    let metric = single.remove("metric").unwrap_or_else(|| DEFAULT_METRIC.to_string());
    let (name, mut given) = parse_metric_name("metric", &metric).map_err(Failure::from)?;
    let (from, to) = match (single.remove("from"), single.remove("to")) {
        (Some(from), Some(to)) => (from, to),
        _ => {
            let db = state.tenants.get(tenant).map_err(Failure::from)?;
            default_range(blocking(move || overview::contact_days(&db).map_err(Failure::internal)).await?)
        }
    };
    let mut take = |k: &str| single.remove(k);
    let (adjust, min_sample, basis, by) = (take("adjust"), take("min_sample"), take("basis"), take("by"));
    for k in own {
        single.remove(*k);
    }
    given.extend(single);
    given.sort();
    Ok(Asked { name, given, from, to, adjust, min_sample, basis, by })
}

/// A ranking with what it was computed from.
struct Ranked {
    plugin: String,
    version: String,
    unit: String,
    ranking: Ranking,
    value: Option<MetricValue>,
}

/// Ranks the agents of `asked`'s metric as `GET …/rankings` does. Blocking parts run on a
/// blocking thread in one of the tenant's places.
async fn ranked(
    state: &AppState,
    viewer: &Viewer,
    tenant: &Tenant,
    asked: &Asked,
    valued: bool,
) -> Result<Ranked, Failure> {
    let adjust = parse_adjust(asked.adjust.as_deref())?;
    let min_sample = parse_min_sample(asked.min_sample.as_deref())?;
    let mut query: HashMap<String, String> = asked.given.iter().cloned().collect();
    query.insert("from".into(), asked.from.clone());
    query.insert("to".into(), asked.to.clone());
    query.insert("group_by".into(), "agent".into());
    let call = MetricCall::prepare_with(state, tenant, &asked.name, &viewer.0.actor(), query, "metric, from, to")
        .map_err(|e| match e {
            MetricError::Plan(plan) => Failure::from(plan).with_field("metric"),
            other => Failure::from(other),
        })?;
    let limits = state.limits_of(tenant);
    let admitted = state.admit(tenant).await?;
    let db = state.tenants.get(&tenant.id)?;
    let worker = state.clone();
    let tenant_id = tenant.id.clone();
    let ask = RankAsk { adjust, min_sample };
    tokio::task::spawn_blocking(move || -> Result<Ranked, Failure> {
        let _admitted = admitted;
        let source = RecordsSource::ask(&worker, &call, (None, true), db, limits)?;
        let ranking = ranking::rank(&worker, &source, &ask)?;
        let value = if valued { worker.system.metric_value(&tenant_id, &call.name)? } else { None };
        Ok(Ranked {
            plugin: source.plugin.info.name.clone(),
            version: source.plugin.info.version.clone(),
            unit: source.query.unit.clone(),
            ranking,
            value,
        })
    })
    .await?
}

/// The page with `body` or the failure's message in its place, with the failure's status.
fn respond(title: &str, viewer: &Viewer, head: Markup, outcome: Result<Markup, Failure>) -> Response {
    let (status, content) = match outcome {
        Ok(body) => (StatusCode::OK, body),
        Err(failure) => {
            let error = UiError::from(failure);
            (error.status, html! { p.error role="alert" { (error.message) } })
        }
    };
    let mut response = page(title, Some(&viewer.0), html! { (head) (content) });
    *response.status_mut() = status;
    response
}

fn adjust_boxes(asked: &Asked) -> Markup {
    let chosen = parse_adjust(asked.adjust.as_deref()).unwrap_or_default();
    html! {
        fieldset.adjust {
            legend { "Adjust for" }
            input type="hidden" name="form" value="1";
            @for a in ADJUSTABLE {
                label { input type="checkbox" name="adjust_box" value=(a.name()) checked[chosen.contains(&a)]; (a.name()) }
            }
        }
    }
}

fn nav(tenant: &str, asked: &Asked) -> Markup {
    let metric = asked.metric();
    let q = query_string([("metric", metric.as_str()), ("from", asked.from.as_str()), ("to", asked.to.as_str())]);
    html! {
        p.nav {
            a href=(format!("/ui/tenants/{tenant}")) { "← " (tenant) }
            " · " a.rankings href=(format!("/ui/tenants/{tenant}/rankings{q}")) { "Fair ranking" }
            " · " a.quartiles href=(format!("/ui/tenants/{tenant}/quartiles{q}")) { "Quartiles and uplift" }
            " · " a.records href=(records_href(tenant, &asked.name, &asked.given, "total", "total", (&asked.from, &asked.to))) { "Records of " (metric) }
        }
    }
}

/// Where an agent's figure links to: its records for the page's metric and range.
fn agent_records(tenant: &str, asked: &Asked, agent: &str) -> String {
    records_href(tenant, &asked.name, &asked.given, "agent", agent, (&asked.from, &asked.to))
}

fn agent_link(tenant: &str, asked: &Asked, agent: &str) -> Markup {
    let q = query_string([("from", asked.from.as_str()), ("to", asked.to.as_str())]);
    html! { a.agent href=(format!("/ui/tenants/{}/agents/{}{q}", path_segment(tenant), path_segment(agent))) { (agent) } }
}

/// `?metric&adjust&from&to&min_sample&<the metric's parameters>`: agents ranked raw and fair.
pub async fn ranking(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant_id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let tenant = require(&state, &viewer, &tenant_id)?;
    let asked = read(&state, &tenant_id, pairs, &["basis", "by"]).await?;
    let head = html! {
        (nav(&tenant_id, &asked))
        form.filters method="get" {
            label { "Metric" input type="text" name="metric" value=(asked.metric()); }
            label { "From" input type="date" name="from" value=(asked.from); }
            label { "To" input type="date" name="to" value=(asked.to); }
            (adjust_boxes(&asked))
            label { "Fewest records ranked" input type="number" name="min_sample" min="1"
                value=(asked.min_sample.clone().unwrap_or_else(|| ranking::DEFAULT_MIN_SAMPLE.to_string())); }
            button type="submit" { "Update" }
        }
    };
    let outcome = ranked(&state, &viewer, &tenant, &asked, false).await.map(|r| ranking_body(&tenant_id, &asked, &r));
    Ok(respond(&format!("Fair ranking by {}", asked.metric()), &viewer, head, outcome))
}

/// ↑ n for places gained by adjusting, ↓ n for places lost, = for none.
fn arrow(change: Option<i64>) -> Markup {
    match change {
        Some(c) if c > 0 => html! { span.up title=(format!("up {c} places once adjusted")) { "↑ " (c) } },
        Some(c) if c < 0 => html! { span.down title=(format!("down {} places once adjusted", -c)) { "↓ " (-c) } },
        Some(_) => html! { span.same title="the same rank" { "=" } },
        None => html! { "–" },
    }
}

/// The smallest |rank change| among the largest moves (none when nobody moved).
fn largest_move_floor(agents: &[AgentRanking]) -> Option<i64> {
    let mut moves: Vec<i64> = agents.iter().filter_map(|a| a.rank_change).map(i64::abs).filter(|m| *m > 0).collect();
    moves.sort_unstable_by(|a, b| b.cmp(a));
    moves.get(LARGEST_MOVES.min(moves.len()).checked_sub(1)?).copied()
}

fn ranking_body(tenant: &str, asked: &Asked, r: &Ranked) -> Markup {
    let k = &r.ranking;
    let ranked: Vec<&AgentRanking> = k.agents.iter().filter(|a| a.ranked).collect();
    let unranked: Vec<&AgentRanking> = k.agents.iter().filter(|a| !a.ranked).collect();
    let floor = largest_move_floor(&k.agents);
    let big = |a: &AgentRanking| floor.is_some_and(|f| a.rank_change.is_some_and(|c| c.abs() >= f));
    let adjusted: Vec<&str> = k.adjust.iter().map(|a| a.name()).collect();
    let tenant_value = k.tenant.value.unwrap_or(0.0);
    html! {
        p.note {
            (r.plugin) " " (r.version) ", in " (r.unit) "; " (if k.higher_is_better { "higher is better" } else { "lower is better" })
            ". From " (asked.from) " to " (asked.to) ". Tenant figure "
            strong { (k.tenant.value.map_or("–".to_string(), number)) } " over " (k.tenant.records) " records in "
            (k.tenant.cells) " cells."
        }
        @if let Some(note) = &k.note { p.notice role="status" { (note) } }
        section.panel aria-labelledby="method" {
            h2 id="method" { "How agents are ranked" }
            p.adjusted { "Adjusted for: " strong { @if adjusted.is_empty() { "nothing (adjusted equals raw, shrunk)" } @else { (adjusted.join(", ")) } } "." }
            @if let Some(bands) = &k.tenure_bands { p { "Tenure bands: " (bands.join(", ")) "." } }
            p.method { (k.method) }
            p.note {
                (k.statistics.agents_ranked) " of " (k.statistics.agents_listed) " agents ranked (at least " (k.min_sample) " records); "
                "within variance " (number(k.statistics.within_variance)) ", between variance " (number(k.statistics.between_variance))
                ", k = " (k.statistics.k.map_or("–".to_string(), number)) "."
            }
        }
        @if !ranked.is_empty() {
            section.panel aria-labelledby="moves" {
                h2 id="moves" { "Raw rank and adjusted rank" }
                (rank_chart(&ranked, floor))
            }
        }
        section.panel aria-labelledby="ranked" {
            h2 id="ranked" { "Ranked agents (" (ranked.len()) ")" }
            p.note { "By adjusted rank. ↑ marks places gained once the mix is adjusted for, ↓ places lost; the "
                (LARGEST_MOVES) " largest moves are highlighted. Each raw value opens to its records." }
            table.data.ranking {
                thead { tr {
                    th scope="col" { "adjusted rank" } th scope="col" { "change" } th scope="col" { "raw rank" }
                    th scope="col" { "agent" } th scope="col" { "team" } th scope="col" { "records" }
                    th scope="col" { "raw value" } th scope="col" { "expected for the mix" } th scope="col" { "adjusted value" }
                    th scope="col" { "score (95% interval)" } th scope="col" { "shrinkage" }
                } }
                tbody { @for a in ranked.iter().take(MAX_ROWS) {
                    tr.moved-most[big(a)] data-agent=(a.agent_id) data-change=(a.rank_change.unwrap_or(0)) {
                        td.adjusted-rank { (a.adjusted_rank.map_or("–".to_string(), |r| r.to_string())) }
                        td.change { (arrow(a.rank_change)) }
                        td.raw-rank { (a.raw_rank.map_or("–".to_string(), |r| r.to_string())) }
                        th scope="row" { (agent_link(tenant, asked, &a.agent_id)) @if let Some(n) = &a.name { " " span.note { (n) } } }
                        td { (a.team.as_deref().unwrap_or("–")) }
                        td { (a.records) }
                        td.raw { @match a.raw_value {
                            Some(v) => { a.records href=(agent_records(tenant, asked, &a.agent_id)) { (number(v)) } }
                            None => { "–" }
                        } }
                        td { (a.expected.map_or("–".to_string(), number)) }
                        td.adjusted { (a.adjusted_value.map_or("–".to_string(), number)) }
                        td { (number(a.score)) " (" (number(a.score_low)) " to " (number(a.score_high)) ")" }
                        td { (number(a.shrinkage)) }
                    }
                } }
            }
            @if ranked.len() > MAX_ROWS { p.note { "The first " (MAX_ROWS) " of " (ranked.len()) " are listed." } }
            p.note { "Adjusted value = the tenant figure (" (number(tenant_value)) ") + the agent's score." }
        }
        section.panel aria-labelledby="unranked" {
            h2 id="unranked" { "Listed, not ranked (" (unranked.len()) ")" }
            @if unranked.is_empty() { p { "Every agent has enough records to be ranked." } }
            @else {
                table.data.unranked {
                    thead { tr { th scope="col" { "agent" } th scope="col" { "team" } th scope="col" { "records" }
                                 th scope="col" { "raw value" } th scope="col" { "why" } } }
                    tbody { @for a in &unranked { tr data-agent=(a.agent_id) {
                        th scope="row" { (agent_link(tenant, asked, &a.agent_id)) }
                        td { (a.team.as_deref().unwrap_or("–")) } td { (a.records) }
                        td { @match a.raw_value {
                            Some(v) => { a.records href=(agent_records(tenant, asked, &a.agent_id)) { (number(v)) } }
                            None => { "–" }
                        } }
                        td.why { (a.records) " records, fewer than the " (k.min_sample) " a rank needs: too few to tell skill from chance" }
                    } } }
                }
            }
        }
    }
}

const CHART_W: f64 = 640.0;
const PALETTE: [&str; 4] = ["#2b7a3d", "#1f5fa8", "#a35a00", "#b8322a"];

/// Raw rank (left) to adjusted rank (right), one line per ranked agent; the largest moves in
/// colour, linked to the agent's records.
fn rank_chart(ranked: &[&AgentRanking], floor: Option<i64>) -> Markup {
    let drawn: Vec<&&AgentRanking> = ranked.iter().take(MAX_DRAWN).collect();
    let n = ranked.len().max(1) as f64;
    let (top, bottom, left, right) = (24.0, 16.0, 160.0, CHART_W - 160.0);
    let height = (ranked.len().min(MAX_DRAWN) as f64 * 6.0).clamp(160.0, 900.0) + top + bottom;
    let y = |rank: u32| top + (f64::from(rank) - 1.0) / (n - 1.0).max(1.0) * (height - top - bottom);
    let desc = format!(
        "Each ranked agent's raw rank on the left joined to its adjusted rank on the right; the {} largest moves are drawn thick and coloured",
        LARGEST_MOVES
    );
    html! {
        svg.chart data-chart="ranks" viewBox=(format!("0 0 {CHART_W} {height}")) role="img" aria-labelledby="ranks-title ranks-desc" {
            title id="ranks-title" { "Raw rank to adjusted rank" }
            desc id="ranks-desc" { (desc) }
            g.axis {
                line x1=(left) x2=(left) y1=(top) y2=(height - bottom) {}
                line x1=(right) x2=(right) y1=(top) y2=(height - bottom) {}
                text x=(left) y="14" text-anchor="middle" { "raw rank" }
                text x=(right) y="14" text-anchor="middle" { "adjusted rank" }
            }
            @for a in &drawn {
                @if let (Some(raw), Some(adj)) = (a.raw_rank, a.adjusted_rank) {
                    @let big = floor.is_some_and(|f| a.rank_change.is_some_and(|c| c.abs() >= f));
                    @let colour = match a.rank_change { Some(c) if big && c > 0 => PALETTE[0], Some(_) if big => PALETTE[3], _ => "#b5b5b5" };
                    line.largest[big] x1=(left) x2=(right) y1=(format!("{:.1}", y(raw))) y2=(format!("{:.1}", y(adj)))
                        stroke=(colour) stroke-width=(if big { "2.5" } else { "1" }) {
                        title { (a.agent_id) ": raw rank " (raw) ", adjusted rank " (adj) }
                    }
                    @if big {
                        text x=(left - 6.0) y=(format!("{:.1}", y(raw) + 4.0)) text-anchor="end" { (a.agent_id) " #" (raw) }
                        text x=(right + 6.0) y=(format!("{:.1}", y(adj) + 4.0)) { "#" (adj) " " (arrow_text(a.rank_change)) }
                    }
                }
            }
        }
        @if ranked.len() > MAX_DRAWN { p.note { "The first " (MAX_DRAWN) " agents by adjusted rank are drawn." } }
    }
}

fn arrow_text(change: Option<i64>) -> String {
    match change {
        Some(c) if c > 0 => format!("↑ {c}"),
        Some(c) if c < 0 => format!("↓ {}", -c),
        _ => "=".to_string(),
    }
}

/// `?metric&basis&by&adjust&from&to&min_sample&<the metric's parameters>`: the quartiles.
pub async fn quartiles(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant_id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let tenant = require(&state, &viewer, &tenant_id)?;
    let asked = read(&state, &tenant_id, pairs, &[]).await?;
    let basis_text = asked.basis.clone().unwrap_or_else(|| "raw".into());
    let by_text = asked.by.clone().unwrap_or_else(|| "tenant".into());
    let head = html! {
        (nav(&tenant_id, &asked))
        form.filters method="get" {
            label { "Metric" input type="text" name="metric" value=(asked.metric()); }
            label { "From" input type="date" name="from" value=(asked.from); }
            label { "To" input type="date" name="to" value=(asked.to); }
            label { "Sorted by" select name="basis" {
                option value="raw" selected[basis_text == "raw"] { "raw value" }
                option value="adjusted" selected[basis_text == "adjusted"] { "adjusted value" }
            } }
            label { "Population" select name="by" {
                option value="tenant" selected[by_text == "tenant"] { "the whole tenant" }
                option value="team" selected[by_text == "team"] { "each team" }
            } }
            (adjust_boxes(&asked))
            label { "Fewest records ranked" input type="number" name="min_sample" min="1"
                value=(asked.min_sample.clone().unwrap_or_else(|| ranking::DEFAULT_MIN_SAMPLE.to_string())); }
            button type="submit" { "Update" }
        }
    };
    let outcome = async {
        let basis = quartiles::parse_basis(asked.basis.as_deref())?;
        let by = quartiles::parse_by(asked.by.as_deref())?;
        let r = ranked(&state, &viewer, &tenant, &asked, true).await?;
        let q = quartiles::quartiles(&r.ranking, &r.unit, basis, by, r.value.as_ref());
        Ok::<Markup, Failure>(quartile_body(&tenant_id, &asked, &r, &q))
    }
    .await;
    Ok(respond(&format!("Quartiles of {}", asked.metric()), &viewer, head, outcome))
}

fn quartile_body(tenant: &str, asked: &Asked, r: &Ranked, q: &Quartiles) -> Markup {
    let k = &r.ranking;
    html! {
        p.note {
            (r.plugin) " " (r.version) ", in " (r.unit) "; " (if k.higher_is_better { "higher is better" } else { "lower is better" })
            ". From " (asked.from) " to " (asked.to) ". Sorted by the " (if q.basis == Basis::Raw { "raw" } else { "adjusted" })
            " value; " (q.unranked) " agents with fewer than " (k.min_sample) " records are in no quartile."
        }
        @if let Some(note) = &k.note { p.notice role="status" { (note) } }
        @if r.value.is_none() {
            p.note.unvalued { "The tenant has not said what a unit of " (asked.name) " is worth, so the uplift is in units only "
                "(PUT /v1/tenants/" (tenant) "/metric-values/" (asked.name) " sets it)." }
        }
        @if q.groups.is_empty() { p { "No agent is ranked, so there are no quartiles." } }
        @for (i, g) in q.groups.iter().enumerate() {
            (group_section(i, tenant, asked, r, q, g))
        }
        details.method { summary { "Method" } p { (q.method) } @if q.basis == Basis::Adjusted { p { (k.method) } } }
    }
}

fn group_title(q: &Quartiles, g: &QuartileGroup) -> String {
    match (q.by, &g.team) {
        (By::Tenant, _) => "All ranked agents".to_string(),
        (By::Team, Some(team)) => format!("Team {team}"),
        (By::Team, None) => "Agents without a team".to_string(),
    }
}

fn group_section(i: usize, tenant: &str, asked: &Asked, r: &Ranked, q: &Quartiles, g: &QuartileGroup) -> Markup {
    let heading = format!("group-{i}");
    let title = group_title(q, g);
    html! {
        section.panel.quartile-group aria-labelledby=(heading) data-team=(g.team.as_deref().unwrap_or("")) {
            h2 id=(heading) { (title) " (" (g.agents) " agents)" }
            (strip_plot(i, &title, tenant, asked, &r.unit, g))
            table.data.quartiles {
                thead { tr { th scope="col" { "quartile" } th scope="col" { "agents" } th scope="col" { "from (best)" }
                             th scope="col" { "to (boundary)" } th scope="col" { "mean" } th scope="col" { "members" } } }
                tbody { @for qt in &g.quartiles { tr data-quartile=(qt.quartile) {
                    th scope="row" { "Q" (qt.quartile) }
                    td { (qt.agents) }
                    td { (qt.best.map_or("–".to_string(), number)) }
                    td.boundary { (qt.boundary.map_or("–".to_string(), number)) }
                    td.mean { (qt.mean.map_or("–".to_string(), number)) }
                    td.members { @for (j, m) in qt.members.iter().enumerate() {
                        @if j > 0 { ", " }
                        a href=(agent_records(tenant, asked, &m.agent_id)) title=(format!("{}: {}", m.agent_id, number(m.value))) { (m.agent_id) }
                    } }
                } } }
            }
            (uplift_text(&asked.name, &r.unit, r.ranking.higher_is_better, g))
        }
    }
}

/// Cents as money: `1234.56`, with a minus sign below zero.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "−" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

fn uplift_text(metric: &str, unit: &str, higher_is_better: bool, g: &QuartileGroup) -> Markup {
    let u = &g.uplift;
    let mean = |q: usize| g.quartiles.get(q).and_then(|q| q.mean).map_or("–".to_string(), number);
    let units = if unit == "ratio" {
        "records moved into the numerator".to_string()
    } else {
        format!("{unit} over their records")
    };
    html! {
        div.uplift {
            h3 { "Uplift from moving the bottom half up" }
            p.uplift-units {
                "If every agent of Q3 reached Q2's mean (" (mean(1)) ") and every agent of Q4 reached Q3's mean (" (mean(2)) "), "
                strong { (u.agents_moved) " agents" } " would improve: "
                strong.improvement { (number(u.improvement)) " " (units) } " ("
                (if higher_is_better { "the numerator up by " } else { "the numerator down by " }) (number(u.numerator_change.abs())) "); "
                (metric) " from " strong { (u.figure_before.map_or("–".to_string(), number)) } " to "
                strong { (u.figure_after.map_or("–".to_string(), number)) } ", " (number(u.points)) " points (a point is "
                (number(u.point)) " " (unit) ")."
            }
            @if let Some(m) = &u.money {
                p.uplift-money {
                    "Worth " strong.money { (money(m.cents)) } " at " (money(m.cents_per_unit)) " per "
                    (match m.per { Per::Record => "unit of the records", Per::Point => "point of the figure" }) "."
                }
            }
        }
    }
}

/// Each agent of a population as a dot on one value axis, coloured and stacked by quartile,
/// boundaries as dashed lines and means as bars; each dot links to the agent's records.
fn strip_plot(id: usize, title: &str, tenant: &str, asked: &Asked, unit: &str, g: &QuartileGroup) -> Markup {
    let (left, right, top, row_h) = (56.0, CHART_W - 16.0, 16.0, 36.0);
    let height = top + row_h * 4.0 + 40.0;
    let values: Vec<f64> = g.quartiles.iter().flat_map(|q| q.members.iter().map(|m| m.value)).collect();
    let (mut lo, mut hi) =
        values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.05;
    let (lo, hi) = (lo - pad, hi + pad);
    let x = |v: f64| left + (v - lo) / (hi - lo) * (right - left);
    let row_y = |q: &Quartile| top + row_h * (f64::from(q.quartile) - 0.5);
    let axis_y = top + row_h * 4.0;
    let (t, d) = (format!("strip-{id}-title"), format!("strip-{id}-desc"));
    html! {
        svg.chart data-chart="strip" viewBox=(format!("0 0 {CHART_W} {height}")) role="img" aria-labelledby=(format!("{t} {d}")) {
            title id=(t) { "Distribution of " (asked.name) ": " (title) }
            desc id=(d) { (values.len()) " agents as dots on the " (unit) " axis, one row per quartile (Q1 best at the top), "
                "the boundaries as dashed lines and each quartile's mean as a bar" }
            g.axis {
                line x1=(left) x2=(right) y1=(axis_y) y2=(axis_y) {}
                @for i in 0..=4 {
                    @let v = lo + (hi - lo) * f64::from(i) / 4.0;
                    text x=(format!("{:.1}", x(v))) y=(axis_y + 16.0) text-anchor="middle" { (number(v)) }
                }
                text x=(left + (right - left) / 2.0) y=(height - 4.0) text-anchor="middle" { (asked.name) " (" (unit) ")" }
            }
            @for qt in &g.quartiles {
                @let colour = PALETTE[usize::from(qt.quartile.saturating_sub(1)).min(3)];
                text x=(left - 8.0) y=(format!("{:.1}", row_y(qt) + 4.0)) text-anchor="end" { "Q" (qt.quartile) }
                @if let (Some(b), true) = (qt.boundary, qt.quartile < 4) {
                    line.boundary x1=(format!("{:.1}", x(b))) x2=(format!("{:.1}", x(b))) y1=(top) y2=(axis_y)
                        stroke="#555" stroke-dasharray="4 3" { title { "Q" (qt.quartile) " ends at " (number(b)) } }
                }
                @if let Some(mean) = qt.mean {
                    line.mean x1=(format!("{:.1}", x(mean))) x2=(format!("{:.1}", x(mean)))
                        y1=(format!("{:.1}", row_y(qt) - 12.0)) y2=(format!("{:.1}", row_y(qt) + 12.0)) stroke=(colour) stroke-width="3" {
                        title { "Q" (qt.quartile) " mean " (number(mean)) }
                    }
                }
                @for (j, m) in qt.members.iter().enumerate() {
                    @let jitter = ((j % 5) as f64 - 2.0) * 3.0;
                    a href=(agent_records(tenant, asked, &m.agent_id)) {
                        circle.point cx=(format!("{:.1}", x(m.value))) cy=(format!("{:.1}", row_y(qt) + jitter)) r="3.5"
                            fill=(colour) fill-opacity="0.75" {
                            title { (m.agent_id) " (Q" (qt.quartile) "): " (number(m.value)) }
                        }
                    }
                }
            }
        }
    }
}
