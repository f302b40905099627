//! The tenant's comment-topic taxonomy, and customer and employee comment topics side by side.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery};
use super::{ApiError, AppState, Caller};
use crate::analytics::topics::{GroupTopics, Taxonomy, TopicLevel, side_by_side, validate};
use crate::auth::Action;
use crate::params::parse_range;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyBody {
    /// Topic name → keywords, e.g. `{"billing": ["invoice", "charge"], "tools": ["crm", "laptop"]}`.
    pub topics: Taxonomy,
}

/// Replace the tenant's comment-topic taxonomy (tenant admin or operator).
#[utoipa::path(put, path = "/v1/tenants/{tenant}/topics", tag = "analytics", params(("tenant" = String, Path)),
    request_body = TaxonomyBody, responses((status = 200, body = TaxonomyBody), (status = 400, body = super::error::Problem)),
    security(("api_key" = [])))]
pub async fn set_taxonomy(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    ApiJson(body): ApiJson<TaxonomyBody>,
) -> Result<Json<TaxonomyBody>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let topics = validate(body.topics)?;
    let json = serde_json::to_string(&topics).map_err(ApiError::internal)?;
    let actor = caller.0.actor();
    tokio::task::spawn_blocking(move || state.system.set_taxonomy_json(&tenant, &json, &actor)).await??;
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
#[utoipa::path(get, path = "/v1/tenants/{tenant}/topics", tag = "analytics", params(("tenant" = String, Path)),
    responses((status = 200, body = TaxonomyBody), (status = 404, body = super::error::Problem)), security(("api_key" = [])))]
pub async fn taxonomy(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<TaxonomyBody>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    Ok(Json(TaxonomyBody { topics: stored_taxonomy(&state, &tenant)? }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SideBySideQuery {
    /// team, site or total.
    #[param(value_type = String)]
    pub level: TopicLevel,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SideBySideResponse {
    pub min_group: u32,
    pub groups: Vec<GroupTopics>,
}

/// Customer comment topics next to employee comment topics per group over a period; employee
/// counts are withheld for groups under the tenant's minimum group size.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/topics/side-by-side", tag = "analytics",
    params(("tenant" = String, Path), SideBySideQuery),
    responses((status = 200, body = SideBySideResponse), (status = 404, body = super::error::Problem)),
    security(("api_key" = [])))]
pub async fn side_by_side_topics(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
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
