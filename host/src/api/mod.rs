//! The HTTP API under `/v1`: one module per resource, the authenticated caller, and the one
//! error type every route answers with.

pub mod awards;
pub mod correlations;
pub mod dashboards;
pub mod deploy;
pub mod error;
pub mod extract;
pub mod health;
pub mod ingest;
pub mod metrics;
pub mod openapi;
pub mod pay;
pub mod plugins;
pub mod runs;
pub mod tenants;
pub mod topics;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, post, put};

pub use self::error::ApiError;
pub use crate::app::{AppState, Services};
use crate::auth::{Action, Principal};
use crate::config::Config;
use crate::store::system::Tenant;

/// The routes under `/v1`.
pub fn routes(config: &Config) -> Router<AppState> {
    let plugin_limit = DefaultBodyLimit::max(config.max_plugin_bytes);
    Router::new()
        .route("/tenants", post(tenants::create).get(tenants::list))
        .route("/tenants/{tenant}", get(tenants::show))
        .route("/tenants/{tenant}/limits", put(tenants::set_limits))
        .route("/tenants/{tenant}/privacy", put(tenants::set_privacy))
        .route("/tenants/{tenant}/keys", post(tenants::create_key))
        .route("/tenants/{tenant}/ingest/{table}", post(ingest::ingest))
        .route("/tenants/{tenant}/plugins", get(plugins::list).post(plugins::upload).layer(plugin_limit))
        .route("/tenants/{tenant}/plugins/{name}/versions", get(deploy::versions))
        .route("/tenants/{tenant}/plugins/{name}/activate", post(deploy::activate))
        .route("/tenants/{tenant}/plugins/{name}/rollback", post(deploy::rollback))
        .route("/tenants/{tenant}/plugins/{name}/canary", put(deploy::start_canary).delete(deploy::stop_canary))
        .route(
            "/tenants/{tenant}/plugins/{name}/shadow",
            put(deploy::start_shadow).delete(deploy::stop_shadow).get(deploy::shadow_report),
        )
        .route("/tenants/{tenant}/plugins/{name}/shadow/run", post(deploy::shadow_run))
        .route("/tenants/{tenant}/plugins/{name}/policy", put(deploy::set_policy))
        .route("/tenants/{tenant}/plugins/{name}/stats", get(deploy::stats))
        .route("/tenants/{tenant}/audit", get(deploy::audit))
        .route("/tenants/{tenant}/correlations", get(correlations::correlate_metrics))
        .route("/tenants/{tenant}/correlations/matrix", get(correlations::matrix))
        .route("/tenants/{tenant}/topics", get(topics::taxonomy).put(topics::set_taxonomy))
        .route("/tenants/{tenant}/topics/side-by-side", get(topics::side_by_side_topics))
        .route("/tenants/{tenant}/metrics/{name}", get(metrics::query))
        .route("/tenants/{tenant}/dashboards/{name}", get(dashboards::show))
        .route("/tenants/{tenant}/awards/runs", post(awards::run))
        .route("/tenants/{tenant}/awards/ledger", get(awards::ledger))
        .route("/tenants/{tenant}/awards/flags", get(awards::flags))
        .route("/tenants/{tenant}/leaderboards", get(awards::leaderboard))
        .route("/tenants/{tenant}/leaderboards/agents/{agent}", get(awards::standing))
        .route("/tenants/{tenant}/pay/runs", post(pay::run))
        .route("/tenants/{tenant}/pay/statements", get(pay::statements))
        .route("/tenants/{tenant}/pay/statements.csv", get(pay::statements_csv))
}

/// The authenticated caller, from `Authorization: Bearer <key>`.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send an API key as `Authorization: Bearer <key>`"))?;
        let key = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <key>`"))?;
        state.keys.authenticate(key.trim()).map(Caller).ok_or_else(|| ApiError::unauthorized("unknown API key"))
    }
}

impl Caller {
    /// The tenant, once the caller is known to be allowed `action` on it.
    pub fn require(&self, state: &Services, action: Action, tenant: &str) -> Result<Tenant, ApiError> {
        Ok(state.authorize(&self.0, action, tenant)?)
    }

    /// Checks the caller may do `action` platform-wide.
    pub fn require_platform(&self, action: Action) -> Result<(), ApiError> {
        Ok(self.0.require(action, None)?)
    }
}
