//! Pipeline settings in the system database: per tenant, how text is enriched on ingest and
//! how new contacts are routed (which plugin, its parameters, the fallback decision, the
//! decision log's sampling), stored as JSON documents that the services type, every change
//! audited.

use duckdb::OptionalExt;
use duckdb::params;

use super::system::{SystemDb, SystemError, audit};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pipeline_settings (
    tenant_id VARCHAR NOT NULL, pipeline VARCHAR NOT NULL, settings_json VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL, updated_by VARCHAR NOT NULL, PRIMARY KEY (tenant_id, pipeline));
";

/// The pipelines a tenant configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pipeline {
    Enrichment,
    Routing,
}

impl Pipeline {
    pub fn as_str(self) -> &'static str {
        match self {
            Pipeline::Enrichment => "enrichment",
            Pipeline::Routing => "routing",
        }
    }
}

impl SystemDb {
    pub(super) fn create_pipeline_settings(conn: &duckdb::Connection) -> Result<(), SystemError> {
        conn.execute_batch(SCHEMA)?;
        Ok(())
    }

    /// The tenant's settings of `pipeline` as stored, if it set any.
    pub fn pipeline_settings(&self, tenant: &str, pipeline: Pipeline) -> Result<Option<String>, SystemError> {
        self.with(|c| {
            c.query_row(
                "SELECT settings_json FROM pipeline_settings WHERE tenant_id = ? AND pipeline = ?",
                params![tenant, pipeline.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(SystemError::from)
        })
    }

    /// Replaces the tenant's settings of `pipeline`, with an audit entry saying `detail`.
    pub fn set_pipeline_settings(
        &self,
        tenant: &str,
        pipeline: Pipeline,
        json: &str,
        (actor, detail): (&str, &str),
    ) -> Result<(), SystemError> {
        self.with(|c| {
            c.execute_batch("BEGIN TRANSACTION")?;
            let result = (|| {
                c.execute(
                    "DELETE FROM pipeline_settings WHERE tenant_id = ? AND pipeline = ?",
                    params![tenant, pipeline.as_str()],
                )?;
                c.execute(
                    "INSERT INTO pipeline_settings VALUES (?, ?, ?, now()::TIMESTAMP, ?)",
                    params![tenant, pipeline.as_str(), json, actor],
                )?;
                audit(c, actor, &format!("tenant.{}", pipeline.as_str()), Some(tenant), detail)
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
}
