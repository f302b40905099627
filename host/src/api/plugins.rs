//! Listing the metrics a tenant can query, and uploading a tenant's own plugin.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, Conflict, Keyed, NotFound, Problem};
use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState, Binary, Caller, TenantPath};
use crate::auth::Action;
use crate::registry::{PluginSource, params_json};
use crate::runtime::kind_name;
use crate::store::PluginVersionRow;

#[derive(Debug, Serialize, ToSchema)]
pub struct PluginEntry {
    pub name: String,
    pub version: String,
    pub kind: String,
    pub description: String,
    /// Declared parameters: name, type, default, description.
    #[schema(value_type = Vec<Object>)]
    pub params: Vec<Value>,
    /// SHA-256 of the component.
    pub hash: String,
    pub source: PluginSource,
}

/// List every plugin this tenant can use — metrics, dashboards, pay models and game mechanics,
/// its own and the standard ones it has not overridden — with kind, version, description,
/// declared parameters, content hash and source.
#[utoipa::path(get, path = "/tenants/{tenant}/plugins", tag = "plugins", operation_id = "list_plugins", params(TenantPath),
    responses((status = 200, body = [PluginEntry], description = "every plugin the tenant can use"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
) -> Result<Json<Vec<PluginEntry>>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let entries = state
        .deployments
        .list(&state.registry, &tenant)
        .into_iter()
        .map(|(plugin, source)| PluginEntry {
            name: plugin.info.name.clone(),
            version: plugin.info.version.clone(),
            kind: kind_name(plugin.info.kind).to_string(),
            description: plugin.info.description.clone(),
            params: params_json(&plugin.info),
            hash: plugin.hash.clone(),
            source,
        })
        .collect();
    Ok(Json(entries))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// Make the uploaded version active at once (default true); `false` only stores it, for
    /// a later activation, canary or shadow run.
    pub activate: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResponse {
    #[serde(flatten)]
    pub version: PluginVersionRow,
    /// False when these exact bytes had been uploaded before (it is the same version).
    pub created: bool,
    /// Whether this version is now the tenant's active version of its name.
    pub active: bool,
}

/// Upload a plugin: a `wasm32-wasip2` component of one of the worlds the server runs (`metric`,
/// `dashboard`, `pay-model`, `game-mechanic`; see docs/PLUGINS.md). The component is checked
/// against its world, compiled and asked to `describe()` itself before it is accepted, and
/// stored as an immutable version addressed by its content hash; the same bytes uploaded twice
/// are one version. Unless `activate=false`, it becomes the tenant's active version at once,
/// overriding a standard plugin of that name for this tenant only.
#[utoipa::path(post, path = "/tenants/{tenant}/plugins", tag = "plugins", operation_id = "upload_plugin", params(TenantPath, UploadQuery),
    request_body(content = Binary, content_type = "application/wasm", description = "the component's bytes"),
    responses((status = 201, body = UploadResponse, description = "a new version"),
        (status = 200, body = UploadResponse, description = "these bytes were already a version"),
        Keyed, NotFound, BadRequest, Conflict,
        (status = 413, body = Problem, content_type = "application/problem+json",
            description = "larger than the server accepts for a plugin (`plugin_too_large`)"),
        (status = 422, body = Problem, content_type = "application/problem+json",
            description = "not a component, wrong world, a bad describe(), or too hard to compile")),
    security(("api_key" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                crate::problem::Class::TooLarge,
                "plugin_too_large",
                "Plugin too large",
                format!("a plugin component may have at most {} bytes", state.config.max_plugin_bytes),
            )
        } else {
            ApiError::bad_request("unreadable_body", rejection.body_text())
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::bad_request("empty_body", "send the component's bytes as the request body"));
    }
    let actor = caller.0.actor();
    let activate = query.activate.unwrap_or(true);
    let response = tokio::task::spawn_blocking(move || -> Result<UploadResponse, ApiError> {
        let uploaded = state.registry.upload(&state.system, &tenant, &body, &actor)?;
        let name = &uploaded.row.name;
        let already_active = state
            .deployments
            .get(&tenant, name)
            .and_then(|d| d.row.active_hash.clone())
            .is_some_and(|h| h == uploaded.row.hash);
        if activate && !already_active {
            state.deployments.activate(&state.system, &state.registry, &tenant, name, &uploaded.row.hash, &actor)?;
        }
        Ok(UploadResponse { created: uploaded.created, active: activate || already_active, version: uploaded.row })
    })
    .await??;
    let status = if response.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(response)))
}
