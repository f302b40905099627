//! Enrichment of ingested text: the tenant's settings (which enricher, its parameters, the
//! batch size), how far enrichment has come per source, one row's enrichment, and queuing a
//! range again after an enricher is swapped.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, JsonBody, Keyed, NotFound};
use super::extract::{ApiJson, ApiPath};
use super::{ApiError, AppState, Caller, TenantPath};
use crate::auth::Action;
use crate::pipelines::enrichment::{self, EnrichmentSettings};
use crate::problem::Failure;
use crate::store::enrichments::{self as stored, EnrichmentCounts, StoredEnrichment};

/// The tenant's enrichment settings (the standard enricher until it chooses).
#[utoipa::path(get, path = "/tenants/{tenant}/enrichment", tag = "enrichment", operation_id = "enrichment_settings",
    params(TenantPath),
    responses((status = 200, body = EnrichmentSettings, description = "the settings in force"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<EnrichmentSettings>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let settings = tokio::task::spawn_blocking(move || enrichment::settings(&state, &tenant)).await??;
    Ok(Json(settings))
}

/// Choose the enricher that scores the tenant's new texts (or `null` for none), its
/// parameters and batch size (tenant admin or operator); audited. Texts stored before are not
/// scored again until a recompute queues them.
#[utoipa::path(put, path = "/tenants/{tenant}/enrichment", tag = "enrichment", operation_id = "set_enrichment_settings",
    params(TenantPath),
    request_body(content = EnrichmentSettings,
        example = json!({"enricher": "standard_enricher", "params": {}, "batch_size": 1000})),
    responses((status = 200, body = EnrichmentSettings, description = "the settings as stored"),
        Keyed, JsonBody, NotFound, BadRequest),
    security(("api_key" = [])))]
pub async fn set_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<EnrichmentSettings>,
) -> Result<Json<EnrichmentSettings>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let actor = caller.0.actor();
    let stored = tokio::task::spawn_blocking(move || {
        enrichment::set_settings(&state, &tenant, &body, &actor)?;
        enrichment::settings(&state, &tenant)
    })
    .await??;
    Ok(Json(stored))
}

/// How far the tenant's enrichment has come.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrichmentStatus {
    /// The enricher new texts are queued for; none when the tenant enriches none.
    pub enricher: Option<String>,
    /// Per source table: texts pending, done and failed, the latest error, the versions.
    pub sources: Vec<EnrichmentCounts>,
}

/// How far enrichment has come per source: pending (queued or waiting for a retry), done and
/// failed texts, the latest error, and the enricher versions that scored them.
#[utoipa::path(get, path = "/tenants/{tenant}/enrichments", tag = "enrichment", operation_id = "enrichment_status",
    params(TenantPath),
    responses((status = 200, body = EnrichmentStatus, description = "the counts"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<EnrichmentStatus>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let (enricher, sources) = tokio::task::spawn_blocking(move || enrichment::status(&state, &tenant)).await??;
    Ok(Json(EnrichmentStatus { enricher, sources }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RowPath {
    /// The tenant's id.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
    /// The table the text is in: `customer_feedback`, `employee_surveys` or `interactions`.
    #[param(example = "customer_feedback")]
    pub source: String,
    /// The row's id (`feedback_id`, `response_id` or `interaction_id`).
    pub id: String,
}

/// One row's enrichment: its state and what the enricher said.
#[utoipa::path(get, path = "/tenants/{tenant}/enrichments/{source}/{id}", tag = "enrichment",
    operation_id = "enrichment_of_row",
    params(RowPath),
    responses((status = 200, body = StoredEnrichment, description = "the enrichment"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn of_row(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(RowPath { tenant, source, id }): ApiPath<RowPath>,
) -> Result<Json<StoredEnrichment>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    if stored::source_of(&source).is_none() {
        return Err(Failure::not_found(
            "unknown_source",
            format!("no text source `{source}`; sources: customer_feedback, employee_surveys, interactions"),
        )
        .with_field("source"));
    }
    let (t, s, i) = (tenant.clone(), source.clone(), id.clone());
    let found = tokio::task::spawn_blocking(move || enrichment::of_row(&state, &t, (&s, &i))).await??;
    found.map(Json).ok_or_else(|| {
        Failure::not_found(
            "no_enrichment",
            format!("`{source}` row `{id}` of tenant `{tenant}` has no enrichment: no such row, or no text in it"),
        )
        .with_field("id")
    })
}

/// A range of texts to score again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecomputeBody {
    /// Start of the range (inclusive), RFC 3339 or a date, by each row's time
    /// (`responded_at`, `offered_at`).
    #[schema(example = "2026-03-01")]
    pub from: String,
    /// End of the range (exclusive).
    #[schema(example = "2026-04-01")]
    pub to: String,
    /// Source tables to include (all three when absent).
    #[serde(default)]
    pub sources: Vec<String>,
}

/// How many texts were queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recomputed {
    pub queued: u64,
    /// The enricher that will score them.
    pub enricher: Option<String>,
}

/// Queue every text of a range for the tenant's enricher again (tenant admin or operator),
/// e.g. after swapping the enricher: they are scored in the background and replace the old
/// enrichments with the new version's.
#[utoipa::path(post, path = "/tenants/{tenant}/enrichments/recompute", tag = "enrichment",
    operation_id = "recompute_enrichments",
    params(TenantPath),
    request_body(content = RecomputeBody, example = json!({"from": "2026-03-01", "to": "2026-04-01"})),
    responses((status = 200, body = Recomputed, description = "queued"), Keyed, JsonBody, NotFound, BadRequest),
    security(("api_key" = [])))]
pub async fn recompute(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<RecomputeBody>,
) -> Result<Json<Recomputed>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let (from, to) = crate::params::parse_range(&body.from, &body.to)?;
    if let Some(unknown) = body.sources.iter().find(|s| stored::source_of(s).is_none()) {
        return Err(Failure::bad_request(
            "unknown_source",
            format!("no text source `{unknown}`; sources: customer_feedback, employee_surveys, interactions"),
        )
        .with_field("sources"));
    }
    let answer = tokio::task::spawn_blocking(move || -> Result<Recomputed, ApiError> {
        let enricher = enrichment::enricher_of(&state, &tenant)?;
        if enricher.is_none() {
            return Err(Failure::new(
                crate::problem::Class::Conflict,
                "enrichment_off",
                "Enrichment is off",
                format!("tenant `{tenant}` enriches no text; PUT /v1/tenants/{tenant}/enrichment chooses an enricher"),
            ));
        }
        let queued =
            enrichment::recompute(&state, &tenant, &body.sources, (from.timestamp_micros(), to.timestamp_micros()))?;
        Ok(Recomputed { queued, enricher })
    })
    .await??;
    Ok(Json(answer))
}
