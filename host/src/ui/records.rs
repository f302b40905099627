//! The drill-down pages: one group's figure of a metric opened to the records behind it (the
//! figure from their totals, how many records take which part, a role filter, the records
//! paged, each contact linked), and one contact with its feedback and the customer's other
//! contacts on the same reason. The records are `analytics::records`' as the API answers them;
//! every page that shows a metric's figure links here ([`RecordsLinks`]).

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use super::charts::number;
use super::pages::{blocking, default_range, require};
use super::{UiError, Viewer, page, path_segment, query_string};
use crate::analytics::cxex::parse_metric_name;
use crate::analytics::records::{self, PageAsk, RecordOut, Totals};
use crate::app::AppState;
use crate::deploy::ServedAs;
use crate::metric_calls::MetricCall;
use crate::problem::Failure;
use crate::store::contacts;
use crate::store::overview;

/// Records on one page.
pub const PAGE: u32 = 100;
/// The query parameters the records page reads itself (the rest are the metric's).
const OWN_PARAMS: &str = "from, to, group_by, group, role, offset";
/// The groupings a figure may be opened by, in the order the form offers them.
pub const GROUPINGS: &[&str] = &["total", "agent", "team", "site", "queue", "channel", "day", "week", "month"];
/// The source whose records are contacts (and whose related records are contacts too).
const CONTACTS: &str = "interactions";

/// Builds links from a page's figures to their records over the page's range.
pub struct RecordsLinks<'a> {
    pub tenant: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

impl RecordsLinks<'_> {
    /// The records page of `metric` (`name` or `name[param=value,…]`) for `group` of `group_by`,
    /// over `range` or the page's own; none when the metric is not named as the API names it.
    pub fn href(&self, metric: &str, group_by: &str, group: &str, range: Option<(&str, &str)>) -> Option<String> {
        let (name, given) = parse_metric_name("metric", metric).ok()?;
        let (from, to) = range.unwrap_or((self.from, self.to));
        Some(records_href(self.tenant, &name, &given, group_by, group, (from, to)))
    }
}

/// `/ui/tenants/{tenant}/metrics/{name}/records?…` for one group's figure.
pub fn records_href(
    tenant: &str,
    name: &str,
    params: &[(String, String)],
    group_by: &str,
    group: &str,
    (from, to): (&str, &str),
) -> String {
    let mut pairs = vec![("from", from), ("to", to), ("group_by", group_by)];
    if group_by != "total" {
        pairs.push(("group", group));
    }
    pairs.extend(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    format!("/ui/tenants/{}/metrics/{}/records{}", path_segment(tenant), path_segment(name), query_string(pairs))
}

/// A metric with the parameters given, named as the API names it: `name` or `name[k=v,…]`.
pub fn metric_text(name: &str, given: &[(String, String)]) -> String {
    if given.is_empty() {
        return name.to_string();
    }
    let pairs: Vec<String> = given.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{name}[{}]", pairs.join(","))
}

/// What one page of records shows.
struct Opened {
    plugin: String,
    version: String,
    served_as: ServedAs,
    unit: String,
    higher_is_better: bool,
    params: BTreeMap<String, Value>,
    group: String,
    totals: Totals,
    records: Vec<RecordOut>,
    next_offset: Option<u32>,
}

/// What the page was asked for.
struct Asked {
    from: String,
    to: String,
    group_by: String,
    group: Option<String>,
    role: Option<String>,
    offset: u32,
    /// The metric's own parameters as given (not its defaults), by name.
    given: Vec<(String, String)>,
}

fn param_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `?from&to&group_by&group&role&offset&<the metric's parameters>`: one group's records.
pub async fn records(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((tenant_id, name)): Path<(String, String)>,
    Query(mut query): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    let tenant = require(&state, &viewer, &tenant_id)?;
    query.retain(|_, v| !v.trim().is_empty());
    if !query.contains_key("from") || !query.contains_key("to") {
        let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
        let (from, to) = default_range(blocking(move || overview::contact_days(&db).map_err(Failure::internal)).await?);
        query.entry("from".into()).or_insert(from);
        query.entry("to".into()).or_insert(to);
    }
    let mut given: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "from" | "to" | "group_by" | "group" | "role" | "offset" | "subject"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    given.sort();
    let asked = Asked {
        from: query["from"].clone(),
        to: query["to"].clone(),
        group_by: query.get("group_by").cloned().unwrap_or_else(|| "total".to_string()),
        group: query.remove("group"),
        role: query.remove("role"),
        offset: 0,
        given,
    };
    let offset_text = query.remove("offset");
    let mut asked = asked;
    let opened = async {
        if let Some(role) = &asked.role
            && !matches!(role.as_str(), "numerator" | "denominator" | "excluded")
        {
            return Err(Failure::bad_request(
                "invalid_parameter",
                format!("role is numerator, denominator or excluded, not `{}`", crate::text::shown(role)),
            )
            .with_field("role"));
        }
        if let Some(text) = &offset_text {
            asked.offset = text.parse().map_err(|_| {
                Failure::bad_request(
                    "invalid_parameter",
                    format!("offset must be a whole number of at least 0, not `{}`", crate::text::shown(text)),
                )
                .with_field("offset")
            })?;
        }
        let call = MetricCall::prepare_with(&state, &tenant, &name, &viewer.0.actor(), query, OWN_PARAMS)?;
        let group = match (&asked.group, call.group_by.as_str()) {
            (Some(group), _) => group.clone(),
            (None, "total") => "total".to_string(),
            (None, _) => {
                return Err(Failure::bad_request(
                    "missing_parameter",
                    "name the group to open (an agent id, a team, a day YYYY-MM-DD …) unless the grouping is total",
                )
                .with_field("group"));
            }
        };
        let ask = PageAsk { group: group.clone(), role: asked.role.clone(), offset: asked.offset, limit: PAGE };
        let limits = state.limits_of(&tenant);
        let floor = records::floor_of(&call, tenant.min_group_size);
        let admitted = state.admit(&tenant).await?;
        let db = state.tenants.get(&tenant_id)?;
        let worker = state.clone();
        let (call, answer) = tokio::task::spawn_blocking(move || {
            let _admitted = admitted;
            let answer = records::open(&worker, &call, (floor, &ask), db, limits);
            (call, answer)
        })
        .await
        .map_err(Failure::from)?;
        let (source, page) = answer?;
        Ok::<Opened, Failure>(Opened {
            plugin: source.plugin.info.name.clone(),
            version: source.plugin.info.version.clone(),
            served_as: call.plan.served_as,
            unit: source.query.unit.clone(),
            higher_is_better: source.query.higher_is_better,
            params: call.params,
            group,
            totals: page.totals,
            records: page.records,
            next_offset: page.next_offset,
        })
    }
    .await;
    let (status, opened) = match opened {
        Ok(opened) => (StatusCode::OK, Ok(opened)),
        Err(failure) => {
            let error = UiError::from(failure);
            (error.status, Err(error.message))
        }
    };
    let title = match &asked.group {
        Some(group) if asked.group_by != "total" => format!("Records of {name}: {} {group}", asked.group_by),
        _ => format!("Records of {name}"),
    };
    let body = records_body(&tenant_id, &name, &asked, &opened);
    let mut response = page(&title, Some(&viewer.0), body);
    *response.status_mut() = status;
    Ok(response)
}

fn records_body(tenant: &str, name: &str, asked: &Asked, opened: &Result<Opened, String>) -> Markup {
    let metric = metric_text(name, &asked.given);
    let range = query_string([("metric", metric.as_str()), ("from", asked.from.as_str()), ("to", asked.to.as_str())]);
    let group = asked.group.clone().unwrap_or_else(|| "total".to_string());
    // This page again with `role` and `offset` changed.
    let here = |role: Option<&str>, offset: u32| {
        let mut pairs: Vec<(&str, String)> =
            vec![("from", asked.from.clone()), ("to", asked.to.clone()), ("group_by", asked.group_by.clone())];
        if asked.group_by != "total" {
            pairs.push(("group", group.clone()));
        }
        if let Some(role) = role {
            pairs.push(("role", role.to_string()));
        }
        if offset > 0 {
            pairs.push(("offset", offset.to_string()));
        }
        pairs.extend(asked.given.iter().map(|(k, v)| (k.as_str(), v.clone())));
        format!(
            "/ui/tenants/{}/metrics/{}/records{}",
            path_segment(tenant),
            path_segment(name),
            query_string(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        )
    };
    let params: Vec<(String, String)> = match opened {
        Ok(o) => o.params.iter().map(|(k, v)| (k.clone(), param_text(v))).collect(),
        Err(_) => asked.given.clone(),
    };
    html! {
        p.nav {
            a href=(format!("/ui/tenants/{tenant}")) { "← " (tenant) }
            " · " a.ranking href=(format!("/ui/tenants/{tenant}/rankings{range}")) { "Fair ranking of " (metric) }
            " · " a.quartiles href=(format!("/ui/tenants/{tenant}/quartiles{range}")) { "Quartiles of " (metric) }
        }
        form.filters method="get" {
            label { "From" input type="date" name="from" value=(asked.from); }
            label { "To" input type="date" name="to" value=(asked.to); }
            label { "Grouped by" select name="group_by" {
                @for g in GROUPINGS { option value=(g) selected[*g == asked.group_by] { (g) } }
            } }
            label { "Group" input type="text" name="group" value=(asked.group.clone().unwrap_or_default()); }
            label { "Part" select name="role" {
                option value="" selected[asked.role.is_none()] { "every record" }
                @for r in ["numerator", "denominator", "excluded"] {
                    option value=(r) selected[asked.role.as_deref() == Some(r)] { (role_words(r)) }
                }
            } }
            @for (param, value) in &params {
                label { (param) input type="text" name=(param) value=(value); }
            }
            button type="submit" { "Update" }
        }
        @match opened {
            Err(message) => { p.error role="alert" { (message) } }
            Ok(o) => {
                p.note {
                    (o.plugin) " " (o.version) " (" (format!("{:?}", o.served_as).to_lowercase()) "), in " (o.unit) "; "
                    (if o.higher_is_better { "higher is better" } else { "lower is better" }) ". From " (asked.from) " to " (asked.to) "."
                }
                section.panel.figure aria-labelledby="figure" {
                    h2 id="figure" { (name) @if asked.group_by != "total" { " for " (asked.group_by) " " (o.group) } }
                    p.kpi { span.kpi-value { (o.totals.value.map_or("–".to_string(), number)) } " " span.kpi-unit { (o.unit) } }
                    p.parts {
                        "numerator " strong.numerator { (number(o.totals.numerator)) }
                        " ÷ denominator " strong.denominator { (number(o.totals.denominator)) }
                        @if let Some(v) = o.totals.value { " = " (number(v)) }
                    }
                    table.data.roles {
                        caption { "Records by their part in the figure" }
                        thead { tr { th scope="col" { "part" } th scope="col" { "records" } } }
                        tbody {
                            (role_row(None, "every record", o.totals.records, asked.role.is_none(), &here(None, 0)))
                            (role_row(Some("numerator"), role_words("numerator"), o.totals.in_numerator, asked.role.as_deref() == Some("numerator"), &here(Some("numerator"), 0)))
                            (role_row(Some("denominator"), role_words("denominator"), o.totals.denominator_only, asked.role.as_deref() == Some("denominator"), &here(Some("denominator"), 0)))
                            (role_row(Some("excluded"), role_words("excluded"), o.totals.excluded, asked.role.as_deref() == Some("excluded"), &here(Some("excluded"), 0)))
                        }
                    }
                }
                section.panel aria-labelledby="records" {
                    h2 id="records" {
                        @match &asked.role { Some(r) => { "Records " (role_words(r)) } None => { "Records" } }
                    }
                    @if o.records.is_empty() { p { "No records on this page." } }
                    @else {
                        p.note { "Records " (asked.offset + 1) " to " (asked.offset as usize + o.records.len()) "." }
                        (record_table(tenant, asked, &o.records))
                    }
                    nav.pager aria-label="pages" {
                        @if asked.offset > 0 {
                            a.previous rel="prev" href=(here(asked.role.as_deref(), asked.offset.saturating_sub(PAGE))) { "← previous " (PAGE) }
                        }
                        @if asked.offset > 0 && o.next_offset.is_some() { " · " }
                        @if let Some(next) = o.next_offset {
                            a.next rel="next" href=(here(asked.role.as_deref(), next)) { "next " (PAGE) " →" }
                        }
                    }
                }
            }
        }
    }
}

fn role_words(role: &str) -> &'static str {
    match role {
        "numerator" => "in the numerator",
        "denominator" => "in the denominator only",
        _ => "excluded",
    }
}

fn role_row(role: Option<&str>, words: &str, count: u64, current: bool, href: &str) -> Markup {
    html! {
        tr data-role=(role.unwrap_or("all")) {
            th scope="row" { @if current { strong { (words) } } @else { a href=(href) { (words) } } }
            td { (count) }
        }
    }
}

/// A record's part: whole numbers as they are, others with about three significant digits.
fn part(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { number(v) }
}

fn record_table(tenant: &str, asked: &Asked, records: &[RecordOut]) -> Markup {
    let range = query_string([("from", asked.from.as_str()), ("to", asked.to.as_str())]);
    let contact = |id: &str| format!("/ui/tenants/{}/contacts/{}", path_segment(tenant), path_segment(id));
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".to_string());
    html! {
        div.scroll { table.data.records {
            thead { tr {
                th scope="col" { "time" } th scope="col" { "source" } th scope="col" { "id" } th scope="col" { "agent" }
                th scope="col" { "queue" } th scope="col" { "contact reason" } th scope="col" { "channel" }
                th scope="col" { "part" } th scope="col" { abbr title="numerator / denominator" { "parts" } }
                th scope="col" { "why" } th scope="col" { "related" }
            } }
            tbody { @for r in records { tr data-role=(r.role) data-source=(r.source) {
                td.time { (r.occurred_at.as_deref().map_or("–".to_string(), |t| t.replace('T', " ").trim_end_matches('Z').to_string())) }
                td { (r.source) }
                th.id scope="row" {
                    @match &r.record_id {
                        Some(id) if r.source == CONTACTS => { a.contact href=(contact(id)) { (id) } }
                        Some(id) => { (id) }
                        None => { "–" }
                    }
                }
                td { @match &r.agent_id {
                    Some(agent) => { a.agent href=(format!("/ui/tenants/{}/agents/{}{range}", path_segment(tenant), path_segment(agent))) { (agent) } }
                    None => { "–" }
                } }
                td { (text(&r.queue)) } td { (text(&r.contact_reason)) } td { (text(&r.channel)) }
                td.role { (r.role) } td.parts { (part(r.numerator)) " / " (part(r.denominator)) }
                td.why { (r.reason.as_deref().unwrap_or("")) }
                td.related { @match &r.related_id {
                    Some(id) if r.source == CONTACTS => { a.contact href=(contact(id)) { (id) } }
                    Some(id) => { (id) }
                    None => { "" }
                } }
            } } }
        } }
    }
}

/// One contact: its columns, the feedback about it and the customer's other contacts on the
/// same reason, each linked.
pub async fn contact(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((tenant_id, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    require(&state, &viewer, &tenant_id)?;
    let db = state.tenants.get(&tenant_id).map_err(Failure::from)?;
    let wanted = id.clone();
    let view = blocking(move || contacts::contact(&db, &wanted).map_err(Failure::internal)).await?;
    let Some(view) = view else {
        return Err(
            Failure::not_found("contact_not_found", format!("tenant `{tenant_id}` has no contact `{id}`")).into()
        );
    };
    let c = &view.contact;
    let link = |id: &str| format!("/ui/tenants/{}/contacts/{}", path_segment(&tenant_id), path_segment(id));
    let time = |t: &str| t.replace('T', " ").trim_end_matches('Z').to_string();
    let optional = |t: &Option<String>| t.as_deref().map_or("–".to_string(), time);
    let body = html! {
        p { a href=(format!("/ui/tenants/{tenant_id}")) { "← " (tenant_id) } }
        section.panel aria-labelledby="contact" {
            h2 id="contact" { "The contact" }
            table.data.contact { tbody {
                tr { th scope="row" { "customer" } td.customer { (c.customer_id) } }
                tr { th scope="row" { "agent" } td { @match &c.agent_id {
                    Some(agent) => { a.agent href=(format!("/ui/tenants/{tenant_id}/agents/{}", path_segment(agent))) { (agent) } }
                    None => { "–" }
                } } }
                tr { th scope="row" { "channel" } td { (c.channel) } }
                tr { th scope="row" { "queue" } td { (c.queue) } }
                tr { th scope="row" { "contact reason" } td.reason { (c.contact_reason.as_deref().unwrap_or("–")) } }
                tr { th scope="row" { "offered" } td { (time(&c.offered_at)) } }
                tr { th scope="row" { "answered" } td { (optional(&c.answered_at)) } }
                tr { th scope="row" { "ended" } td { (optional(&c.ended_at)) } }
                tr { th scope="row" { "outcome" } td { (c.outcome) } }
                tr { th scope="row" { "talk, hold, wrap" } td { (c.talk_seconds) " s, " (c.hold_seconds) " s, " (c.wrap_seconds) " s" } }
                tr { th scope="row" { "transferred" } td { (if c.transferred { "yes" } else { "no" }) } }
                tr { th scope="row" { "sentiment" } td { (c.sentiment.map_or("–".to_string(), number)) } }
            } }
        }
        section.panel aria-labelledby="feedback" {
            h2 id="feedback" { "Feedback about it (" (view.feedback.len()) ")" }
            @if view.feedback.is_empty() { p { "The customer left no feedback about this contact." } }
            @else {
                table.data.feedback {
                    thead { tr { th scope="col" { "feedback" } th scope="col" { "answered" } th scope="col" { "CSAT" }
                                 th scope="col" { "NPS" } th scope="col" { "CES" } th scope="col" { "comment" } } }
                    tbody { @for f in &view.feedback { tr {
                        th scope="row" { (f.feedback_id) } td { (time(&f.responded_at)) }
                        td { (f.csat.map_or("–".to_string(), |v| v.to_string())) }
                        td { (f.nps.map_or("–".to_string(), |v| v.to_string())) }
                        td { (f.ces.map_or("–".to_string(), |v| v.to_string())) }
                        td { (f.comment.as_deref().unwrap_or("")) }
                    } } }
                }
            }
        }
        section.panel aria-labelledby="same-reason" {
            h2 id="same-reason" { "The customer's other contacts on the same reason (" (view.same_reason.len())
                @if view.same_reason_truncated { "+" } ")" }
            p.note { "What a repeat-contact figure such as FCR judges this contact by: the same customer, the same "
                "contact reason, oldest first." }
            @if view.same_reason.is_empty() { p { "None." } }
            @else {
                table.data.same-reason {
                    thead { tr { th scope="col" { "contact" } th scope="col" { "offered" } th scope="col" { "agent" }
                                 th scope="col" { "channel" } th scope="col" { "queue" } th scope="col" { "outcome" } } }
                    tbody { @for o in &view.same_reason { tr {
                        th scope="row" { a.contact href=(link(&o.interaction_id)) { (o.interaction_id) } }
                        td { (time(&o.offered_at)) } td { (o.agent_id.as_deref().unwrap_or("–")) }
                        td { (o.channel) } td { (o.queue) } td { (o.outcome) }
                    } } }
                }
                @if view.same_reason_truncated { p.note { "Only the first " (contacts::MAX_SAME_REASON) " are listed." } }
            }
        }
    };
    Ok(page(&format!("Contact {id}"), Some(&viewer.0), body))
}
