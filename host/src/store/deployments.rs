//! Plugin versions and deployments in the system database: every uploaded version (immutable,
//! keyed by content hash), what each tenant runs per plugin name (active, previous, canary,
//! shadow, failure policy), and the audit trail of every change to them.

use duckdb::{Connection, OptionalExt, Row, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::system::{SystemDb, SystemError, audit_plugin};

/// One uploaded plugin version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginVersionRow {
    pub tenant_id: String,
    pub name: String,
    /// SHA-256 of the component bytes, hex.
    pub hash: String,
    pub kind: String,
    pub version: String,
    pub size_bytes: u64,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// The plugin's `describe()` answer as JSON.
    #[schema(value_type = Object)]
    pub info: serde_json::Value,
}

/// What happens when the serving version of a plugin fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Return the error.
    #[default]
    Error,
    /// Answer with the previous version and say so in the response.
    Fallback,
}

impl FailurePolicy {
    fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::Error => "error",
            FailurePolicy::Fallback => "fallback",
        }
    }
}

/// What one tenant runs for one plugin name. `active_hash` is `None` when the standard
/// plugin of that name serves.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeploymentRow {
    pub tenant_id: String,
    pub name: String,
    pub kind: String,
    pub active_hash: Option<String>,
    pub previous_hash: Option<String>,
    pub canary_hash: Option<String>,
    /// Share of calls the canary takes, 0–100.
    pub canary_percent: f64,
    pub shadow_hash: Option<String>,
    pub on_failure: FailurePolicy,
    pub updated_at: String,
}

impl DeploymentRow {
    pub fn new(tenant_id: &str, name: &str, kind: &str) -> Self {
        DeploymentRow {
            tenant_id: tenant_id.to_string(),
            name: name.to_string(),
            kind: kind.to_string(),
            active_hash: None,
            previous_hash: None,
            canary_hash: None,
            canary_percent: 0.0,
            shadow_hash: None,
            on_failure: FailurePolicy::Error,
            updated_at: String::new(),
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub tenant_id: Option<String>,
    pub plugin: Option<String>,
    pub from_hash: Option<String>,
    pub to_hash: Option<String>,
    pub detail: String,
}

/// A change to a deployment, for the audit log.
pub struct Change<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub from_hash: Option<&'a str>,
    pub to_hash: Option<&'a str>,
    pub detail: String,
}

const VERSION_COLUMNS: &str = "tenant_id, name, hash, kind, version, size_bytes, uploaded_by,
    strftime(uploaded_at, '%Y-%m-%dT%H:%M:%SZ'), info_json";

fn version_row(r: &Row) -> duckdb::Result<PluginVersionRow> {
    let info: String = r.get(8)?;
    Ok(PluginVersionRow {
        tenant_id: r.get(0)?,
        name: r.get(1)?,
        hash: r.get(2)?,
        kind: r.get(3)?,
        version: r.get(4)?,
        size_bytes: r.get(5)?,
        uploaded_by: r.get(6)?,
        uploaded_at: r.get(7)?,
        info: serde_json::from_str(&info).unwrap_or(serde_json::Value::Null),
    })
}

const DEPLOYMENT_COLUMNS: &str = "tenant_id, name, kind, active_hash, previous_hash, canary_hash, canary_percent,
    shadow_hash, on_failure, strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ')";

fn deployment_row(r: &Row) -> duckdb::Result<DeploymentRow> {
    let policy: String = r.get(8)?;
    Ok(DeploymentRow {
        tenant_id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        active_hash: r.get(3)?,
        previous_hash: r.get(4)?,
        canary_hash: r.get(5)?,
        canary_percent: r.get(6)?,
        shadow_hash: r.get(7)?,
        on_failure: if policy == "fallback" { FailurePolicy::Fallback } else { FailurePolicy::Error },
        updated_at: r.get(9)?,
    })
}

impl SystemDb {
    /// Records an uploaded version; returns whether it was new (the same bytes are one version).
    pub fn record_version(&self, row: &PluginVersionRow) -> Result<bool, SystemError> {
        self.with(|c| {
            let inserted = c.execute(
                "INSERT INTO plugin_versions (tenant_id, name, hash, kind, version, size_bytes, uploaded_by, info_json)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                params![
                    row.tenant_id,
                    row.name,
                    row.hash,
                    row.kind,
                    row.version,
                    row.size_bytes,
                    row.uploaded_by,
                    row.info.to_string()
                ],
            )?;
            if inserted > 0 {
                let detail = format!("uploaded {} `{}` {} ({} bytes)", row.kind, row.name, row.version, row.size_bytes);
                audit_change(
                    c,
                    &row.tenant_id,
                    &row.name,
                    &Change {
                        actor: &row.uploaded_by,
                        action: "plugin.upload",
                        from_hash: None,
                        to_hash: Some(&row.hash),
                        detail,
                    },
                )?;
            }
            Ok(inserted > 0)
        })
    }

    pub fn plugin_version(&self, tenant: &str, hash: &str) -> Result<Option<PluginVersionRow>, SystemError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE tenant_id = ? AND hash = ?"),
                [tenant, hash],
                version_row,
            )
            .optional()
            .map_err(SystemError::from)
        })
    }

    /// Every version of a tenant's plugin, newest first.
    pub fn plugin_versions(&self, tenant: &str, name: &str) -> Result<Vec<PluginVersionRow>, SystemError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE tenant_id = ? AND name = ?
                 ORDER BY uploaded_at DESC, hash"
            ))?;
            let rows = stmt.query_map([tenant, name], version_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    pub fn deployment(&self, tenant: &str, name: &str) -> Result<Option<DeploymentRow>, SystemError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {DEPLOYMENT_COLUMNS} FROM plugin_deployments WHERE tenant_id = ? AND name = ?"),
                [tenant, name],
                deployment_row,
            )
            .optional()
            .map_err(SystemError::from)
        })
    }

    /// Every tenant's deployments, for loading at start.
    pub fn deployments(&self) -> Result<Vec<DeploymentRow>, SystemError> {
        self.with(|c| {
            let mut stmt =
                c.prepare(&format!("SELECT {DEPLOYMENT_COLUMNS} FROM plugin_deployments ORDER BY tenant_id, name"))?;
            let rows = stmt.query_map([], deployment_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Stores a deployment and its audit entry in one transaction.
    pub fn save_deployment(&self, row: &DeploymentRow, change: &Change) -> Result<(), SystemError> {
        self.with(|c| {
            c.execute_batch("BEGIN TRANSACTION")?;
            let result = (|| {
                let values = params![
                    row.kind,
                    row.active_hash,
                    row.previous_hash,
                    row.canary_hash,
                    row.canary_percent,
                    row.shadow_hash,
                    row.on_failure.as_str(),
                    row.tenant_id,
                    row.name
                ];
                let updated = c
                    .prepare_cached(
                        "UPDATE plugin_deployments SET kind = ?, active_hash = ?, previous_hash = ?, canary_hash = ?,
                             canary_percent = ?, shadow_hash = ?, on_failure = ?, updated_at = current_timestamp
                         WHERE tenant_id = ? AND name = ?",
                    )?
                    .execute(values)?;
                if updated == 0 {
                    c.prepare_cached(
                        "INSERT INTO plugin_deployments (kind, active_hash, previous_hash, canary_hash, canary_percent,
                             shadow_hash, on_failure, tenant_id, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )?
                    .execute(values)?;
                }
                audit_change(c, &row.tenant_id, &row.name, change)
            })();
            match result {
                Ok(()) => c.execute_batch("COMMIT").map_err(SystemError::from),
                Err(e) => {
                    let _ = c.execute_batch("ROLLBACK");
                    Err(e)
                }
            }
        })
    }

    /// The tenant's audit log, newest first, optionally for one plugin.
    pub fn audit_log(&self, tenant: &str, plugin: Option<&str>, limit: u32) -> Result<Vec<AuditEntry>, SystemError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT strftime(happened_at, '%Y-%m-%dT%H:%M:%S.%fZ'), actor, action, tenant_id, plugin, from_hash,
                        to_hash, detail
                 FROM audit_log WHERE tenant_id = ? AND (? IS NULL OR plugin = ?)
                 ORDER BY happened_at DESC, rowid DESC LIMIT ?",
            )?;
            let rows = stmt
                .query_map(params![tenant, plugin, plugin, limit], |r| {
                    Ok(AuditEntry {
                        at: r.get(0)?,
                        actor: r.get(1)?,
                        action: r.get(2)?,
                        tenant_id: r.get(3)?,
                        plugin: r.get(4)?,
                        from_hash: r.get(5)?,
                        to_hash: r.get(6)?,
                        detail: r.get(7)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

fn audit_change(c: &Connection, tenant: &str, plugin: &str, change: &Change) -> Result<(), SystemError> {
    audit_plugin(
        c,
        change.actor,
        change.action,
        Some(tenant),
        &change.detail,
        [Some(plugin), change.from_hash, change.to_hash],
    )
}
