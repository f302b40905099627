//! API keys and roles: keys are random tokens stored only as SHA-256 hashes; each carries a
//! role and (except for operators) the one tenant it may act on.

use std::collections::HashMap;
use std::sync::RwLock;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::store::system::StoredKey;
use crate::store::{SystemDb, SystemError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the platform: creates tenants, issues keys, acts on every tenant.
    Operator,
    /// Manages one tenant: plugins, keys, ingest and queries.
    TenantAdmin,
    /// Reads one tenant's metrics and plugin list.
    Analyst,
    /// Loads data into one tenant.
    Ingest,
    /// Leads agents of one tenant: reads its figures and moves its coaching tasks on (open →
    /// scheduled → in progress → done, or dismissed). Scoped to the whole tenant until people's
    /// accounts scope team leads to their teams.
    TeamLead,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::TenantAdmin => "tenant_admin",
            Role::Analyst => "analyst",
            Role::Ingest => "ingest",
            Role::TeamLead => "team_lead",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        [Role::Operator, Role::TenantAdmin, Role::Analyst, Role::Ingest, Role::TeamLead]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// What a request wants to do, for the role check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ManageTenants,
    ManageKeys,
    ManagePlugins,
    Ingest,
    Query,
    /// Move coaching tasks and alerts on, and record coaching sessions.
    Coach,
    /// Ask for a routing decision for a new contact (the contact platform's ingest key).
    Route,
}

impl Action {
    /// What the action is, in words for an error message.
    pub fn describe(self) -> &'static str {
        match self {
            Action::ManageTenants => "manage tenants",
            Action::ManageKeys => "manage keys",
            Action::ManagePlugins => "manage plugins",
            Action::Ingest => "ingest",
            Action::Query => "query",
            Action::Coach => "act on coaching tasks",
            Action::Route => "route contacts",
        }
    }

    pub fn allowed_for(self, role: Role) -> bool {
        match role {
            Role::Operator => true,
            Role::TenantAdmin => self != Action::ManageTenants,
            Role::Analyst => self == Action::Query,
            Role::Ingest => matches!(self, Action::Ingest | Action::Route),
            Role::TeamLead => matches!(self, Action::Query | Action::Coach),
        }
    }
}

/// Why a principal may not act, or on what.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("{} {role} key{of} may not {action} {on}", article(role))]
    Forbidden { role: &'static str, of: String, action: &'static str, on: String },
    #[error("no tenant `{0}`")]
    UnknownTenant(String),
    #[error("cannot read the tenants: {0}")]
    System(#[from] SystemError),
}

/// "a" or "an", as the role's name begins.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Principal {
    pub role: Role,
    pub tenant: Option<String>,
    pub name: String,
}

impl Principal {
    /// Whether this principal may do `action` on `tenant` (`None`: platform-wide).
    pub fn may(&self, action: Action, tenant: Option<&str>) -> bool {
        action.allowed_for(self.role)
            && (self.role == Role::Operator || (tenant.is_some() && self.tenant.as_deref() == tenant))
    }

    /// Checks this principal may do `action` on `tenant` (`None`: platform-wide).
    pub fn require(&self, action: Action, tenant: Option<&str>) -> Result<(), AccessError> {
        if self.may(action, tenant) {
            return Ok(());
        }
        Err(AccessError::Forbidden {
            role: self.role.as_str(),
            of: self.tenant.as_deref().map(|t| format!(" of tenant `{t}`")).unwrap_or_default(),
            action: action.describe(),
            on: tenant.map_or_else(|| "on the platform".to_string(), |t| format!("on tenant `{t}`")),
        })
    }

    /// Audit-log name: role and key name.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.name)
    }
}

/// In-memory index of key hashes, backed by the system database.
pub struct KeyRing {
    keys: RwLock<HashMap<String, Principal>>,
}

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A fresh key: `cxk_` and 40 hex digits (160 random bits).
pub fn new_key() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    format!("cxk_{}", hex::encode(bytes))
}

impl KeyRing {
    pub fn load(system: &SystemDb) -> Result<KeyRing, SystemError> {
        let keys = system
            .keys()?
            .into_iter()
            .filter_map(|k| {
                let role = Role::parse(&k.role)?;
                Some((k.key_hash, Principal { role, tenant: k.tenant_id, name: k.name }))
            })
            .collect();
        Ok(KeyRing { keys: RwLock::new(keys) })
    }

    pub fn authenticate(&self, key: &str) -> Option<Principal> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).get(&hash_key(key)).cloned()
    }

    pub fn has_operator(&self) -> bool {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).values().any(|p| p.role == Role::Operator)
    }

    /// Stores `key` (hashed) with its role; returns the principal it now stands for.
    pub fn add(
        &self,
        system: &SystemDb,
        key: &str,
        role: Role,
        tenant: Option<&str>,
        name: &str,
        actor: &str,
    ) -> Result<Principal, SystemError> {
        let key_hash = hash_key(key);
        if let Some(existing) = self.keys.read().unwrap_or_else(|e| e.into_inner()).get(&key_hash) {
            return Ok(existing.clone());
        }
        let stored = StoredKey {
            key_hash: key_hash.clone(),
            prefix: key.chars().take(8).collect(),
            tenant_id: tenant.map(str::to_string),
            role: role.as_str().to_string(),
            name: name.to_string(),
        };
        system.insert_key(&stored, actor)?;
        let principal = Principal { role, tenant: tenant.map(str::to_string), name: name.to_string() };
        self.keys.write().unwrap_or_else(|e| e.into_inner()).insert(key_hash, principal.clone());
        Ok(principal)
    }
}
