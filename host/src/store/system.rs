//! The system database: tenants, API keys (hashed), plugin versions, active versions, rule
//! schedules and the audit log. Low-traffic, so one connection behind a mutex serves it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use duckdb::{Connection, OptionalExt, params};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::PluginLimits;

#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error("system database: {0}")]
    Db(#[from] duckdb::Error),
    #[error("tenant `{0}` already exists")]
    TenantExists(String),
    #[error("stored limits of tenant `{tenant}` are unreadable: {source}")]
    Limits { tenant: String, source: serde_json::Error },
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: String,
    /// Plugin limits in force for this tenant (server defaults unless overridden).
    pub limits: Option<PluginLimits>,
    /// Employee figures from fewer respondents than this are never shown (default 5).
    pub min_group_size: u32,
}

/// The privacy floor of a tenant that has not set one.
pub const DEFAULT_MIN_GROUP_SIZE: u32 = 5;

#[derive(Debug, Clone)]
pub struct StoredKey {
    pub key_hash: String,
    pub prefix: String,
    pub tenant_id: Option<String>,
    pub role: String,
    pub name: String,
}

pub struct SystemDb {
    conn: Mutex<Connection>,
    /// Every tenant, kept in memory: each request looks its tenant up.
    tenant_cache: RwLock<HashMap<String, Tenant>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tenants (
    id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    limits_json VARCHAR);
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS min_group_size UINTEGER;
CREATE TABLE IF NOT EXISTS topic_taxonomies (tenant_id VARCHAR PRIMARY KEY, taxonomy_json VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash VARCHAR PRIMARY KEY, prefix VARCHAR NOT NULL, tenant_id VARCHAR, role VARCHAR NOT NULL,
    name VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS plugin_versions (
    tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, hash VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    version VARCHAR NOT NULL, size_bytes UBIGINT NOT NULL, uploaded_by VARCHAR NOT NULL,
    uploaded_at TIMESTAMP NOT NULL DEFAULT current_timestamp, info_json VARCHAR NOT NULL,
    PRIMARY KEY (tenant_id, hash));
CREATE TABLE IF NOT EXISTS plugin_deployments (
    tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    active_hash VARCHAR, previous_hash VARCHAR, canary_hash VARCHAR, canary_percent DOUBLE NOT NULL DEFAULT 0,
    shadow_hash VARCHAR, on_failure VARCHAR NOT NULL DEFAULT 'error',
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp, PRIMARY KEY (tenant_id, name));
CREATE TABLE IF NOT EXISTS audit_log (
    happened_at TIMESTAMP NOT NULL DEFAULT current_timestamp, actor VARCHAR NOT NULL, action VARCHAR NOT NULL,
    tenant_id VARCHAR, detail VARCHAR NOT NULL, plugin VARCHAR, from_hash VARCHAR, to_hash VARCHAR);
";

impl SystemDb {
    pub fn open(path: &Path) -> Result<SystemDb, SystemError> {
        let conn = Connection::open(path)?;
        // Small, single-row statements: run them on the calling thread, without worker threads
        // competing with tenant queries for the cores.
        conn.execute_batch("SET threads = 1; SET memory_limit = '512MB'")?;
        conn.execute_batch(SCHEMA)?;
        SystemDb::create_schedules(&conn)?;
        SystemDb::create_metric_values(&conn)?;
        SystemDb::create_pipeline_settings(&conn)?;
        let db = SystemDb { conn: Mutex::new(conn), tenant_cache: RwLock::new(HashMap::new()) };
        db.refresh_tenants()?;
        Ok(db)
    }

    /// Reloads the in-memory tenant list from the database.
    fn refresh_tenants(&self) -> Result<(), SystemError> {
        let tenants = self.load_tenants()?;
        *self.tenant_cache.write().unwrap_or_else(|e| e.into_inner()) =
            tenants.into_iter().map(|t| (t.id.clone(), t)).collect();
        Ok(())
    }

    pub(super) fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T, SystemError>) -> Result<T, SystemError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }

    pub fn create_tenant(&self, id: &str, name: &str, actor: &str) -> Result<Tenant, SystemError> {
        self.with(|c| {
            let exists: bool = c.query_row("SELECT count(*) > 0 FROM tenants WHERE id = ?", [id], |r| r.get(0))?;
            if exists {
                return Err(SystemError::TenantExists(id.to_string()));
            }
            c.execute("INSERT INTO tenants (id, name) VALUES (?, ?)", [id, name])?;
            audit(c, actor, "tenant.create", Some(id), &format!("created tenant `{id}` ({name})"))?;
            Ok(())
        })?;
        self.refresh_tenants()?;
        self.tenant(id).map(|t| t.expect("just inserted"))
    }

    pub fn tenant(&self, id: &str) -> Result<Option<Tenant>, SystemError> {
        Ok(self.tenant_cache.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned())
    }

    pub fn tenants(&self) -> Result<Vec<Tenant>, SystemError> {
        let mut tenants: Vec<Tenant> =
            self.tenant_cache.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        tenants.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(tenants)
    }

    fn load_tenants(&self) -> Result<Vec<Tenant>, SystemError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, name, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'), limits_json, min_group_size
                 FROM tenants ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(to_tenant).collect()
        })
    }

    pub fn set_limits(&self, id: &str, limits: &PluginLimits, actor: &str) -> Result<(), SystemError> {
        let json = serde_json::to_string(limits).expect("limits serialize");
        self.with(|c| {
            c.execute("UPDATE tenants SET limits_json = ? WHERE id = ?", [&json, id])?;
            audit(c, actor, "tenant.limits", Some(id), &json)
        })?;
        self.refresh_tenants()
    }

    pub fn set_min_group_size(&self, id: &str, size: u32, actor: &str) -> Result<(), SystemError> {
        self.with(|c| {
            c.execute("UPDATE tenants SET min_group_size = ? WHERE id = ?", duckdb::params![size, id])?;
            audit(c, actor, "tenant.privacy", Some(id), &format!("minimum group size for employee figures: {size}"))
        })?;
        self.refresh_tenants()
    }

    /// The tenant's comment-topic taxonomy as JSON, if it has one.
    pub fn taxonomy_json(&self, id: &str) -> Result<Option<String>, SystemError> {
        self.with(|c| {
            let json = c
                .query_row("SELECT taxonomy_json FROM topic_taxonomies WHERE tenant_id = ?", [id], |r| r.get(0))
                .optional()?;
            Ok(json)
        })
    }

    pub fn set_taxonomy_json(&self, id: &str, json: &str, actor: &str) -> Result<(), SystemError> {
        self.with(|c| {
            c.execute("DELETE FROM topic_taxonomies WHERE tenant_id = ?", [id])?;
            c.execute("INSERT INTO topic_taxonomies VALUES (?, ?)", [id, json])?;
            audit(c, actor, "tenant.topics", Some(id), "comment-topic taxonomy replaced")
        })
    }

    pub fn insert_key(&self, key: &StoredKey, actor: &str) -> Result<(), SystemError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO api_keys (key_hash, prefix, tenant_id, role, name) VALUES (?, ?, ?, ?, ?)",
                params![key.key_hash, key.prefix, key.tenant_id, key.role, key.name],
            )?;
            let detail = format!("issued {} key `{}` ({}…)", key.role, key.name, key.prefix);
            audit(c, actor, "key.create", key.tenant_id.as_deref(), &detail)
        })
    }

    pub fn keys(&self) -> Result<Vec<StoredKey>, SystemError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT key_hash, prefix, tenant_id, role, name FROM api_keys")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(StoredKey {
                        key_hash: r.get(0)?,
                        prefix: r.get(1)?,
                        tenant_id: r.get(2)?,
                        role: r.get(3)?,
                        name: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

type TenantRow = (String, String, String, Option<String>, Option<u32>);

fn to_tenant((id, name, created_at, limits, min_group_size): TenantRow) -> Result<Tenant, SystemError> {
    let limits = limits
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|source| SystemError::Limits { tenant: id.clone(), source })?;
    Ok(Tenant { id, name, created_at, limits, min_group_size: min_group_size.unwrap_or(DEFAULT_MIN_GROUP_SIZE) })
}

pub(super) fn audit(
    c: &Connection,
    actor: &str,
    action: &str,
    tenant: Option<&str>,
    detail: &str,
) -> Result<(), SystemError> {
    audit_plugin(c, actor, action, tenant, detail, [None, None, None])
}

/// An audit entry about a plugin: `[plugin, from_hash, to_hash]`.
pub(super) fn audit_plugin(
    c: &Connection,
    actor: &str,
    action: &str,
    tenant: Option<&str>,
    detail: &str,
    [plugin, from_hash, to_hash]: [Option<&str>; 3],
) -> Result<(), SystemError> {
    c.prepare_cached(
        "INSERT INTO audit_log (actor, action, tenant_id, detail, plugin, from_hash, to_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![actor, action, tenant, detail, plugin, from_hash, to_hash])?;
    Ok(())
}
