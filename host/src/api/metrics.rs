//! Metric queries: resolve the tenant's plugin, check the parameters against its
//! `describe()`, run it under the tenant's limits and return rows per group.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::extract::ApiQuery;
use super::{ApiError, AppState, Caller};
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::deploy::call::FallbackNote;
use crate::registry::PluginSource;
use crate::runtime::bindings::{GroupBy, MetricRequest, Param, ParamType, ParamValue, PluginInfo, PluginKind};

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricRowOut {
    pub group: String,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PluginRef {
    pub name: String,
    pub version: String,
    pub hash: String,
    pub source: PluginSource,
}

impl PluginRef {
    /// Which version `plugin` is and where it comes from.
    pub fn of(registry: &crate::registry::Registry, plugin: &crate::runtime::Plugin) -> PluginRef {
        PluginRef {
            name: plugin.info.name.clone(),
            version: plugin.info.version.clone(),
            hash: plugin.hash.clone(),
            source: registry.source_of(plugin),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricResponse {
    pub metric: String,
    /// The version that computed `rows`.
    pub plugin: PluginRef,
    /// In which role that version answered: standard, active, canary or fallback.
    pub served_as: ServedAs,
    /// Present when the serving version failed and the failure policy fell back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<FallbackNote>,
    pub unit: String,
    pub group_by: String,
    pub from: String,
    pub to: String,
    /// Every parameter the plugin ran with (given or default).
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, Value>,
    pub rows: Vec<MetricRowOut>,
    pub elapsed_ms: f64,
}

const GROUP_BYS: &[(&str, GroupBy)] = &[
    ("agent", GroupBy::Agent),
    ("team", GroupBy::Team),
    ("site", GroupBy::Site),
    ("queue", GroupBy::Queue),
    ("channel", GroupBy::Channel),
    ("day", GroupBy::Day),
    ("week", GroupBy::Week),
    ("month", GroupBy::Month),
    ("total", GroupBy::Total),
];

/// Compute a metric over `[from, to)` grouped by agent, team, site, queue, channel, day, week,
/// month or total. Any other query parameter is passed to the plugin and must be one it declares.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/metrics/{name}", tag = "metrics",
    params(("tenant" = String, Path), ("name" = String, Path, description = "metric name, e.g. aht"),
        ("from" = String, Query, description = "start (inclusive): RFC 3339 timestamp or YYYY-MM-DD (UTC midnight)"),
        ("to" = String, Query, description = "end (exclusive), same forms"),
        ("group_by" = Option<String>, Query, description = "agent, team, site, queue, channel, day, week, month or total (default)")),
    responses((status = 429, body = super::error::Problem, description = "the tenant's places for plugin requests and its queue are taken; retry after `Retry-After` seconds"), (status = 200, body = MetricResponse), (status = 400, body = super::error::Problem),
        (status = 422, body = super::error::Problem, description = "the plugin could not compute this request"),
        (status = 502, body = super::error::Problem, description = "the plugin trapped, hit a limit or returned garbage"),
        (status = 504, body = super::error::Problem, description = "the plugin ran past its deadline")),
    security(("api_key" = [])))]
pub async fn query(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, name)): Path<(String, String)>,
    ApiQuery(mut query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<MetricResponse>, ApiError> {
    let tenant = caller.require(&state, Action::Query, &tenant_id)?;
    let subject = query.remove("subject").unwrap_or_else(|| caller.0.actor());
    let plan = state.deployments.plan(&state.registry, &tenant_id, &name, &subject).ok_or_else(|| {
        ApiError::not_found(
            "metric_not_found",
            format!("tenant `{tenant_id}` has no metric `{name}`; GET /v1/tenants/{tenant_id}/plugins lists them"),
        )
        .with_field("name")
    })?;
    if plan.serve.kind() != PluginKind::Metric {
        return Err(not_a_metric(&tenant_id, &plan.serve).with_field("name"));
    }
    let from_text = query.remove("from").ok_or_else(|| missing("from"))?;
    let to_text = query.remove("to").ok_or_else(|| missing("to"))?;
    let (from, to) = parse_range(&from_text, &to_text)?;
    let group_by_text = query.remove("group_by").unwrap_or_else(|| "total".to_string());
    let group_by = parse_group_by(&group_by_text)?;
    let (params, echoed) = params_from_query(&plan.serve.info, query, "from, to, group_by")?;
    let request =
        MetricRequest { period_start: from.timestamp_micros(), period_end: to.timestamp_micros(), group_by, params };
    let limits = state.limits_of(&tenant);
    let admitted = state.admit(&tenant).await?;
    let db = state.tenants.get(&tenant_id)?;
    let started = std::time::Instant::now();
    let call_state = state.clone();
    let (tenant_for_call, name_for_call) = (tenant_id.clone(), name.clone());
    let (answer, plan, request, db) = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        let context = call_state.call_context(&tenant_for_call, &name_for_call, db.clone(), limits);
        (context.answer(&plan, &request), plan, request, db)
    })
    .await?;
    let answer = answer?;
    if let Some(candidate) = plan.shadow.clone()
        && answer.served_as != ServedAs::Fallback
        && let Some(place) = state.admission.try_admit(&tenant_id, &limits)
    {
        // After the answer, off the request's path, and only in a free place of the tenant's:
        // the shadow's output is compared, never served.
        let (shadow_state, served, shadow_group_by) = (state.clone(), answer.result.clone(), group_by_text.clone());
        let (tenant_for_shadow, name_for_shadow) = (tenant_id.clone(), name.clone());
        tokio::task::spawn_blocking(move || {
            let _place = place;
            let context = shadow_state.call_context(&tenant_for_shadow, &name_for_shadow, db, limits);
            context.shadow(&candidate, &shadow_group_by, &request, &served);
        });
    }
    let result = answer.result;
    let served_by = answer.served_by;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(Json(MetricResponse {
        metric: name,
        plugin: PluginRef::of(&state.registry, &served_by),
        served_as: answer.served_as,
        fallback: answer.fallback,
        unit: result.unit,
        group_by: group_by_text,
        from: from.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        to: to.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        params: echoed,
        rows: result
            .rows
            .into_iter()
            .map(|r| MetricRowOut {
                group: r.group,
                value: r.value,
                numerator: r.numerator,
                denominator: r.denominator,
            })
            .collect(),
        elapsed_ms,
    }))
}

/// Every parameter the plugin declares, from the query string or its default, echoed as
/// JSON too; a query parameter it does not declare is an error naming the accepted ones
/// (`fixed` lists the route's own).
pub(crate) fn params_from_query(
    info: &PluginInfo,
    mut query: HashMap<String, String>,
    fixed: &str,
) -> Result<(Vec<Param>, BTreeMap<String, Value>), ApiError> {
    let mut params = Vec::new();
    let mut echoed = BTreeMap::new();
    for spec in &info.params {
        let value = match query.remove(&spec.name) {
            Some(text) => parse_param(&spec.name, spec.type_, &text)?,
            None => spec.default.clone(),
        };
        echoed.insert(spec.name.clone(), super::plugins::param_value_json(&value));
        params.push(Param { name: spec.name.clone(), value });
    }
    if let Some(unknown) = query.keys().min() {
        let accepted: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!(
                "{} `{}` has no parameter `{unknown}`; it accepts {fixed}{}{}",
                crate::runtime::kind_name(info.kind),
                info.name,
                if accepted.is_empty() { "" } else { ", " },
                accepted.join(", ")
            ),
        )
        .with_field(unknown.clone()));
    }
    Ok((params, echoed))
}

/// The problem for a metric route that names a plugin of another kind.
pub(crate) fn not_a_metric(tenant: &str, plugin: &crate::runtime::Plugin) -> ApiError {
    ApiError::not_found(
        "metric_not_found",
        format!(
            "`{}` of tenant `{tenant}` is a {} plugin, not a metric",
            plugin.info.name,
            crate::runtime::kind_name(plugin.kind())
        ),
    )
}

/// A `group_by` value, or a problem naming the accepted ones.
pub fn parse_group_by(text: &str) -> Result<GroupBy, ApiError> {
    GROUP_BYS.iter().find(|(n, _)| *n == text).map(|(_, g)| *g).ok_or_else(|| {
        let names: Vec<&str> = GROUP_BYS.iter().map(|(n, _)| *n).collect();
        ApiError::bad_request("invalid_parameter", format!("group_by `{text}` is not one of {}", names.join(", ")))
            .with_field("group_by")
    })
}

pub(crate) fn missing(field: &str) -> ApiError {
    ApiError::bad_request(
        "missing_parameter",
        format!("query parameter `{field}` is required (RFC 3339 timestamp or YYYY-MM-DD)"),
    )
    .with_field(field)
}

/// `[from, to)` from the two query texts; `from` must come first.
pub fn parse_range(from_text: &str, to_text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let from = parse_time("from", from_text)?;
    let to = parse_time("to", to_text)?;
    if from >= to {
        return Err(ApiError::bad_request(
            "invalid_range",
            format!("`from` ({from_text}) must be before `to` ({to_text})"),
        )
        .with_field("from"));
    }
    Ok((from, to))
}

/// An RFC 3339 timestamp, or a date meaning midnight UTC.
pub fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(ApiError::bad_request(
        "invalid_parameter",
        format!("`{field}` = `{text}` is neither an RFC 3339 timestamp (2026-03-02T00:00:00Z) nor a date (2026-03-02)"),
    )
    .with_field(field))
}

pub(crate) fn parse_param(name: &str, ty: ParamType, text: &str) -> Result<ParamValue, ApiError> {
    let bad = |what: &str| {
        ApiError::bad_request("invalid_parameter", format!("parameter `{name}` must be {what}, got `{text}`"))
            .with_field(name)
    };
    Ok(match ty {
        ParamType::Integer => ParamValue::Integer(text.parse().map_err(|_| bad("an integer"))?),
        ParamType::Float => {
            let v: f64 = text.parse().map_err(|_| bad("a number"))?;
            if !v.is_finite() {
                return Err(bad("a finite number"));
            }
            ParamValue::Float(v)
        }
        ParamType::Boolean => ParamValue::Boolean(text.parse().map_err(|_| bad("true or false"))?),
        ParamType::Text => ParamValue::Text(text.to_string()),
    })
}
