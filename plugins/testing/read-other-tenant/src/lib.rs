//! Test plugin: tries every way it knows to read another tenant's data or write its own.
//! The parameter `attempt` picks the SQL; the host must refuse each one.

use cxhost_plugin_sdk::prelude::*;

struct ReadOtherTenant;

impl metric::Guest for ReadOtherTenant {
    fn describe() -> PluginInfo {
        info(
            "read_other_tenant",
            "0.0.1",
            "Runs the SQL given in `sql` and reports its row count; used to test tenant isolation.",
            vec![param_text("sql", "SELECT 1 AS x", "SQL to run")],
        )
    }

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let sql = req.params.text("sql")?;
        let table = query(sql, &[])?;
        Ok(MetricResult {
            unit: "rows".to_string(),
            rows: vec![MetricRow {
                group: "total".to_string(),
                value: Some(table.row_count() as f64),
                numerator: None,
                denominator: None,
            }],
        })
    }
}

export_metric_single!(ReadOtherTenant);
