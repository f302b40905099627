//! Deployments: which version of each plugin a tenant runs, changed atomically while calls
//! run — activation, rollback, canary share, shadow candidate and failure policy — with every
//! change stored and audited in the system database.
//!
//! Each (tenant, plugin) has one immutable [`Deployment`] snapshot behind an `Arc`; a change
//! builds a new snapshot and swaps it in, so a call that has started keeps the versions it
//! resolved and the next call sees the new ones.

pub mod call;
pub mod canary;
pub mod shadow;
pub mod stats;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use utoipa::ToSchema;

use crate::registry::{PluginSource, Registry, RegistryError};
use crate::runtime::bindings::PluginKind;
use crate::runtime::{Plugin, kind_name};
use crate::store::{Change, DeploymentRow, FailurePolicy, SystemDb};

pub use self::shadow::{ShadowBoard, ShadowReport};
pub use self::stats::{CallStats, Outcome, VersionStats};

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("tenant `{tenant}` has no plugin `{name}`")]
    UnknownPlugin { tenant: String, name: String },
    #[error("plugin `{name}` has no earlier version to roll back to")]
    NothingToRollBack { name: String },
    #[error("canary percent must be between 0 and 100, got {0}")]
    BadPercent(f64),
    #[error("version {hash} is already the active version of `{name}`")]
    AlreadyActive { name: String, hash: String },
}

/// Why a call has no plan: no such plugin, or one of another kind.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("tenant `{tenant}` has no {} `{name}`; GET /v1/tenants/{tenant}/plugins lists them", kind_words(*.kind))]
    NoSuchPlugin { tenant: String, name: String, kind: PluginKind },
    #[error("`{name}` of tenant `{tenant}` is a {} plugin, not a {}", kind_name(*.found), kind_words(*.expected))]
    WrongKind { tenant: String, name: String, expected: PluginKind, found: PluginKind },
}

/// A plugin kind in words: `pay model`, `game mechanic`.
pub fn kind_words(kind: PluginKind) -> String {
    kind_name(kind).replace('_', " ")
}

/// One (tenant, plugin)'s versions, resolved to loaded plugins.
pub struct Deployment {
    pub row: DeploymentRow,
    /// The tenant's active version; `None` means the standard plugin serves.
    pub active: Option<Arc<Plugin>>,
    pub previous: Option<Arc<Plugin>>,
    pub canary: Option<Arc<Plugin>>,
    pub shadow: Option<Arc<Plugin>>,
}

/// The role in which a version answered a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServedAs {
    /// The standard plugin shipped with the server.
    Standard,
    /// The tenant's active version.
    Active,
    /// The canary version, for a subject in its share.
    Canary,
    /// The fallback version, after the serving one failed.
    Fallback,
}

/// Which versions one call uses, fixed when the call starts.
pub struct CallPlan {
    pub serve: Arc<Plugin>,
    pub served_as: ServedAs,
    /// What answers instead if `serve` fails and the policy says fall back.
    pub fallback: Option<Arc<Plugin>>,
    pub shadow: Option<Arc<Plugin>>,
}

#[derive(Default)]
pub struct Deployments {
    current: RwLock<HashMap<(String, String), Arc<Deployment>>>,
    /// Serialises changes so two operators cannot interleave read-modify-write.
    changing: Mutex<()>,
    pub stats: CallStats,
    pub shadows: ShadowBoard,
}

impl Deployments {
    /// Loads every stored deployment and the versions it names.
    pub fn load(system: &SystemDb, registry: &Registry) -> Result<Deployments, DeployError> {
        let deployments = Deployments::default();
        let mut current = HashMap::new();
        for row in system.deployments().map_err(RegistryError::from)? {
            let deployment = resolve(registry, row)?;
            if let (Some(shadow), Some(active)) = (&deployment.shadow, serving_plugin(registry, &deployment)) {
                deployments.shadows.start(
                    &deployment.row.tenant_id,
                    &deployment.row.name,
                    ShadowReport::new((&shadow.hash, &shadow.info.version), (&active.hash, &active.info.version)),
                );
            }
            current.insert((deployment.row.tenant_id.clone(), deployment.row.name.clone()), Arc::new(deployment));
        }
        *deployments.current.write().unwrap_or_else(|e| e.into_inner()) = current;
        Ok(deployments)
    }

    pub fn get(&self, tenant: &str, name: &str) -> Option<Arc<Deployment>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).get(&(tenant.to_string(), name.to_string())).cloned()
    }

    /// The versions a call of `name` by `subject` uses, or `None` when the tenant has no such plugin.
    pub fn plan(&self, registry: &Registry, tenant: &str, name: &str, subject: &str) -> Option<CallPlan> {
        let standard = registry.standard(name);
        let Some(deployment) = self.get(tenant, name) else {
            return standard.map(|serve| CallPlan {
                serve,
                served_as: ServedAs::Standard,
                fallback: None,
                shadow: None,
            });
        };
        let (active, active_as) = match &deployment.active {
            Some(active) => (active.clone(), ServedAs::Active),
            None => (standard.clone()?, ServedAs::Standard),
        };
        let row = &deployment.row;
        let canary = deployment
            .canary
            .as_ref()
            .filter(|c| canary::takes_canary(tenant, name, &c.hash, subject, row.canary_percent));
        let fallback_allowed = row.on_failure == FailurePolicy::Fallback;
        let plan = match canary {
            Some(canary) => CallPlan {
                serve: canary.clone(),
                served_as: ServedAs::Canary,
                fallback: fallback_allowed.then(|| active.clone()),
                shadow: None,
            },
            None => CallPlan {
                fallback: if fallback_allowed {
                    deployment.previous.clone().or(if active_as == ServedAs::Active { standard } else { None })
                } else {
                    None
                },
                serve: active,
                served_as: active_as,
                shadow: deployment.shadow.clone(),
            },
        };
        Some(plan)
    }

    /// The plan of a call of `name`, which must be a plugin of `kind`.
    pub fn plan_of_kind(
        &self,
        registry: &Registry,
        (tenant, name, subject): (&str, &str, &str),
        kind: PluginKind,
    ) -> Result<CallPlan, PlanError> {
        let plan = self.plan(registry, tenant, name, subject).ok_or_else(|| PlanError::NoSuchPlugin {
            tenant: tenant.to_string(),
            name: name.to_string(),
            kind,
        })?;
        if plan.serve.kind() != kind {
            return Err(PlanError::WrongKind {
                tenant: tenant.to_string(),
                name: name.to_string(),
                expected: kind,
                found: plan.serve.kind(),
            });
        }
        Ok(plan)
    }

    /// The version that serves `name` outside any canary: the tenant's active one, else the standard one.
    pub fn serving(&self, registry: &Registry, tenant: &str, name: &str) -> Option<Arc<Plugin>> {
        match self.get(tenant, name) {
            Some(deployment) => serving_plugin(registry, &deployment),
            None => registry.standard(name),
        }
    }

    /// Every plugin name the tenant can call, with the version that serves it by default.
    pub fn list(&self, registry: &Registry, tenant: &str) -> Vec<(Arc<Plugin>, PluginSource)> {
        let mut names: Vec<String> = registry.standard_names().cloned().collect();
        names.extend(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .keys()
                .filter(|(t, _)| t == tenant)
                .map(|(_, n)| n.clone()),
        );
        names.sort();
        names.dedup();
        names
            .iter()
            .filter_map(|name| self.serving(registry, tenant, name))
            .map(|plugin| {
                let source = registry.source_of(&plugin);
                (plugin, source)
            })
            .collect()
    }

    /// Makes `hash` the active version of its plugin (the one it replaces becomes `previous`).
    pub fn activate(
        &self,
        system: &SystemDb,
        registry: &Registry,
        tenant: &str,
        name: &str,
        hash: &str,
        actor: &str,
    ) -> Result<Arc<Deployment>, DeployError> {
        let hash = registry.find_version(system, tenant, name, hash)?;
        self.change(system, registry, (tenant, name, actor), |row| {
            if row.active_hash.as_deref() == Some(hash.as_str()) {
                return Err(DeployError::AlreadyActive { name: name.to_string(), hash: hash.clone() });
            }
            let from = row.active_hash.take();
            row.previous_hash = from.clone();
            row.active_hash = Some(hash.clone());
            if row.canary_hash.as_deref() == Some(hash.as_str()) {
                row.canary_hash = None;
                row.canary_percent = 0.0;
            }
            Ok(("plugin.activate", from, Some(hash.clone()), format!("activated {}", short(&hash))))
        })
    }

    /// Rolls back to `to` (any stored version), or by default to the previous version — or to
    /// the standard plugin when the tenant's first version is active.
    pub fn rollback(
        &self,
        system: &SystemDb,
        registry: &Registry,
        tenant: &str,
        name: &str,
        to: Option<&str>,
        actor: &str,
    ) -> Result<Arc<Deployment>, DeployError> {
        let target = match to {
            Some(hash) => Some(registry.find_version(system, tenant, name, hash)?),
            None => None,
        };
        let has_standard = registry.standard(name).is_some();
        self.change(system, registry, (tenant, name, actor), |row| {
            let target = match target.clone() {
                Some(hash) => Some(hash),
                None if row.previous_hash.is_some() => row.previous_hash.clone(),
                None if row.active_hash.is_some() && has_standard => None,
                None => return Err(DeployError::NothingToRollBack { name: name.to_string() }),
            };
            if target == row.active_hash {
                return Err(DeployError::AlreadyActive {
                    name: name.to_string(),
                    hash: target.unwrap_or_else(|| "standard".into()),
                });
            }
            let from = row.active_hash.take();
            row.previous_hash = from.clone();
            row.active_hash = target.clone();
            let detail = match &target {
                Some(hash) => format!("rolled back to {}", short(hash)),
                None => "rolled back to the standard plugin".to_string(),
            };
            Ok(("plugin.rollback", from, target, detail))
        })
    }

    /// Sends `percent` of subjects to `hash`, or stops the canary when `hash` is `None`.
    pub fn set_canary(
        &self,
        system: &SystemDb,
        registry: &Registry,
        tenant: &str,
        name: &str,
        canary: Option<(&str, f64)>,
        actor: &str,
    ) -> Result<Arc<Deployment>, DeployError> {
        let canary = match canary {
            Some((_, percent)) if !(0.0..=100.0).contains(&percent) || !percent.is_finite() => {
                return Err(DeployError::BadPercent(percent));
            }
            Some((hash, percent)) => Some((registry.find_version(system, tenant, name, hash)?, percent)),
            None => None,
        };
        self.change(system, registry, (tenant, name, actor), |row| {
            let from = row.canary_hash.take();
            match canary.clone() {
                Some((hash, percent)) => {
                    row.canary_hash = Some(hash.clone());
                    row.canary_percent = percent;
                    Ok(("plugin.canary", from, Some(hash.clone()), format!("canary {} at {percent}%", short(&hash))))
                }
                None => {
                    row.canary_percent = 0.0;
                    Ok(("plugin.canary_stop", from, None, "canary stopped".to_string()))
                }
            }
        })
    }

    /// Runs `hash` in the shadow of the serving version, or stops the shadow when `None`.
    pub fn set_shadow(
        &self,
        system: &SystemDb,
        registry: &Registry,
        tenant: &str,
        name: &str,
        hash: Option<&str>,
        actor: &str,
    ) -> Result<Arc<Deployment>, DeployError> {
        let hash = match hash {
            Some(hash) => Some(registry.find_version(system, tenant, name, hash)?),
            None => None,
        };
        let deployment = self.change(system, registry, (tenant, name, actor), |row| {
            let from = row.shadow_hash.take();
            row.shadow_hash = hash.clone();
            Ok(match &hash {
                Some(h) => ("plugin.shadow", from, Some(h.clone()), format!("shadow run of {} started", short(h))),
                None => ("plugin.shadow_stop", from, None, "shadow run stopped".to_string()),
            })
        })?;
        if let (Some(shadow), Some(active)) = (&deployment.shadow, serving_plugin(registry, &deployment)) {
            self.shadows.start(
                tenant,
                name,
                ShadowReport::new((&shadow.hash, &shadow.info.version), (&active.hash, &active.info.version)),
            );
        }
        Ok(deployment)
    }

    pub fn set_policy(
        &self,
        system: &SystemDb,
        registry: &Registry,
        tenant: &str,
        name: &str,
        policy: FailurePolicy,
        actor: &str,
    ) -> Result<Arc<Deployment>, DeployError> {
        self.change(system, registry, (tenant, name, actor), |row| {
            row.on_failure = policy;
            Ok(("plugin.policy", None, None, format!("on failure: {policy:?}").to_lowercase()))
        })
    }

    /// Applies `edit` to the stored deployment, resolves the versions it names, stores it
    /// with its audit entry and swaps it in.
    fn change(
        &self,
        system: &SystemDb,
        registry: &Registry,
        (tenant, name, actor): (&str, &str, &str),
        edit: impl FnOnce(&mut DeploymentRow) -> Result<(&'static str, Option<String>, Option<String>, String), DeployError>,
    ) -> Result<Arc<Deployment>, DeployError> {
        let _changing = self.changing.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.get(tenant, name);
        // The plugin's kind, from the standard plugin of this name or the tenant's versions.
        let kind = match registry.standard(name) {
            Some(standard) => Some(crate::runtime::kind_name(standard.kind()).to_string()),
            None => system.plugin_versions(tenant, name).map_err(RegistryError::from)?.first().map(|v| v.kind.clone()),
        };
        let Some(kind) = kind.or_else(|| current.as_ref().map(|d| d.row.kind.clone())) else {
            return Err(DeployError::UnknownPlugin { tenant: tenant.to_string(), name: name.to_string() });
        };
        let mut row = current.map(|d| d.row.clone()).unwrap_or_else(|| DeploymentRow::new(tenant, name, &kind));
        row.kind = kind;
        let (action, from, to, detail) = edit(&mut row)?;
        row.updated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let deployment = resolve(registry, row)?;
        let change = Change {
            actor,
            action,
            from_hash: from.as_deref(),
            to_hash: to.as_deref(),
            detail: format!("`{name}`: {detail}"),
        };
        system.save_deployment(&deployment.row, &change).map_err(RegistryError::from)?;
        crate::telemetry::deployment_changed(tenant, name, action);
        let deployment = Arc::new(deployment);
        self.current
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((tenant.to_string(), name.to_string()), deployment.clone());
        Ok(deployment)
    }
}

/// Loads the versions a deployment row names.
fn resolve(registry: &Registry, row: DeploymentRow) -> Result<Deployment, DeployError> {
    let load = |hash: &Option<String>| -> Result<Option<Arc<Plugin>>, DeployError> {
        hash.as_deref().map(|h| registry.version(&row.tenant_id, h)).transpose().map_err(DeployError::from)
    };
    Ok(Deployment {
        active: load(&row.active_hash)?,
        previous: load(&row.previous_hash)?,
        canary: load(&row.canary_hash)?,
        shadow: load(&row.shadow_hash)?,
        row,
    })
}

/// The version that serves calls outside any canary.
fn serving_plugin(registry: &Registry, deployment: &Deployment) -> Option<Arc<Plugin>> {
    deployment.active.clone().or_else(|| registry.standard(&deployment.row.name))
}

/// The first twelve characters of a hash, for messages.
pub fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
