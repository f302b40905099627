//! The HTTP API: `fn app() -> Router` over shared state, one module per resource.

pub mod analytics_host;
pub mod correlations;
pub mod dashboards;
pub mod deploy;
pub mod error;
pub mod extract;
pub mod game;
pub mod health;
pub mod ingest;
pub mod metrics;
pub mod openapi;
pub mod pay;
pub mod plugins;
pub mod request_id;
pub mod runs;
pub mod tenants;
pub mod topics;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use self::error::ApiError;
use crate::auth::{Action, KeyRing, Principal, Role};
use crate::config::Config;
use crate::deploy::call::CallContext;
use crate::deploy::{DeployError, Deployments};
use crate::registry::{Registry, RegistryError};
use crate::runtime::{LoadError, Runtime};
use crate::store::system::Tenant;
use crate::store::{SystemDb, SystemError, TenantStore};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: std::path::PathBuf, source: std::io::Error },
    #[error(transparent)]
    System(#[from] SystemError),
    #[error(transparent)]
    Runtime(#[from] LoadError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Deploy(#[from] DeployError),
}

/// Everything a request handler may need.
pub struct Services {
    pub config: Config,
    pub system: SystemDb,
    pub tenants: Arc<TenantStore>,
    /// Places for requests that run a tenant's plugins.
    pub admission: crate::admission::Admission,
    pub registry: Registry,
    pub deployments: Deployments,
    pub keys: KeyRing,
    /// Signed-in browser sessions of the `/ui` pages.
    pub ui_sessions: crate::ui::sessions::Sessions,
}

pub type AppState = Arc<Services>;

impl Services {
    /// Opens the data directory: system database, keys, runtime and plugins. Returns the
    /// state and, on a first start without a configured operator key, a freshly made one.
    pub fn open(config: Config) -> Result<(AppState, Option<String>), StartError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| StartError::DataDir { path: config.data_dir.clone(), source })?;
        let system = SystemDb::open(&config.system_db_path())?;
        let keys = KeyRing::load(&system)?;
        let mut bootstrap = None;
        if let Some(key) = &config.operator_key {
            keys.add(&system, key, Role::Operator, None, "configured-operator", "system")?;
        } else if !keys.has_operator() {
            let key = crate::auth::new_key();
            keys.add(&system, &key, Role::Operator, None, "bootstrap-operator", "system")?;
            bootstrap = Some(key);
        }
        crate::telemetry::prometheus();
        let runtime = Runtime::new(config.compiled_dir.clone(), config.compiler.clone())?;
        let registry = Registry::load(runtime, config.plugin_blobs_dir())?;
        let deployments = Deployments::load(&system, &registry)?;
        let tenants_dir = config.tenants_dir();
        std::fs::create_dir_all(&tenants_dir)
            .map_err(|source| StartError::DataDir { path: tenants_dir.clone(), source })?;
        // Absolute, so that the paths plugins must never see are known exactly.
        let tenants_dir = tenants_dir.canonicalize().unwrap_or(tenants_dir);
        let tenants =
            Arc::new(TenantStore::new(tenants_dir, config.memory_budget_bytes, config.default_limits.database()));
        for tenant in system.tenants()? {
            if let Some(limits) = tenant.limits {
                tenants.set_limits(&tenant.id, limits.database());
            }
        }
        close_idle_tenants(&tenants, config.idle_close);
        let ui_sessions = crate::ui::sessions::Sessions::default();
        let admission = crate::admission::Admission::default();
        let services = Services { config, system, tenants, admission, registry, deployments, keys, ui_sessions };
        Ok((Arc::new(services), bootstrap))
    }

    /// The limits in force for `tenant`: its own or the server's defaults.
    pub fn limits_of(&self, tenant: &Tenant) -> crate::config::PluginLimits {
        tenant.limits.unwrap_or(self.config.default_limits)
    }

    /// A place for a request that runs `tenant`'s plugins, or a `429` problem.
    pub async fn admit(&self, tenant: &Tenant) -> Result<crate::admission::Admitted, ApiError> {
        Ok(self.admission.admit(&tenant.id, &self.limits_of(tenant)).await?)
    }

    /// What a plugin call of `name` for `tenant` needs besides its plan.
    pub fn call_context<'a>(
        &'a self,
        tenant: &'a str,
        name: &'a str,
        db: Arc<crate::store::TenantDb>,
        limits: crate::config::PluginLimits,
    ) -> CallContext<'a> {
        CallContext { runtime: self.registry.runtime(), deployments: &self.deployments, tenant, name, db, limits }
    }

    /// The tenant, or a 404 problem.
    pub fn tenant(&self, id: &str) -> Result<Tenant, ApiError> {
        self.system
            .tenant(id)?
            .ok_or_else(|| ApiError::not_found("tenant_not_found", format!("no tenant `{id}`")).with_field("tenant"))
    }
}

/// Closes tenant databases unused for `idle`, checking a few times per `idle`, for as long as
/// the store lives.
fn close_idle_tenants(tenants: &Arc<TenantStore>, idle: std::time::Duration) {
    let store = Arc::downgrade(tenants);
    let every = (idle / 4).max(std::time::Duration::from_millis(100));
    let _ = std::thread::Builder::new().name("cxhost-idle-tenants".into()).spawn(move || {
        loop {
            std::thread::sleep(every);
            let Some(store) = store.upgrade() else { break };
            let closed = store.close_idle(idle);
            if closed > 0 {
                tracing::debug!(closed, "closed idle tenant databases");
            }
        }
    });
}

/// The server's routes.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    let plugin_limit = DefaultBodyLimit::max(state.config.max_plugin_bytes);
    let v1 = Router::new()
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
        .route("/tenants/{tenant}/awards/runs", post(game::run))
        .route("/tenants/{tenant}/awards/ledger", get(game::ledger))
        .route("/tenants/{tenant}/awards/flags", get(game::flags))
        .route("/tenants/{tenant}/leaderboards", get(game::leaderboard))
        .route("/tenants/{tenant}/leaderboards/agents/{agent}", get(game::standing))
        .route("/tenants/{tenant}/pay/runs", post(pay::run))
        .route("/tenants/{tenant}/pay/statements", get(pay::statements))
        .route("/tenants/{tenant}/pay/statements.csv", get(pay::statements_csv));
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(openapi::document))
        .route("/metrics", get(crate::telemetry::render))
        .nest("/v1", v1)
        .merge(crate::ui::routes())
        .route_layer(axum::middleware::from_fn(crate::telemetry::track_requests))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit));
    with_failure_handling(routes).with_state(state)
}

/// Every request gets a request id, is traced, and a panic in its handler becomes a `500`
/// problem that names only the request id (the panic goes to the log).
fn with_failure_handling<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|panic: Box<dyn std::any::Any + Send>| {
            let text = crate::store::readonly::panic_text(panic.as_ref());
            axum::response::IntoResponse::into_response(ApiError::internal(format!(
                "the request handler panicked: {text}"
            )))
        }))
        .layer(axum::middleware::from_fn(request_id::assign))
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
    /// Checks the caller may do `action` on `tenant` and that the tenant exists.
    pub fn require(&self, state: &Services, action: Action, tenant: &str) -> Result<Tenant, ApiError> {
        if !self.0.may(action, Some(tenant)) {
            return Err(ApiError::forbidden(format!(
                "a {} key{} may not {action:?} on tenant `{tenant}`",
                self.0.role.as_str(),
                self.0.tenant.as_deref().map(|t| format!(" of tenant `{t}`")).unwrap_or_default()
            )));
        }
        state.tenant(tenant)
    }

    pub fn require_platform(&self, action: Action) -> Result<(), ApiError> {
        if self.0.may(action, None) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("a {} key may not {action:?}", self.0.role.as_str())))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    async fn answer(router: Router, request_id: Option<&str>) -> (StatusCode, String, serde_json::Value) {
        let mut request = Request::get("/boom");
        if let Some(id) = request_id {
            request = request.header(request_id::HEADER, id);
        }
        let response = router.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let id = response.headers()[request_id::HEADER].to_str().unwrap().to_string();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, id, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn a_panic_becomes_a_problem_with_the_request_id_and_no_detail() {
        let panicking: Router = Router::new().route(
            "/boom",
            get(|| async {
                if true {
                    panic!("secret detail at /srv/cxhost/tenants/acme");
                }
                "unreachable"
            }),
        );
        let (status, id, body) = answer(with_failure_handling(panicking), Some("client-chosen-id-1")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(id, "client-chosen-id-1");
        assert_eq!(body["code"], "internal");
        assert_eq!(body["request_id"], "client-chosen-id-1");
        assert!(!body.to_string().contains("secret") && !body.to_string().contains("/srv"), "{body}");
    }

    #[tokio::test]
    async fn a_server_failure_shows_its_code_and_request_id_only() {
        let failing: Router = Router::new().route(
            "/boom",
            get(|| async { ApiError::internal("duckdb: IO Error: /srv/cxhost/system.duckdb is locked") }),
        );
        let (status, id, body) = answer(with_failure_handling(failing), None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(id.len(), 16, "a fresh id: {id}");
        assert_eq!(body["request_id"], id.as_str());
        assert!(!body.to_string().contains("duckdb") && !body.to_string().contains("/srv"), "{body}");
    }
}
