//! Which plugin answers a tenant's call: the standard plugins shipped in the binary, and
//! each tenant's own uploaded versions, which override a standard plugin of the same name
//! for that tenant only.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use utoipa::ToSchema;

use crate::guests::STANDARD_METRICS;
use crate::runtime::{LoadError, MetricPlugin, Runtime};
use crate::store::system::PluginVersionRow;
use crate::store::{SystemDb, SystemError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("standard plugin `{name}` cannot be loaded: {source}")]
    Standard { name: String, source: LoadError },
    #[error("stored plugin {hash} of tenant `{tenant}` cannot be loaded: {detail}")]
    Stored { tenant: String, hash: String, detail: String },
    #[error("{0}")]
    Rejected(#[from] LoadError),
    #[error("{0}")]
    System(#[from] SystemError),
    #[error("cannot store the plugin: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PluginSource {
    /// Shipped inside the server.
    Standard,
    /// Uploaded by the tenant.
    Tenant,
}

#[derive(Clone)]
pub struct Resolved {
    pub plugin: Arc<MetricPlugin>,
    pub source: PluginSource,
}

pub struct Registry {
    runtime: Arc<Runtime>,
    blobs_dir: PathBuf,
    standard: HashMap<String, Arc<MetricPlugin>>,
    /// (tenant, name) → the tenant's active version.
    tenant: RwLock<HashMap<(String, String), Arc<MetricPlugin>>>,
}

impl Registry {
    /// Loads the standard plugins and every tenant's active versions (from the compiled
    /// cache when present, so a restart does not recompile).
    pub fn load(runtime: Arc<Runtime>, system: &SystemDb, blobs_dir: PathBuf) -> Result<Registry, RegistryError> {
        std::fs::create_dir_all(&blobs_dir)?;
        let mut standard = HashMap::new();
        for (name, bytes) in STANDARD_METRICS {
            let plugin = runtime
                .load_metric(bytes)
                .map_err(|source| RegistryError::Standard { name: name.to_string(), source })?;
            standard.insert(plugin.info.name.clone(), Arc::new(plugin));
        }
        let mut tenant = HashMap::new();
        for (tenant_id, hash) in system.active_plugins()? {
            let stored =
                |detail: String| RegistryError::Stored { tenant: tenant_id.clone(), hash: hash.clone(), detail };
            let bytes = std::fs::read(blobs_dir.join(format!("{hash}.wasm"))).map_err(|e| stored(e.to_string()))?;
            let plugin = runtime.load_metric(&bytes).map_err(|e| stored(e.to_string()))?;
            tenant.insert((tenant_id.clone(), plugin.info.name.clone()), Arc::new(plugin));
        }
        Ok(Registry { runtime, blobs_dir, standard, tenant: RwLock::new(tenant) })
    }

    /// The plugin that answers `name` for `tenant`: the tenant's own version, else the standard one.
    pub fn resolve(&self, tenant: &str, name: &str) -> Option<Resolved> {
        let own =
            self.tenant.read().unwrap_or_else(|e| e.into_inner()).get(&(tenant.to_string(), name.to_string())).cloned();
        match own {
            Some(plugin) => Some(Resolved { plugin, source: PluginSource::Tenant }),
            None => self.standard.get(name).map(|p| Resolved { plugin: p.clone(), source: PluginSource::Standard }),
        }
    }

    /// Every metric the tenant can query, ordered by name.
    pub fn list(&self, tenant: &str) -> Vec<Resolved> {
        let mut names: Vec<String> = self.standard.keys().cloned().collect();
        let own = self.tenant.read().unwrap_or_else(|e| e.into_inner());
        names.extend(own.keys().filter(|(t, _)| t == tenant).map(|(_, n)| n.clone()));
        drop(own);
        names.sort();
        names.dedup();
        names.iter().filter_map(|n| self.resolve(tenant, n)).collect()
    }

    /// Checks, compiles and describes an uploaded component, stores it, and makes it the
    /// tenant's active version of its name.
    pub fn upload(
        &self,
        system: &SystemDb,
        tenant: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<PluginVersionRow, RegistryError> {
        let plugin = self.runtime.load_metric(bytes)?;
        let blob = self.blobs_dir.join(format!("{}.wasm", plugin.hash));
        if !blob.exists() {
            let tmp = blob.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &blob)?;
        }
        let row = PluginVersionRow {
            tenant_id: tenant.to_string(),
            name: plugin.info.name.clone(),
            hash: plugin.hash.clone(),
            kind: "metric".to_string(),
            version: plugin.info.version.clone(),
            size_bytes: plugin.size_bytes,
            uploaded_by: actor.to_string(),
            uploaded_at: String::new(),
            info: crate::api::plugins::info_json(&plugin.info),
        };
        system.record_and_activate(&row)?;
        let stored = system.plugin_version(tenant, &plugin.hash)?.unwrap_or(row);
        self.tenant
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((tenant.to_string(), plugin.info.name.clone()), Arc::new(plugin));
        Ok(stored)
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }
}
