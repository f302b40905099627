//! Liveness, readiness and Prometheus metrics for operators and orchestrators.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ServerFailure;
use super::{ApiError, AppState};

/// The answer of `/healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The answer of `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// How many tenants the server holds.
    pub tenants: usize,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health, description = "alive"), ServerFailure))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: the system database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness, description = "ready"), ServerFailure))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let tenants = tokio::task::spawn_blocking(move || state.system.tenants()).await??;
    Ok(Json(Readiness { status: "ready", tenants: tenants.len() }))
}

/// Operational metrics in Prometheus' text exposition format (see docs/API.md).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String, description = "every metric counted so far"),
        ServerFailure))]
pub async fn metrics() -> Response {
    crate::telemetry::render().await
}
