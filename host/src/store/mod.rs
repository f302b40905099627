//! Storage: the system database, one DuckDB file per tenant, ingest and read-only plugin SQL.

pub mod actions;
pub mod awards;
pub mod contacts;
pub mod deployments;
pub mod enrichments;
pub mod export;
pub mod ingest;
pub mod metric_values;
pub mod overview;
pub mod pay;
pub mod pipeline_settings;
pub mod readonly;
pub mod route_decisions;
pub mod runs;
pub mod schedules;
pub mod schema;
pub mod system;
pub mod tenant;

pub use deployments::{AuditEntry, Change, DeploymentRow, FailurePolicy, PluginVersionRow};
pub use ingest::{
    EnrichmentQueued, Format, IngestError, IngestOptions, IngestReport, OnConflict, RowError, ValidationMode,
};
pub use readonly::ReadOnlyError;
pub use system::{SystemDb, SystemError};
pub use tenant::{TenantDb, TenantStore};

/// A tenant identifier: 1–40 lowercase letters, digits, `-` or `_`, starting with a letter.
/// Checked wherever one enters the system, since it becomes a directory name.
pub fn valid_tenant_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && id.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
