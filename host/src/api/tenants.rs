//! Tenants and their API keys and limits.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use super::{ApiError, AppState, Caller};
use crate::auth::{Action, Role, new_key};
use crate::config::PluginLimits;
use crate::store::system::Tenant;
use crate::store::valid_tenant_id;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1–40 lowercase letters, digits, `-` or `_`, starting with a letter.
    pub id: String,
    pub name: String,
}

/// Create a tenant (operator).
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants", request_body = NewTenant,
    responses((status = 201, body = Tenant), (status = 409, body = super::error::Problem)),
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
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants", responses((status = 200, body = [Tenant])), security(("api_key" = [])))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Tenant>>, ApiError> {
    caller.require_platform(Action::ManageTenants)?;
    Ok(Json(tokio::task::spawn_blocking(move || state.system.tenants()).await??))
}

/// Show one tenant.
#[utoipa::path(get, path = "/v1/tenants/{tenant}", tag = "tenants", params(("tenant" = String, Path)),
    responses((status = 200, body = Tenant), (status = 404, body = super::error::Problem)), security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Tenant>, ApiError> {
    Ok(Json(caller.require(&state, Action::Query, &tenant)?))
}

/// Set a tenant's limits (operator): per plugin call (deadline, memory, rows and bytes read,
/// result size, log lines) and per tenant (database memory, spill space and threads, places for
/// plugin requests and their queue). Fields left out take the server's built-in defaults; a
/// database already open takes new database limits as soon as no request uses it.
#[utoipa::path(put, path = "/v1/tenants/{tenant}/limits", tag = "tenants", params(("tenant" = String, Path)),
    request_body = PluginLimits, responses((status = 200, body = Tenant)), security(("api_key" = [])))]
pub async fn set_limits(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
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
    pub min_group_size: u32,
}

/// Set the tenant's privacy floor for employee figures (operator).
#[utoipa::path(put, path = "/v1/tenants/{tenant}/privacy", tag = "tenants", params(("tenant" = String, Path)),
    request_body = Privacy, responses((status = 200, body = Tenant), (status = 400, body = super::error::Problem)),
    security(("api_key" = [])))]
pub async fn set_privacy(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
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
    pub role: Role,
    /// A label for the audit log, e.g. `nightly-loader`.
    pub name: String,
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
#[utoipa::path(post, path = "/v1/tenants/{tenant}/keys", tag = "tenants", params(("tenant" = String, Path)),
    request_body = NewKey, responses((status = 201, body = IssuedKey)), security(("api_key" = [])))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
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
