//! Server configuration: where data lives, where to listen, and the default plugin limits.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Limits applied to every plugin call; each tenant may override them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    /// Wall-clock deadline of one call, SQL included, in milliseconds.
    pub deadline_ms: u64,
    /// Linear memory a plugin instance may grow to, in bytes.
    pub memory_bytes: u64,
    /// Rows a call may read through `host.query`, summed over its queries.
    pub max_rows_read: u64,
    /// Size of the result a call may return, in bytes (estimated as serialized).
    pub max_result_bytes: u64,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            deadline_ms: 5_000,
            memory_bytes: 64 << 20,
            max_rows_read: 5_000_000,
            max_result_bytes: 16 << 20,
        }
    }
}

/// The largest memory cap any tenant may be given; the pooling allocator reserves slots of
/// this size.
pub const MAX_PLUGIN_MEMORY_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `system.duckdb`, `tenants/<id>/data.duckdb`, plugin blobs and compiled code.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub default_limits: PluginLimits,
    /// Largest request body accepted (ingest batches, plugin uploads), in bytes.
    pub max_body_bytes: usize,
    /// Bootstrap operator key; when unset one is generated at first start and printed.
    pub operator_key: Option<String>,
    /// Compiled plugin code, keyed by content hash and engine; shareable between servers.
    pub compiled_dir: PathBuf,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        Config {
            compiled_dir: data_dir.join("compiled"),
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            default_limits: PluginLimits::default(),
            max_body_bytes: 2 << 30,
            operator_key: None,
        }
    }

    pub fn system_db_path(&self) -> PathBuf {
        self.data_dir.join("system.duckdb")
    }

    pub fn tenants_dir(&self) -> PathBuf {
        self.data_dir.join("tenants")
    }

    pub fn plugin_blobs_dir(&self) -> PathBuf {
        self.data_dir.join("plugins")
    }
}
