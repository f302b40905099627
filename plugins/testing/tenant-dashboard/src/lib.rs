//! Test plugin: a tenant's own `cx_ex` dashboard replacing the standard one. It counts
//! contacts offered in the range with the host's SQL, reads CSAT through the analytics interface, and
//! with `broken=true` returns a table whose row does not fit its columns (the host must
//! refuse it).

use cxhost_dashboard_sdk::param_bool;
use cxhost_dashboard_sdk::prelude::*;

struct TenantDashboard;

impl dashboard::Guest for TenantDashboard {
    fn describe() -> PluginInfo {
        info(
            "cx_ex",
            "2.0.0-tenant",
            "A tenant's own CX–EX dashboard: offered contacts and CSAT.",
            vec![param_bool("broken", false, "return an invalid table panel")],
        )
    }

    fn render(req: DashboardRequest) -> Result<Vec<Panel>, String> {
        if req.params.boolean("broken")? {
            return Ok(vec![panel::table("Broken", &["a", "b"], vec![vec![serde_json::json!("only one")]], None)]);
        }
        let offered = count_offered(&req)?;
        let csat = metric("csat", &req, GroupBy::Total, &[])?;
        Ok(vec![
            panel::kpi("Offered contacts", Some(offered as f64), "contacts", ""),
            panel::kpi("CSAT", csat.rows.first().and_then(|r| r.value), &csat.unit, ""),
        ])
    }
}

fn count_offered(req: &DashboardRequest) -> Result<i64, String> {
    use cxhost_dashboard_sdk::ColumnValues;
    let table =
        query("SELECT count(*) AS n FROM interactions WHERE offered_at >= ? AND offered_at < ?", &time_range(req))?;
    match table.batch().columns.first().map(|c| &c.values) {
        Some(ColumnValues::Integer(values)) => Ok(values.first().copied().unwrap_or(0)),
        _ => Err("count(*) did not come back as an integer".to_string()),
    }
}

export_dashboard!(TenantDashboard);
