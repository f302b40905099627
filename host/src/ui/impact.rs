//! The impact of coaching on a metric: the coached agents' figure before and after their
//! sessions against the comparison agents' (and what the coached agents would have shown had
//! they changed as the comparison did), each session's difference in differences with its
//! interval next to the total, and every session in a table — those without enough data with
//! the reason. The figures are `analytics::coaching::impact`'s, as the API answers them.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::html;

use super::charts::{self, Drill, Estimate, number};
use super::pages::{blocking, default_range, require};
use super::{UiError, Viewer, page};
use crate::analytics::coaching::{Compare, ImpactAsk, ImpactReport, MAX_WEEKS, impact as measure};
use crate::analytics::panels::{CheckedPanel, Line, LineSeries, PanelData};
use crate::app::AppState;
use crate::params::parse_range;
use crate::problem::Failure;
use crate::store::overview;

const DEFAULT_METRIC: &str = "aht";
const DEFAULT_WEEKS: u32 = 4;
/// Fewest comparison agents a session needs, as the API's default.
const MIN_COMPARISON: usize = 3;

fn invalid(detail: String) -> UiError {
    Failure::bad_request("invalid_parameter", detail).into()
}

/// `?metric=aht&from=…&to=…&weeks=4&compare=team`: sessions held in `[from, to)` on the metric.
pub async fn impact(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    let tenant = require(&state, &viewer, &tenant_id)?;
    let text = |name: &str| query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let metric = text("metric").unwrap_or(DEFAULT_METRIC).to_string();
    let (from, to) = match (text("from"), text("to")) {
        (Some(from), Some(to)) => (from.to_string(), to.to_string()),
        _ => {
            let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
            default_range(blocking(move || overview::contact_days(&db).map_err(Failure::internal)).await?)
        }
    };
    let (start, end) = parse_range(&from, &to)?;
    let weeks = match text("weeks") {
        None => DEFAULT_WEEKS,
        Some(w) => w.parse().ok().filter(|w| (1..=MAX_WEEKS).contains(w)).ok_or_else(|| {
            invalid(format!("weeks must be a whole number from 1 to {MAX_WEEKS}, not `{}`", crate::text::shown(w)))
        })?,
    };
    let compare = match text("compare") {
        None | Some("team") => Compare::Team,
        Some("queue") => Compare::Queue,
        Some(other) => {
            return Err(invalid(format!("compare is `team` or `queue`, not `{}`", crate::text::shown(other))));
        }
    };
    let ask = ImpactAsk {
        metric: metric.clone(),
        from: start,
        to: end,
        weeks,
        compare,
        min_sample: 1.0,
        min_comparison: MIN_COMPARISON,
        all_topics: false,
    };
    let limits = state.limits_of(&tenant);
    let subject = viewer.0.actor();
    let admitted = state.admit(&tenant).await.map_err(Failure::from)?;
    let worker = state.clone();
    let report = blocking(move || {
        let _admitted = admitted;
        Ok(measure(&worker, &tenant, &subject, &ask, limits)?)
    })
    .await?;

    let total = &report.total;
    let unit = &report.unit;
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}")) { "← " (tenant_id) } " · "
            a href=(format!("/ui/tenants/{tenant_id}/coaching")) { "Coaching queue" } }
        form.filters method="get" {
            label { "Metric" input type="text" name="metric" value=(metric); }
            label { "Sessions from" input type="date" name="from" value=(from); }
            label { "to" input type="date" name="to" value=(to); }
            label { "Weeks each side" input type="number" name="weeks" min="1" max=(MAX_WEEKS) value=(weeks); }
            label { "Compared with" select name="compare" {
                option value="team" selected[compare == Compare::Team] { "the same team" }
                option value="queue" selected[compare == Compare::Queue] { "the same main queue" }
            } }
            button type="submit" { "Update" }
        }
        p.note {
            "For each coaching session on " strong { (metric) } " held from " (from) " to " (to) ": the agent's figure over the "
            (weeks) " whole weeks before the session's week and the " (weeks) " weeks after it, against the same change for "
            (comparison_words(compare)) " who had no coaching session in that window (a difference in differences). "
            "A session counts with a sample of at least 1 on each side and at least " (MIN_COMPARISON) " comparison agents."
        }
        section.panel aria-labelledby="total" {
            h2 id="total" { "Effect of coaching on " (metric) }
            p.kpi {
                span.kpi-value { (total.effect.map_or("–".to_string(), number)) } " " span.kpi-unit { (unit) }
            }
            p.total-interval {
                @match (total.ci_low, total.ci_high) {
                    (Some(low), Some(high)) => { "95% interval " (number(low)) " to " (number(high)) " " (unit) }
                    _ => { "No interval: it needs at least two measured sessions whose effects differ." }
                }
                @if let Some(p) = total.p_value { " · p " (if p < 0.001 { "< 0.001".to_string() } else { format!("= {}", number(p)) }) }
            }
            p.total-n { "n = " strong { (total.measured) } " measured sessions of " (total.sessions) "; "
                (total.insufficient) " without enough data (listed below with the reason)." }
            p.note { "The effect is the coached agents' change minus the comparison agents' change: below zero, the metric \
                      fell more (or rose less) after coaching than without it." }
        }
        @if total.measured > 0 {
            div.panels { (charts::panel(0, &before_after(&report), &Drill::none())) }
            section.panel aria-labelledby="effects" {
                    h2 id="effects" { "Effect per session, with its 95% interval" }
                    (charts::intervals_svg(1, "Effect per session", &format!("effect ({unit})"), &estimates(&report)))
            }
        } @else {
            p { "No session has enough data to measure, so there is nothing to draw." }
        }
        (session_table(&report))
    };
    Ok(page("Impact of coaching", Some(&viewer.0), body))
}

fn comparison_words(compare: Compare) -> &'static str {
    match compare {
        Compare::Team => "agents of the same team",
        Compare::Queue => "agents with the same main queue",
    }
}

/// The measured sessions' mean figures before and after: the coached agents, the comparison
/// agents, and the coached agents' figure before moved by the comparison's change.
fn before_after(report: &ImpactReport) -> CheckedPanel {
    let (coached, comparison) = (&report.total.coached, &report.total.comparison);
    let x = [format!("{} weeks before", report.weeks), format!("{} weeks after", report.weeks)];
    let series = |name: &str, before: Option<f64>, after: Option<f64>| LineSeries {
        name: name.to_string(),
        points: vec![(x[0].clone(), before), (x[1].clone(), after)],
        ..LineSeries::default()
    };
    let expected = coached.before.zip(comparison.change).map(|(b, c)| b + c);
    CheckedPanel {
        title: format!("{} before and after coaching", report.metric),
        data: PanelData::Line(Line {
            x_label: "weeks around the session".to_string(),
            y_label: report.unit.clone(),
            series: vec![
                series("coached agents", coached.before, coached.after),
                series("comparison agents", comparison.before, comparison.after),
                series("coached, changing as the comparison did", coached.before, expected),
            ],
        }),
    }
}

/// One estimate per measured session, then the total.
fn estimates(report: &ImpactReport) -> Vec<Estimate> {
    let mut rows: Vec<Estimate> = report
        .sessions
        .iter()
        .filter_map(|s| {
            Some(Estimate {
                label: format!("{} {}", s.agent_id, s.held_at.get(..10).unwrap_or(&s.held_at)),
                value: s.effect?,
                low: s.ci_low,
                high: s.ci_high,
                total: false,
            })
        })
        .collect();
    if let Some(effect) = report.total.effect {
        rows.push(Estimate {
            label: "all sessions".to_string(),
            value: effect,
            low: report.total.ci_low,
            high: report.total.ci_high,
            total: true,
        });
    }
    rows
}

fn session_table(report: &ImpactReport) -> maud::Markup {
    let figure = |v: Option<f64>| v.map_or("–".to_string(), number);
    html! {
        section.panel aria-labelledby="sessions" {
            h2 id="sessions" { "Sessions (" (report.sessions.len()) ")" }
            table.data.sessions {
                thead { tr {
                    th scope="col" { "session" } th scope="col" { "agent" } th scope="col" { "held" }
                    th scope="col" { "weeks compared" }
                    th scope="col" { "coached before" } th scope="col" { "after" } th scope="col" { "change" }
                    th scope="col" { "comparison agents" } th scope="col" { "their change" }
                    th scope="col" { "effect" } th scope="col" { "95% interval" } th scope="col" { "status" }
                } }
                tbody { @for s in &report.sessions { tr data-status=(s.status) {
                    th scope="row" { (s.session_id) }
                    td { (s.agent_id) @if let Some(team) = &s.team { " (" (team) ")" } }
                    td { (s.held_at.get(..10).unwrap_or(&s.held_at)) }
                    td { (s.before_from) " to " (s.after_to) }
                    td { (figure(s.coached.before)) } td { (figure(s.coached.after)) } td { (figure(s.coached.change)) }
                    td { (s.comparison_agents) } td { (figure(s.comparison.change)) }
                    td { (figure(s.effect)) }
                    td { @if let (Some(low), Some(high)) = (s.ci_low, s.ci_high) { (number(low)) " to " (number(high)) } @else { "–" } }
                    td.status { @match &s.reason { Some(reason) => { "not measured: " (reason) } None => { (s.status) } } }
                } } }
            }
        }
    }
}
