//! The tenant's comment-topic taxonomy, and customer and employee comment topics side by side.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, JsonBody, Keyed, NotFound, TenantData};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{ApiError, AppState, Caller, TenantPath, Time};
use crate::analytics::topics::{GroupTopics, Taxonomy, TopicLevel, side_by_side, validate};
use crate::auth::Action;
use crate::params::parse_range;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyBody {
    /// Topic name → keywords, e.g. `{"billing": ["invoice", "charge"], "tools": ["crm", "laptop"]}`.
    #[schema(schema_with = taxonomy_schema)]
    pub topics: Taxonomy,
}

/// A taxonomy as stored and shown (keywords lowercased).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StoredTaxonomy {
    /// Topic name → keywords.
    topics: Taxonomy,
}

/// A taxonomy as the route takes it: 1 to 200 topics, each named by 1–40 lowercase letters,
/// digits or `_`, with at least one keyword of letters, digits, spaces, `-` or `'` (matched
/// case-blind, at most 60 characters).
fn taxonomy_schema() -> RefOr<Schema> {
    let name = ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^[a-z0-9_]{1,40}$"));
    let keyword = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^[A-Za-z0-9 '-]*[A-Za-z0-9'-][A-Za-z0-9 '-]*$"))
        .max_length(Some(60));
    let keywords = ArrayBuilder::new().items(keyword).min_items(Some(1));
    let mut topics = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Array(keywords.build())))))
        .min_properties(Some(1))
        .max_properties(Some(200))
        .build();
    topics.property_names = Some(Box::new(Schema::Object(name.build())));
    RefOr::T(Schema::Object(topics))
}

/// Replace the tenant's comment-topic taxonomy (tenant admin or operator).
#[utoipa::path(put, path = "/tenants/{tenant}/topics", tag = "analytics", params(TenantPath),
    request_body = TaxonomyBody,
    responses((status = 200, body = StoredTaxonomy, description = "the taxonomy as stored (keywords lowercased)"), Keyed,
        JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn set_taxonomy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<TaxonomyBody>,
) -> Result<Json<TaxonomyBody>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let topics = validate(body.topics)?;
    let json = serde_json::to_string(&topics).map_err(ApiError::internal)?;
    let actor = caller.0.actor();
    tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
        state.system.set_taxonomy_json(&tenant, &json, &actor)?;
        // Enriched topics follow the new taxonomy once rescored; until then texts count by keyword.
        crate::pipelines::enrichment::requeue_all(&state, &tenant)?;
        Ok(())
    })
    .await??;
    Ok(Json(TaxonomyBody { topics }))
}

fn stored_taxonomy(state: &AppState, tenant: &str) -> Result<Taxonomy, ApiError> {
    let json = state.system.taxonomy_json(tenant)?.ok_or_else(|| {
        ApiError::not_found(
            "no_taxonomy",
            format!("tenant `{tenant}` has no topic taxonomy; PUT /v1/tenants/{tenant}/topics"),
        )
    })?;
    serde_json::from_str(&json).map_err(ApiError::internal)
}

/// The tenant's comment-topic taxonomy.
#[utoipa::path(get, path = "/tenants/{tenant}/topics", tag = "analytics", params(TenantPath),
    responses((status = 200, body = StoredTaxonomy, description = "the taxonomy"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn taxonomy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<TaxonomyBody>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    Ok(Json(TaxonomyBody { topics: stored_taxonomy(&state, &tenant)? }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SideBySideQuery {
    /// team, site or total.
    #[param(inline)]
    pub level: TopicLevel,
    /// Start (inclusive).
    #[param(value_type = Time, inline)]
    pub from: String,
    /// End (exclusive); after `from`.
    #[param(value_type = Time, inline)]
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SideBySideResponse {
    pub min_group: u32,
    pub groups: Vec<GroupTopics>,
}

/// Customer comment topics next to employee comment topics per group over a period; employee
/// counts are withheld for groups under the tenant's minimum group size.
#[utoipa::path(get, path = "/tenants/{tenant}/topics/side-by-side", tag = "analytics",
    params(TenantPath, SideBySideQuery),
    responses((status = 200, body = SideBySideResponse, description = "topic counts per group"), Keyed, BadRequest,
        NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn side_by_side_topics(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<SideBySideQuery>,
) -> Result<Json<SideBySideResponse>, ApiError> {
    let tenant = caller.require(&state, Action::Query, &tenant_id)?;
    let (from, to) = parse_range(&query.from, &query.to)?;
    let taxonomy = stored_taxonomy(&state, &tenant_id)?;
    let db = state.tenants.get(&tenant_id)?;
    let min_group = tenant.min_group_size;
    let groups = tokio::task::spawn_blocking(move || -> Result<Vec<GroupTopics>, ApiError> {
        let conn = db.connection().map_err(ApiError::internal)?;
        let range = (from.timestamp_micros(), to.timestamp_micros());
        Ok(side_by_side(&conn, &taxonomy, query.level, range, min_group)?)
    })
    .await??;
    Ok(Json(SideBySideResponse { min_group, groups }))
}
