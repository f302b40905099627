//! Liveness and readiness for operators and orchestrators.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::{ApiError, AppState};

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the system database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "ready"), (status = 500, body = super::error::Problem)))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let tenants = tokio::task::spawn_blocking(move || state.system.tenants()).await??;
    Ok(Json(json!({ "status": "ready", "tenants": tenants.len() })))
}
