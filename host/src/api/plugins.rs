//! Listing the metrics a tenant can query, and uploading a tenant's own plugin.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{ApiError, AppState, Caller};
use crate::auth::Action;
use crate::registry::PluginSource;
use crate::runtime::bindings::{ParamType, ParamValue, PluginInfo, PluginKind};
use crate::store::system::PluginVersionRow;

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

pub fn kind_name(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Metric => "metric",
        PluginKind::Dashboard => "dashboard",
        PluginKind::PayModel => "pay_model",
        PluginKind::GameMechanic => "game_mechanic",
        PluginKind::Rule => "rule",
        PluginKind::Enricher => "enricher",
        PluginKind::Router => "router",
    }
}

pub fn param_type_name(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Integer => "integer",
        ParamType::Float => "float",
        ParamType::Text => "text",
        ParamType::Boolean => "boolean",
    }
}

pub fn param_value_json(value: &ParamValue) -> Value {
    match value {
        ParamValue::Integer(v) => json!(v),
        ParamValue::Float(v) => json!(v),
        ParamValue::Text(v) => json!(v),
        ParamValue::Boolean(v) => json!(v),
    }
}

fn params_json(info: &PluginInfo) -> Vec<Value> {
    info.params
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "type": param_type_name(p.type_),
                "default": param_value_json(&p.default),
                "description": p.description,
            })
        })
        .collect()
}

/// A plugin's `describe()` answer as JSON.
pub fn info_json(info: &PluginInfo) -> Value {
    json!({
        "name": info.name,
        "version": info.version,
        "kind": kind_name(info.kind),
        "description": info.description,
        "params": params_json(info),
    })
}

/// List the metrics this tenant can query, with their definitions and parameters.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/plugins", tag = "plugins", params(("tenant" = String, Path)),
    responses((status = 200, body = [PluginEntry])), security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<PluginEntry>>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let entries = state
        .registry
        .list(&tenant)
        .into_iter()
        .map(|r| PluginEntry {
            name: r.plugin.info.name.clone(),
            version: r.plugin.info.version.clone(),
            kind: kind_name(r.plugin.info.kind).to_string(),
            description: r.plugin.info.description.clone(),
            params: params_json(&r.plugin.info),
            hash: r.plugin.hash.clone(),
            source: r.source,
        })
        .collect();
    Ok(Json(entries))
}

/// Upload a metric plugin (a `wasm32-wasip2` component for the `metric` world). It becomes the
/// tenant's active version of its name at once, overriding a standard plugin of that name for
/// this tenant only. The same bytes uploaded twice are one version.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/plugins", tag = "plugins", params(("tenant" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/wasm"),
    responses((status = 201, body = PluginVersionRow), (status = 422, body = super::error::Problem, description = "not a component, wrong world, or a bad describe()")),
    security(("api_key" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<PluginVersionRow>), ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    if body.is_empty() {
        return Err(ApiError::bad_request("empty_body", "send the component's bytes as the request body"));
    }
    let actor = caller.0.actor();
    let row =
        tokio::task::spawn_blocking(move || state.registry.upload(&state.system, &tenant, &body, &actor)).await??;
    Ok((StatusCode::CREATED, Json(row)))
}
