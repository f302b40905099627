//! The application root: the services that every route and page uses — configuration, the
//! system database, tenant databases, the plugin registry and deployments, keys, admission and
//! page sessions — opened once at start-up with the rule scheduler, and the access check both
//! the API and the pages make before touching a tenant.

use std::sync::Arc;

use crate::admission::{Admission, Admitted, Refused};
use crate::auth::{AccessError, Action, KeyRing, Principal, Role};
use crate::config::{Config, PluginLimits};
use crate::deploy::call::CallContext;
use crate::deploy::{DeployError, Deployments};
use crate::registry::{Registry, RegistryError};
use crate::runtime::{LoadError, Runtime};
use crate::store::system::Tenant;
use crate::store::{SystemDb, SystemError, TenantDb, TenantStore};

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

/// Everything a route, a page or a service may need.
pub struct Services {
    pub config: Config,
    pub system: SystemDb,
    pub tenants: Arc<TenantStore>,
    /// Places for requests that run a tenant's plugins.
    pub admission: Admission,
    pub registry: Registry,
    pub deployments: Deployments,
    pub keys: KeyRing,
    /// Signed-in browser sessions of the `/ui` pages.
    pub ui_sessions: crate::ui::sessions::Sessions,
    /// The background worker that enriches ingested text.
    pub enrichment: Arc<crate::pipelines::enrichment::EnrichmentWorker>,
    /// Routing: settings, roster snapshots and the decision log.
    pub routing: crate::pipelines::routing::Routing,
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
        let admission = Admission::default();
        let rule_tick = config.rule_tick;
        let enrichment = Arc::default();
        let routing = crate::pipelines::routing::Routing::new(crate::pipelines::decision_log::DecisionLog::start(
            Arc::downgrade(&tenants),
        ));
        let services = Services {
            config,
            system,
            tenants,
            admission,
            registry,
            deployments,
            keys,
            ui_sessions,
            enrichment,
            routing,
        };
        let services = Arc::new(services);
        crate::pipelines::enrichment::spawn(Arc::downgrade(&services));
        if let Some(every) = rule_tick {
            crate::runs::schedule::spawn(Arc::downgrade(&services), every);
        }
        Ok((services, bootstrap))
    }

    /// The limits in force for `tenant`: its own or the server's defaults.
    pub fn limits_of(&self, tenant: &Tenant) -> PluginLimits {
        tenant.limits.unwrap_or(self.config.default_limits)
    }

    /// A place for a request that runs `tenant`'s plugins.
    pub async fn admit(&self, tenant: &Tenant) -> Result<Admitted, Refused> {
        self.admission.admit(&tenant.id, &self.limits_of(tenant)).await
    }

    /// What a plugin call of `name` for `tenant` needs besides its plan.
    pub fn call_context<'a>(
        &'a self,
        tenant: &'a str,
        name: &'a str,
        db: Arc<TenantDb>,
        limits: PluginLimits,
    ) -> CallContext<'a> {
        CallContext { runtime: self.registry.runtime(), deployments: &self.deployments, tenant, name, db, limits }
    }

    /// The tenant, if it exists.
    pub fn tenant(&self, id: &str) -> Result<Tenant, AccessError> {
        self.system.tenant(id)?.ok_or_else(|| AccessError::UnknownTenant(id.to_string()))
    }

    /// The tenant, once `principal` is known to be allowed `action` on it: the one access check
    /// of the API and the pages.
    pub fn authorize(&self, principal: &Principal, action: Action, tenant: &str) -> Result<Tenant, AccessError> {
        principal.require(action, Some(tenant))?;
        self.tenant(tenant)
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
