//! Tenants and their API keys and limits.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, Schema};

use super::error::{JsonBody, Keyed, NotFound, Problem, TenantData};
use super::extract::{ApiJson, ApiPath};
use super::{ApiError, AppState, Caller, TenantPath};
use crate::auth::{Action, Role, new_key};
use crate::config::PluginLimits;
use crate::store::system::Tenant;
use crate::store::valid_tenant_id;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1–40 lowercase letters, digits, `-` or `_`, starting with a letter.
    #[schema(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "acme")]
    pub id: String,
    pub name: String,
}

/// Create a tenant (operator).
#[utoipa::path(post, path = "/tenants", tag = "tenants", operation_id = "create_tenant", request_body = NewTenant,
    responses((status = 201, body = Tenant, description = "created"), Keyed, JsonBody, (status = 409, body = Problem,
        content_type = "application/problem+json", description = "a tenant with this id exists (`tenant_exists`)"),
        TenantData),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTenant>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    caller.require_platform(Action::ManageTenants)?;
    if !valid_tenant_id(&body.id) {
        return Err(ApiError::bad_request(
            "invalid_tenant_id",
            format!(
                "tenant id `{}` must be 1–40 lowercase letters, digits, `-` or `_`, starting with a letter",
                body.id
            ),
        )
        .with_field("id"));
    }
    let actor = caller.0.actor();
    let tenant = tokio::task::spawn_blocking(move || -> Result<Tenant, ApiError> {
        let tenant = state.system.create_tenant(&body.id, &body.name, &actor)?;
        state.tenants.get(&tenant.id)?;
        Ok(tenant)
    })
    .await??;
    Ok((StatusCode::CREATED, Json(tenant)))
}

/// List tenants (operator).
#[utoipa::path(get, path = "/tenants", tag = "tenants", operation_id = "list_tenants", responses((status = 200, body = [Tenant], description = "every tenant, by id"), Keyed),
    security(("api_key" = [])))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Tenant>>, ApiError> {
    caller.require_platform(Action::ManageTenants)?;
    Ok(Json(tokio::task::spawn_blocking(move || state.system.tenants()).await??))
}

/// Show one tenant.
#[utoipa::path(get, path = "/tenants/{tenant}", tag = "tenants", operation_id = "show_tenant", params(TenantPath),
    responses((status = 200, body = Tenant, description = "the tenant"), Keyed, NotFound), security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<Tenant>, ApiError> {
    Ok(Json(caller.require(&state, Action::Query, &tenant)?))
}

/// Set a tenant's limits (operator): per plugin call (deadline, memory, rows and bytes read,
/// result size, log lines) and per tenant (database memory, spill space and threads, places for
/// plugin requests and their queue). Fields left out take the server's built-in defaults; a
/// database already open takes new database limits as soon as no request uses it.
#[utoipa::path(put, path = "/tenants/{tenant}/limits", tag = "tenants", params(TenantPath),
    request_body = LimitsBody,
    responses((status = 200, body = Tenant, description = "the tenant with its new limits"), Keyed, JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn set_limits(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiJson(limits): ApiJson<PluginLimits>,
) -> Result<Json<Tenant>, ApiError> {
    caller.require_platform(Action::ManageTenants)?;
    state.tenant(&tenant)?;
    if let Some((field, why)) = limits.invalid() {
        return Err(ApiError::bad_request("invalid_limits", why).with_field(field));
    }
    let actor = caller.0.actor();
    let updated = tokio::task::spawn_blocking(move || -> Result<Tenant, ApiError> {
        state.system.set_limits(&tenant, &limits, &actor)?;
        state.tenants.set_limits(&tenant, limits.database());
        Ok(state.tenant(&tenant)?)
    })
    .await??;
    Ok(Json(updated))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Employee figures from fewer respondents than this are never shown (2–1000; default 5).
    #[schema(minimum = 2, maximum = 1000)]
    pub min_group_size: u32,
}

/// Set the tenant's privacy floor for employee figures (operator).
#[utoipa::path(put, path = "/tenants/{tenant}/privacy", tag = "tenants", params(TenantPath),
    request_body = Privacy,
    responses((status = 200, body = Tenant, description = "the tenant with its new floor"), Keyed, JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn set_privacy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiJson(privacy): ApiJson<Privacy>,
) -> Result<Json<Tenant>, ApiError> {
    caller.require_platform(Action::ManageTenants)?;
    state.tenant(&tenant)?;
    if !(2..=1000).contains(&privacy.min_group_size) {
        return Err(ApiError::bad_request("invalid_parameter", "min_group_size must be between 2 and 1000")
            .with_field("min_group_size"));
    }
    let actor = caller.0.actor();
    let updated = tokio::task::spawn_blocking(move || -> Result<Tenant, ApiError> {
        state.system.set_min_group_size(&tenant, privacy.min_group_size, &actor)?;
        Ok(state.tenant(&tenant)?)
    })
    .await??;
    Ok(Json(updated))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// `tenant_admin`, `analyst` or `ingest` (operator keys are made at server start).
    #[schema(value_type = IssuedRole)]
    pub role: Role,
    /// A label for the audit log, e.g. `nightly-loader`.
    pub name: String,
}

/// The roles the keys route issues: every role but `operator`.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum IssuedRole {
    TenantAdmin,
    Analyst,
    Ingest,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKey {
    /// The key itself; shown once, stored only as a hash.
    pub key: String,
    pub role: Role,
    pub tenant: String,
    pub name: String,
}

/// Issue an API key for a tenant (operator or tenant admin).
#[utoipa::path(post, path = "/tenants/{tenant}/keys", tag = "tenants", params(TenantPath),
    request_body = NewKey,
    responses((status = 201, body = IssuedKey, description = "the key, shown this once"), Keyed, JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    caller.require(&state, Action::ManageKeys, &tenant)?;
    if body.role == Role::Operator {
        return Err(ApiError::bad_request(
            "invalid_role",
            "operator keys are not tied to a tenant and cannot be issued here",
        )
        .with_field("role"));
    }
    let key = new_key();
    let actor = caller.0.actor();
    let issued = IssuedKey { key: key.clone(), role: body.role, tenant: tenant.clone(), name: body.name.clone() };
    tokio::task::spawn_blocking(move || {
        state.keys.add(&state.system, &key, body.role, Some(&tenant), &body.name, &actor)
    })
    .await??;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// The bounds `PluginLimits::invalid` holds each limit to, for the document.
const LIMIT_BOUNDS: &[(&str, u64, u64)] = &[
    ("deadline_ms", 1, 600_000),
    ("memory_bytes", 1 << 20, crate::config::MAX_PLUGIN_MEMORY_BYTES),
    ("max_rows_read", 1, 1 << 40),
    ("max_result_bytes", 1 << 10, 1 << 30),
    ("max_bytes_read", 1 << 10, 16 << 30),
    ("max_text_bytes", 1 << 10, 256 << 10),
    ("db_memory_bytes", 64 << 20, 1 << 40),
    ("db_temp_bytes", 0, 1 << 42),
    ("db_threads", 1, 256),
    ("max_concurrent_calls", 1, 1024),
    ("max_queued_calls", 0, 100_000),
    ("queue_wait_ms", 0, 600_000),
    ("log_lines_per_call", 0, 1_000_000),
    ("log_lines_per_minute", 0, 10_000_000),
];

/// The body of `PUT …/limits` as the document shows it: [`PluginLimits`] with the bounds each
/// field is held to.
pub struct LimitsBody;

impl utoipa::PartialSchema for LimitsBody {
    fn schema() -> RefOr<Schema> {
        let mut schema = <PluginLimits as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            bound(object);
        }
        schema
    }
}

impl utoipa::ToSchema for LimitsBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "PluginLimitsBody".into()
    }
}

fn bound(object: &mut Object) {
    for (field, low, high) in LIMIT_BOUNDS {
        if let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut(*field) {
            property.minimum = Some((*low).into());
            property.maximum = Some((*high).into());
        }
    }
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use super::*;

    fn with(field: &str, value: u64) -> Result<PluginLimits, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ field: value }))
    }

    /// The document's bounds are the ones the route checks, for every field of the limits.
    #[test]
    fn the_documented_limit_bounds_are_the_checked_ones() {
        let RefOr::T(Schema::Object(object)) = LimitsBody::schema() else { panic!("limits are an object") };
        let mut documented: Vec<&str> = LIMIT_BOUNDS.iter().map(|(field, ..)| *field).collect();
        let mut fields: Vec<&str> = object.properties.keys().map(String::as_str).collect();
        documented.sort_unstable();
        fields.sort_unstable();
        assert_eq!(documented, fields, "every limit has documented bounds");
        for (field, low, high) in LIMIT_BOUNDS {
            for inside in [*low, *high] {
                assert_eq!(with(field, inside).unwrap().invalid(), None, "{field} = {inside}");
            }
            assert!(with(field, high + 1).map_or(true, |l| l.invalid().is_some()), "{field} above {high}");
            if *low > 0 {
                assert!(with(field, low - 1).unwrap().invalid().is_some(), "{field} below {low}");
            }
        }
    }
}
