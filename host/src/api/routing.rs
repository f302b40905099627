//! Routing: a decision for a new contact on the live path, the tenant's routing settings, its
//! roster snapshot, and a summary of the decision log.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, JsonBody, Keyed, NotFound};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{ApiError, AppState, Caller, TenantPath};
use crate::auth::Action;
use crate::pipelines::routing::{self, RouteAnswer, RoutingSettings};
use crate::problem::Failure;
use crate::runtime::bindings::Contact;
use crate::store::route_decisions::DecisionSummary;

/// Most bytes of any one text of a contact.
const MAX_FIELD_BYTES: usize = 256;
/// Most tenant attributes of a contact.
const MAX_ATTRIBUTES: usize = 32;

/// A new contact, as the contact platform describes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// The platform's id of the contact; the canary share and the decision log key on it
    /// (the customer's id when absent).
    #[serde(default)]
    pub contact_id: String,
    #[schema(example = "voice")]
    pub channel: String,
    #[schema(example = "billing")]
    pub queue: String,
    #[serde(default)]
    #[schema(example = "charge_dispute")]
    pub contact_reason: String,
    pub customer_id: String,
    /// The customer's value tier, e.g. `gold`.
    #[serde(default)]
    pub customer_tier: String,
    /// ISO 639-1 language of the contact.
    #[serde(default)]
    pub language: String,
    /// How likely a sale is, 0 to 1.
    #[serde(default)]
    pub sales_likelihood: Option<f64>,
    /// Any other attributes, as text (at most 32).
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl ContactBody {
    fn into_contact(self) -> Result<Contact, ApiError> {
        let bad =
            |field: &str, detail: String| Failure::bad_request("invalid_contact", detail).with_field(field.to_string());
        let texts = [
            ("contact_id", &self.contact_id),
            ("channel", &self.channel),
            ("queue", &self.queue),
            ("contact_reason", &self.contact_reason),
            ("customer_id", &self.customer_id),
            ("customer_tier", &self.customer_tier),
            ("language", &self.language),
        ];
        for (field, text) in texts {
            crate::text::check_label(&format!("`{field}`"), text, MAX_FIELD_BYTES).map_err(|e| bad(field, e))?;
        }
        for (field, text) in [("channel", &self.channel), ("queue", &self.queue), ("customer_id", &self.customer_id)] {
            if text.trim().is_empty() {
                return Err(bad(field, format!("`{field}` is required")));
            }
        }
        if let Some(p) = self.sales_likelihood
            && !(p.is_finite() && (0.0..=1.0).contains(&p))
        {
            return Err(bad("sales_likelihood", format!("`sales_likelihood` must be between 0 and 1, got {p}")));
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return Err(bad(
                "attributes",
                format!("at most {MAX_ATTRIBUTES} attributes, got {}", self.attributes.len()),
            ));
        }
        for (name, value) in &self.attributes {
            crate::text::check_label("an attribute name", name, 64).map_err(|e| bad("attributes", e))?;
            crate::text::check_label(&format!("attribute `{name}`"), value, MAX_FIELD_BYTES)
                .map_err(|e| bad("attributes", e))?;
        }
        Ok(Contact {
            contact_id: self.contact_id,
            channel: self.channel,
            queue: self.queue,
            contact_reason: self.contact_reason,
            customer_id: self.customer_id,
            customer_tier: self.customer_tier,
            language: self.language,
            sales_likelihood: self.sales_likelihood,
            attributes: self.attributes.into_iter().collect(),
        })
    }
}

/// Route a new contact (ingest key — the contact platform's —, tenant admin or operator): pool
/// (in-house or crowd), skill, priority, preferred agents and the reason, from the tenant's
/// router reading its roster snapshot. Always answers a decision: when the router times out,
/// traps, errs or answers garbage, the tenant's configured fallback decision answers and
/// `fallback` says why.
#[utoipa::path(post, path = "/tenants/{tenant}/route", tag = "routing", operation_id = "route_contact",
    params(TenantPath),
    request_body(content = ContactBody, example = json!({"contact_id": "c-1001", "channel": "voice",
        "queue": "billing", "contact_reason": "charge_dispute", "customer_id": "cust-7",
        "customer_tier": "gold", "sales_likelihood": 0.2})),
    responses((status = 200, body = RouteAnswer, description = "the decision"), Keyed, JsonBody, NotFound, BadRequest),
    security(("api_key" = [])))]
pub async fn route(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<ContactBody>,
) -> Result<Json<RouteAnswer>, ApiError> {
    let tenant = caller.require(&state, Action::Route, &tenant)?;
    let contact = body.into_contact()?;
    Ok(Json(routing::decide(&state, &tenant, contact).await?))
}

/// The tenant's routing settings (the standard router until it chooses).
#[utoipa::path(get, path = "/tenants/{tenant}/routing", tag = "routing", operation_id = "routing_settings",
    params(TenantPath),
    responses((status = 200, body = RoutingSettings, description = "the settings in force"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<RoutingSettings>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let settings = tokio::task::spawn_blocking(move || routing::settings(&state, &tenant)).await??;
    Ok(Json((*settings).clone()))
}

/// Choose the tenant's router, its parameters, the decision deadline, the fallback decision,
/// the roster window and refresh, and the log's sampling (tenant admin or operator); audited;
/// the next decision uses them.
#[utoipa::path(put, path = "/tenants/{tenant}/routing", tag = "routing", operation_id = "set_routing_settings",
    params(TenantPath),
    request_body(content = RoutingSettings, example = json!({"router": "standard_router",
        "params": {"in_house_tiers": "gold;platinum"}, "deadline_ms": 50,
        "fallback": {"pool": "in_house", "skill": "", "priority": 5}})),
    responses((status = 200, body = RoutingSettings, description = "the settings as stored"),
        Keyed, JsonBody, NotFound, BadRequest),
    security(("api_key" = [])))]
pub async fn set_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<RoutingSettings>,
) -> Result<Json<RoutingSettings>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let actor = caller.0.actor();
    let stored = tokio::task::spawn_blocking(move || {
        routing::set_settings(&state, &tenant, &body, &actor)?;
        routing::settings(&state, &tenant)
    })
    .await??;
    Ok(Json((*stored).clone()))
}

/// The roster snapshot routers read.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotSummary {
    /// When it was taken (RFC 3339).
    pub taken_at: String,
    pub window_days: u32,
    pub agents: u32,
    /// Agents with figures, per figure.
    pub with_quality: u32,
    pub with_csat: u32,
    pub with_fcr: u32,
    pub with_aht: u32,
}

/// Rebuild the tenant's roster snapshot now (tenant admin or operator) and show it; it is
/// otherwise rebuilt in the background when older than `refresh_seconds`.
#[utoipa::path(post, path = "/tenants/{tenant}/routing/snapshot", tag = "routing", operation_id = "rebuild_roster",
    params(TenantPath),
    responses((status = 200, body = SnapshotSummary, description = "the new snapshot"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn rebuild_snapshot(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<SnapshotSummary>, ApiError> {
    let tenant = caller.require(&state, Action::ManagePlugins, &tenant)?;
    let roster = tokio::task::spawn_blocking(move || routing::rebuild(&state, &tenant)).await??;
    let info = roster.info();
    let counts = roster.figure_counts();
    Ok(Json(SnapshotSummary {
        taken_at: crate::params::micros_text(info.taken_at),
        window_days: info.window_days,
        agents: info.agents,
        with_quality: counts[0],
        with_csat: counts[1],
        with_fcr: counts[2],
        with_aht: counts[3],
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DecisionsQuery {
    /// Start (inclusive), RFC 3339 or a date; default the last 24 hours.
    pub from: Option<String>,
    /// End (exclusive); default now.
    pub to: Option<String>,
    /// Latest decisions listed, 0 to 500 (default 20).
    pub limit: Option<u32>,
}

/// What the decision log holds for a range: decisions (estimated from the sample weights),
/// per pool, per role of what answered, fallbacks by cause, latency percentiles, and the latest.
#[utoipa::path(get, path = "/tenants/{tenant}/routing/decisions", tag = "routing", operation_id = "routing_decisions",
    params(TenantPath, DecisionsQuery),
    responses((status = 200, body = DecisionSummary, description = "the summary"), Keyed, NotFound, BadRequest),
    security(("api_key" = [])))]
pub async fn decisions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<DecisionsQuery>,
) -> Result<Json<DecisionSummary>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let (from, to) = crate::params::optional_bounds(query.from.as_deref(), query.to.as_deref())?;
    let to = to.unwrap_or_else(chrono::Utc::now);
    let from = from.unwrap_or(to - chrono::Duration::hours(24));
    let limit = query.limit.unwrap_or(20);
    if limit > 500 {
        return Err(Failure::bad_request("invalid_parameter", "`limit` must be at most 500").with_field("limit"));
    }
    let summary = tokio::task::spawn_blocking(move || {
        routing::decision_summary(&state, &tenant, (from.timestamp_micros(), to.timestamp_micros()), limit)
    })
    .await??;
    Ok(Json(summary))
}
