//! Plugin versions and where they come from: the standard plugins shipped in the binary, and
//! each tenant's uploaded versions — checked against their world, compiled (or taken from the
//! compiled cache), stored as blobs by content hash and loaded on demand.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use utoipa::ToSchema;

use crate::guests::STANDARD_PLUGINS;
use crate::runtime::bindings::PluginInfo;
use crate::runtime::{LoadError, Plugin, Runtime, kind_name};
use crate::store::{PluginVersionRow, SystemDb, SystemError};

/// Shortest hash prefix accepted where a version is named.
pub const MIN_HASH_PREFIX: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("standard plugin `{name}` cannot be loaded: {source}")]
    Standard { name: String, source: LoadError },
    #[error("the stored blob of plugin {hash} of tenant `{tenant}` cannot be read: {source}")]
    StoredBlob { tenant: String, hash: String, source: std::io::Error },
    #[error("stored plugin {hash} of tenant `{tenant}` cannot be loaded: {source}")]
    StoredLoad { tenant: String, hash: String, source: Box<LoadError> },
    #[error("{0}")]
    Rejected(#[from] LoadError),
    #[error(
        "tenant `{tenant}` has no version `{hash}` of plugin `{name}`; GET /v1/tenants/{tenant}/plugins/{name}/versions lists them"
    )]
    UnknownVersion { tenant: String, name: String, hash: String },
    #[error("`{hash}` matches more than one version of plugin `{name}`; give more of the hash")]
    AmbiguousVersion { name: String, hash: String },
    /// The name is taken by a plugin of another kind (names are unique per tenant).
    #[error("tenant `{tenant}` already has a {existing} plugin named `{name}`; a {kind} plugin needs another name")]
    KindClash { tenant: String, name: String, existing: String, kind: &'static str },
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

/// What an upload did.
pub struct Uploaded {
    pub row: PluginVersionRow,
    /// False when the same bytes had been uploaded before.
    pub created: bool,
    pub plugin: Arc<Plugin>,
}

pub struct Registry {
    runtime: Arc<Runtime>,
    blobs_dir: PathBuf,
    standard: HashMap<String, Arc<Plugin>>,
    /// Tenant versions loaded so far, by (tenant, hash).
    loaded: Mutex<HashMap<(String, String), Arc<Plugin>>>,
}

impl Registry {
    /// Loads the standard plugins (from the compiled cache when present).
    pub fn load(runtime: Arc<Runtime>, blobs_dir: PathBuf) -> Result<Registry, RegistryError> {
        std::fs::create_dir_all(&blobs_dir)?;
        let mut standard = HashMap::new();
        for (name, bytes) in STANDARD_PLUGINS {
            let plugin =
                runtime.load(bytes).map_err(|source| RegistryError::Standard { name: name.to_string(), source })?;
            standard.insert(plugin.info.name.clone(), Arc::new(plugin));
        }
        Ok(Registry { runtime, blobs_dir, standard, loaded: Mutex::new(HashMap::new()) })
    }

    pub fn standard(&self, name: &str) -> Option<Arc<Plugin>> {
        self.standard.get(name).cloned()
    }

    /// Whether `plugin` is the standard plugin of its name or a tenant's version.
    pub fn source_of(&self, plugin: &Plugin) -> PluginSource {
        match self.standard.get(&plugin.info.name) {
            Some(standard) if standard.hash == plugin.hash => PluginSource::Standard,
            _ => PluginSource::Tenant,
        }
    }

    pub fn standard_names(&self) -> impl Iterator<Item = &String> {
        self.standard.keys()
    }

    /// A stored version of a tenant's plugin, loaded from its blob on first use.
    pub fn version(&self, tenant: &str, hash: &str) -> Result<Arc<Plugin>, RegistryError> {
        let key = (tenant.to_string(), hash.to_string());
        if let Some(plugin) = self.loaded.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(plugin.clone());
        }
        let (tenant_id, hash_id) = (tenant.to_string(), hash.to_string());
        let bytes = std::fs::read(self.blob_path(hash)).map_err(|source| RegistryError::StoredBlob {
            tenant: tenant_id.clone(),
            hash: hash_id.clone(),
            source,
        })?;
        let plugin = self.runtime.load(&bytes).map_err(|source| RegistryError::StoredLoad {
            tenant: tenant_id,
            hash: hash_id,
            source: Box::new(source),
        })?;
        let plugin = Arc::new(plugin);
        self.loaded.lock().unwrap_or_else(|e| e.into_inner()).insert(key, plugin.clone());
        Ok(plugin)
    }

    /// The full hash of the tenant's version of `name` that `hash` (or a prefix of at least
    /// eight characters) names.
    pub fn find_version(
        &self,
        system: &SystemDb,
        tenant: &str,
        name: &str,
        hash: &str,
    ) -> Result<String, RegistryError> {
        let unknown = || RegistryError::UnknownVersion {
            tenant: tenant.to_string(),
            name: name.to_string(),
            hash: hash.to_string(),
        };
        if hash.len() < MIN_HASH_PREFIX || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(unknown());
        }
        let loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(plugin) = loaded.get(&(tenant.to_string(), hash.to_string()))
            && plugin.info.name == name
        {
            return Ok(plugin.hash.clone());
        }
        drop(loaded);
        let hash = hash.to_ascii_lowercase();
        let matches: Vec<String> = system
            .plugin_versions(tenant, name)?
            .into_iter()
            .map(|v| v.hash)
            .filter(|h| h.starts_with(&hash))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(unknown()),
            _ => Err(RegistryError::AmbiguousVersion { name: name.to_string(), hash }),
        }
    }

    /// Checks a component against the worlds the host runs, compiles it, asks it to describe
    /// itself, and stores it as an immutable version. Uploading the same bytes again changes
    /// nothing. Plugin names are unique per tenant across kinds.
    pub fn upload(
        &self,
        system: &SystemDb,
        tenant: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<Uploaded, RegistryError> {
        let plugin = self.runtime.load(bytes)?;
        let kind = kind_name(plugin.kind());
        let clash = |existing: &str| RegistryError::KindClash {
            tenant: tenant.to_string(),
            name: plugin.info.name.clone(),
            existing: existing.to_string(),
            kind,
        };
        if let Some(standard) = self.standard.get(&plugin.info.name)
            && standard.kind() != plugin.kind()
        {
            return Err(clash(kind_name(standard.kind())));
        }
        if let Some(other) = system.plugin_versions(tenant, &plugin.info.name)?.into_iter().find(|v| v.kind != kind) {
            return Err(clash(&other.kind));
        }
        let blob = self.blob_path(&plugin.hash);
        if !blob.exists() {
            let tmp = blob.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &blob)?;
        }
        let row = PluginVersionRow {
            tenant_id: tenant.to_string(),
            name: plugin.info.name.clone(),
            hash: plugin.hash.clone(),
            kind: kind.to_string(),
            version: plugin.info.version.clone(),
            size_bytes: plugin.size_bytes,
            uploaded_by: actor.to_string(),
            uploaded_at: String::new(),
            info: info_json(&plugin.info),
        };
        let created = system.record_version(&row)?;
        let row = system.plugin_version(tenant, &plugin.hash)?.unwrap_or(row);
        let plugin = Arc::new(plugin);
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((tenant.to_string(), plugin.hash.clone()))
            .or_insert_with(|| plugin.clone());
        Ok(Uploaded { row, created, plugin })
    }

    fn blob_path(&self, hash: &str) -> PathBuf {
        self.blobs_dir.join(format!("{hash}.wasm"))
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }
}

/// A plugin's parameter declarations as JSON: name, type, default, description.
pub fn params_json(info: &PluginInfo) -> Vec<serde_json::Value> {
    info.params
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "type": crate::runtime::checks::type_name(p.type_),
                "default": crate::params::value_json(&p.default),
                "description": p.description,
            })
        })
        .collect()
}

/// A plugin's `describe()` answer as JSON, as versions are stored and listed.
pub fn info_json(info: &PluginInfo) -> serde_json::Value {
    serde_json::json!({
        "name": info.name,
        "version": info.version,
        "kind": kind_name(info.kind),
        "description": info.description,
        "params": params_json(info),
    })
}
