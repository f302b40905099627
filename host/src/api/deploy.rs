//! Plugin lifecycle routes: versions, activation, rollback, canary, shadow runs, failure
//! policy, per-version figures and the audit log.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, Conflict, JsonBody, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{ApiError, AppState, Caller, GroupByName, PluginPath, Services, TenantPath, Time};
use crate::auth::Action;
use crate::deploy::shadow::ShadowReport;
use crate::deploy::{DeployError, Deployment, VersionStats};
use crate::params::{parse_group_by, parse_range};
use crate::runs::shadow::ShadowRun;
use crate::store::{AuditEntry, DeploymentRow, FailurePolicy, PluginVersionRow};

/// A plugin's deployment and all its stored versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionsResponse {
    pub name: String,
    /// The standard plugin of this name, if the server ships one.
    pub standard_version: Option<String>,
    pub deployment: Option<DeploymentRow>,
    /// Newest first.
    pub versions: Vec<PluginVersionRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActivateBody {
    /// The version's hash, or a unique prefix of at least 8 characters.
    #[schema(pattern = r"^[0-9a-fA-F]{8,64}$")]
    pub hash: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RollbackBody {
    /// The version to return to; by default the previous one (or the standard plugin).
    #[schema(pattern = r"^[0-9a-fA-F]{8,64}$")]
    pub hash: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CanaryBody {
    /// The canary version's hash, or a unique prefix of at least 8 characters.
    #[schema(pattern = r"^[0-9a-fA-F]{8,64}$")]
    pub hash: String,
    /// Share of subjects (agents, callers) that get the canary, 0–100. A subject stays on the
    /// same side while the canary runs; metric calls name it with `subject=`, else the API key.
    #[schema(minimum = 0, maximum = 100)]
    pub percent: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShadowBody {
    /// The candidate version's hash, or a unique prefix of at least 8 characters.
    #[schema(pattern = r"^[0-9a-fA-F]{8,64}$")]
    pub hash: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PolicyBody {
    pub on_failure: FailurePolicy,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShadowRunBody {
    /// The candidate version's hash, or a unique prefix of at least 8 characters.
    #[schema(pattern = r"^[0-9a-fA-F]{8,64}$")]
    pub hash: String,
    /// Start of the period (inclusive).
    #[schema(value_type = Time, inline)]
    pub from: String,
    /// End of the period (exclusive); after `from`.
    #[schema(value_type = Time, inline)]
    pub to: String,
    /// agent (default), team, site, queue, channel, day, week, month or total (metrics only;
    /// pay models compare statement totals and game mechanics points, per agent).
    #[schema(value_type = Option<GroupByName>, inline)]
    pub group_by: Option<String>,
    /// Parameters both versions run with; the others take each version's defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this plugin.
    pub plugin: Option<String>,
    /// At most this many entries, newest first (default 100; more than 10000 gives 10000).
    #[param(format = Int64, minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
}

/// Runs one deployment change for a caller allowed to manage the tenant's plugins, off the
/// async threads, and answers with the deployment as it now stands.
async fn change(
    state: AppState,
    caller: Caller,
    tenant: String,
    edit: impl FnOnce(&Services, &str, &str) -> Result<Arc<Deployment>, DeployError> + Send + 'static,
) -> Result<Json<DeploymentRow>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let actor = caller.0.actor();
    let deployment = tokio::task::spawn_blocking(move || edit(&state, &tenant, &actor)).await??;
    Ok(Json(deployment.row.clone()))
}

/// Every stored version of a plugin and what is deployed.
#[utoipa::path(get, path = "/tenants/{tenant}/plugins/{name}/versions", tag = "deployments",
    params(PluginPath),
    responses((status = 200, body = VersionsResponse, description = "the versions and the deployment"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
) -> Result<Json<VersionsResponse>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let versions = state.system.plugin_versions(&tenant, &name)?;
    let standard_version = state.registry.standard(&name).map(|p| p.info.version.clone());
    if versions.is_empty() && standard_version.is_none() {
        return Err(ApiError::not_found("plugin_not_found", format!("tenant `{tenant}` has no plugin `{name}`"))
            .with_field("name"));
    }
    let deployment = state.deployments.get(&tenant, &name).map(|d| d.row.clone());
    Ok(Json(VersionsResponse { name, standard_version, deployment, versions }))
}

/// Make a stored version the active one, atomically: calls already running finish on the
/// version they started with.
#[utoipa::path(post, path = "/tenants/{tenant}/plugins/{name}/activate", tag = "deployments",
    params(PluginPath), request_body = ActivateBody,
    responses((status = 200, body = DeploymentRow, description = "the deployment as it now stands"), Keyed, JsonBody,
        NotFound, Conflict),
    security(("api_key" = [])))]
pub async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
    ApiJson(body): ApiJson<ActivateBody>,
) -> Result<Json<DeploymentRow>, ApiError> {
    change(state, caller, tenant, move |s, tenant, actor| {
        s.deployments.activate(&s.system, &s.registry, tenant, &name, &body.hash, actor)
    })
    .await
}

/// Roll back to the previous version, or to any stored version named by `hash`.
#[utoipa::path(post, path = "/tenants/{tenant}/plugins/{name}/rollback", tag = "deployments",
    params(PluginPath), request_body(content = Option<RollbackBody>, description = "optional: empty means the previous version"),
    responses((status = 200, body = DeploymentRow, description = "the deployment as it now stands"), Keyed, BadRequest,
        NotFound, Conflict,
        (status = 413, body = super::error::Problem, content_type = "application/problem+json",
            description = "the body is larger than the server accepts")),
    security(("api_key" = [])))]
pub async fn rollback(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DeploymentRow>, ApiError> {
    let body = body.map_err(|rejection| {
        let class = crate::problem::Class::of_status(rejection.status().as_u16());
        ApiError::new(class, "invalid_body", "Invalid request body", rejection.body_text())
    })?;
    // The body is optional: empty (or `null`) means "the previous version".
    let to = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let parsed: Option<RollbackBody> = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("invalid_body", format!("the body is not a rollback request: {e}")))?;
        parsed.and_then(|p| p.hash)
    };
    change(state, caller, tenant, move |s, tenant, actor| {
        s.deployments.rollback(&s.system, &s.registry, tenant, &name, to.as_deref(), actor)
    })
    .await
}

/// Send a share of subjects to a canary version.
#[utoipa::path(put, path = "/tenants/{tenant}/plugins/{name}/canary", tag = "deployments",
    params(PluginPath), request_body = CanaryBody,
    responses((status = 200, body = DeploymentRow, description = "the deployment as it now stands"), Keyed, JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn start_canary(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
    ApiJson(body): ApiJson<CanaryBody>,
) -> Result<Json<DeploymentRow>, ApiError> {
    change(state, caller, tenant, move |s, tenant, actor| {
        s.deployments.set_canary(&s.system, &s.registry, tenant, &name, Some((body.hash.as_str(), body.percent)), actor)
    })
    .await
}

/// Stop the canary; every subject gets the active version again.
#[utoipa::path(delete, path = "/tenants/{tenant}/plugins/{name}/canary", tag = "deployments",
    params(PluginPath),
    responses((status = 200, body = DeploymentRow, description = "the deployment as it now stands"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn stop_canary(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
) -> Result<Json<DeploymentRow>, ApiError> {
    change(state, caller, tenant, move |s, tenant, actor| {
        s.deployments.set_canary(&s.system, &s.registry, tenant, &name, None, actor)
    })
    .await
}

/// Run a candidate version in the shadow of the serving one on every call; its output is
/// compared, never served. Starts a fresh shadow report.
#[utoipa::path(put, path = "/tenants/{tenant}/plugins/{name}/shadow", tag = "deployments",
    params(PluginPath), request_body = ShadowBody,
    responses((status = 200, body = DeploymentRow, description = "the deployment as it now stands"), Keyed, JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn start_shadow(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
    ApiJson(body): ApiJson<ShadowBody>,
) -> Result<Json<DeploymentRow>, ApiError> {
    change(state, caller, tenant, move |s, tenant, actor| {
        s.deployments.set_shadow(&s.system, &s.registry, tenant, &name, Some(&body.hash), actor)
    })
    .await
}

/// Stop the shadow run (its report stays readable until the next one starts).
#[utoipa::path(delete, path = "/tenants/{tenant}/plugins/{name}/shadow", tag = "deployments",
    params(PluginPath),
    responses((status = 200, body = DeploymentRow, description = "the deployment as it now stands"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn stop_shadow(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
) -> Result<Json<DeploymentRow>, ApiError> {
    change(state, caller, tenant, move |s, tenant, actor| {
        s.deployments.set_shadow(&s.system, &s.registry, tenant, &name, None, actor)
    })
    .await
}

/// The report of the current (or last) shadow run.
#[utoipa::path(get, path = "/tenants/{tenant}/plugins/{name}/shadow", tag = "deployments",
    params(PluginPath),
    responses((status = 200, body = ShadowReport, description = "the shadow run's report"), Keyed,
        (status = 404, body = super::error::Problem, content_type = "application/problem+json",
            description = "no such tenant, or no shadow run of this plugin since the server started (`no_shadow_run`)")),
    security(("api_key" = [])))]
pub async fn shadow_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
) -> Result<Json<ShadowReport>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    state.deployments.shadows.report(&tenant, &name).map(Json).ok_or_else(|| {
        ApiError::not_found("no_shadow_run", format!("plugin `{name}` has had no shadow run since the server started"))
    })
}

/// Compare a candidate with the serving version on a chosen past period, now: both compute
/// `[from, to)` and the report lists how their outputs differ — per group for a metric, per
/// agent (statement totals, points) for a pay model or game mechanic, and for a rule the
/// tasks and alerts the candidate would open or close that the serving version does not (both
/// judge the periods finished at `to`). Nothing is served or written.
#[utoipa::path(post, path = "/tenants/{tenant}/plugins/{name}/shadow/run", tag = "deployments",
    params(PluginPath), request_body = ShadowRunBody,
    responses((status = 200, body = ShadowReport, description = "how the candidate's outputs differ from the serving version's"),
        Keyed, JsonBody, NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn shadow_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant: tenant_id, name }): ApiPath<PluginPath>,
    ApiJson(body): ApiJson<ShadowRunBody>,
) -> Result<Json<ShadowReport>, ApiError> {
    let tenant = caller.require(&state, Action::ManagePlugins, &tenant_id)?;
    let (from, to) = parse_range(&body.from, &body.to)?;
    let group_by_text = body.group_by.unwrap_or_else(|| "agent".to_string());
    let group_by = parse_group_by(&group_by_text)?;
    let limits = state.limits_of(&tenant);
    let admitted = state.admit(&tenant).await?;
    let report = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        let shadow = ShadowRun {
            tenant: &tenant_id,
            name: &name,
            candidate: &body.hash,
            params: crate::params::texts_of(&body.params),
            period: (from, to),
            group_by: (group_by, &group_by_text),
        };
        shadow.run(&state, limits)
    })
    .await??;
    Ok(Json(report))
}

/// What happens when the serving version fails: return the error, or answer with the
/// previous version (the response then says so).
#[utoipa::path(put, path = "/tenants/{tenant}/plugins/{name}/policy", tag = "deployments",
    params(PluginPath), request_body = PolicyBody,
    responses((status = 200, body = DeploymentRow, description = "the deployment as it now stands"), Keyed, JsonBody, NotFound),
    security(("api_key" = [])))]
pub async fn set_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
    ApiJson(body): ApiJson<PolicyBody>,
) -> Result<Json<DeploymentRow>, ApiError> {
    change(state, caller, tenant, move |s, tenant, actor| {
        s.deployments.set_policy(&s.system, &s.registry, tenant, &name, body.on_failure, actor)
    })
    .await
}

/// Calls, errors, fallbacks and latency per version since the server started.
#[utoipa::path(get, path = "/tenants/{tenant}/plugins/{name}/stats", tag = "deployments",
    params(PluginPath),
    responses((status = 200, body = [VersionStats], description = "figures per version"), Keyed, NotFound),
    security(("api_key" = [])))]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant, name }): ApiPath<PluginPath>,
) -> Result<Json<Vec<VersionStats>>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    Ok(Json(state.deployments.stats.report(&tenant, &name)))
}

/// The tenant's audit log: uploads, activations, rollbacks, canary, shadow and policy
/// changes, key issues and limit changes — who, when, from which version to which.
#[utoipa::path(get, path = "/tenants/{tenant}/audit", tag = "deployments",
    params(TenantPath, AuditQuery),
    responses((status = 200, body = [AuditEntry], description = "entries, newest first"), Keyed, BadRequest, NotFound),
    security(("api_key" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    caller.require(&state, Action::ManagePlugins, &tenant)?;
    let limit = query.limit.unwrap_or(100).min(10_000);
    Ok(Json(state.system.audit_log(&tenant, query.plugin.as_deref(), limit)?))
}
