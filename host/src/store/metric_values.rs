//! Metric values in the system database: what a unit of a tenant's metric is worth to it, in
//! cents per unit of the records (a second of handle time, a contact resolved) or per point of
//! the figure, which quartile uplifts are priced at; every change audited.

use chrono::{DateTime, Utc};
use duckdb::types::{TimeUnit, Value};
use duckdb::{OptionalExt, Row, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::system::{SystemDb, SystemError, audit_plugin};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS metric_values (
    tenant_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, cents_per_unit BIGINT NOT NULL, per VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL, updated_by VARCHAR NOT NULL, PRIMARY KEY (tenant_id, metric));
";

/// What a metric value's cents are paid per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Per unit of the records: the metric's unit times its denominator, e.g. a second of
    /// handle time over all contacts, or one more contact in the numerator of a ratio.
    Record,
    /// Per point of the figure: 0.01 of a metric whose unit is `ratio`, 1 of any other unit.
    Point,
}

impl Per {
    pub fn as_str(self) -> &'static str {
        match self {
            Per::Record => "record",
            Per::Point => "point",
        }
    }

    fn parse(text: &str) -> Per {
        if text == "point" { Per::Point } else { Per::Record }
    }
}

/// A tenant's value of one unit of a metric, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MetricValue {
    /// The metric's name.
    pub metric: String,
    /// Cents per unit (`per`), a whole number of at least 0.
    pub cents_per_unit: i64,
    pub per: Per,
    /// When it was last set (RFC 3339).
    pub updated_at: String,
    /// Who set it.
    pub updated_by: String,
}

const COLUMNS: &str = "metric, cents_per_unit, per, strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%fZ'), updated_by";

fn value_row(r: &Row) -> duckdb::Result<MetricValue> {
    Ok(MetricValue {
        metric: r.get(0)?,
        cents_per_unit: r.get(1)?,
        per: Per::parse(&r.get::<_, String>(2)?),
        updated_at: r.get(3)?,
        updated_by: r.get(4)?,
    })
}

impl SystemDb {
    pub(super) fn create_metric_values(conn: &duckdb::Connection) -> Result<(), SystemError> {
        conn.execute_batch(SCHEMA)?;
        Ok(())
    }

    /// Sets what a unit of `metric` is worth to `tenant` (replacing any value), with its audit
    /// entry.
    pub fn set_metric_value(
        &self,
        tenant: &str,
        metric: &str,
        (cents_per_unit, per): (i64, Per),
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<MetricValue, SystemError> {
        self.with(|c| {
            c.execute_batch("BEGIN TRANSACTION")?;
            let result = (|| {
                c.execute("DELETE FROM metric_values WHERE tenant_id = ? AND metric = ?", params![tenant, metric])?;
                c.execute(
                    "INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?)",
                    params![
                        tenant,
                        metric,
                        cents_per_unit,
                        per.as_str(),
                        Value::Timestamp(TimeUnit::Microsecond, now.timestamp_micros()),
                        actor
                    ],
                )?;
                let detail = format!("`{metric}` valued at {cents_per_unit} cents per {}", per.as_str());
                audit_plugin(c, actor, "tenant.metric_value", Some(tenant), &detail, [Some(metric), None, None])
            })();
            match result {
                Ok(()) => c.execute_batch("COMMIT").map_err(SystemError::from),
                Err(e) => {
                    let _ = c.execute_batch("ROLLBACK");
                    Err(e)
                }
            }
        })?;
        Ok(self.metric_value(tenant, metric)?.expect("just stored"))
    }

    /// What a unit of `metric` is worth to `tenant`, if it said.
    pub fn metric_value(&self, tenant: &str, metric: &str) -> Result<Option<MetricValue>, SystemError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM metric_values WHERE tenant_id = ? AND metric = ?"),
                params![tenant, metric],
                value_row,
            )
            .optional()
            .map_err(SystemError::from)
        })
    }

    /// Every metric value `tenant` set, by metric.
    pub fn metric_values(&self, tenant: &str) -> Result<Vec<MetricValue>, SystemError> {
        self.with(|c| {
            let mut stmt =
                c.prepare(&format!("SELECT {COLUMNS} FROM metric_values WHERE tenant_id = ? ORDER BY metric"))?;
            let rows = stmt.query_map([tenant], value_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}
