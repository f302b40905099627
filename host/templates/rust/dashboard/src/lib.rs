//! {{name}}: one KPI panel, the handled contacts of the range — a dashboard plugin (the
//! `dashboard` world of wit/cxhost.wit). A panel's data is JSON whose shape its kind fixes.

wit_bindgen::generate!({ path: "wit", world: "dashboard" });

mod common;

use cxhost::plugin::dashboard_types::PanelKind;
use cxhost::plugin::types::{PluginKind, SqlValue};

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: "0.1.0".to_string(),
            kind: PluginKind::Dashboard,
            description: "One KPI panel: the contacts handled in the range.".to_string(),
            params: vec![],
        }
    }

    fn render(request: DashboardRequest) -> Result<Vec<Panel>, String> {
        let sql = "SELECT count(*) AS handled FROM interactions \
                   WHERE outcome = 'handled' AND offered_at >= ? AND offered_at < ?";
        let range = [SqlValue::Timestamp(request.period_start), SqlValue::Timestamp(request.period_end)];
        let handled = common::integers(&common::query(sql, &range)?, "handled")?;
        let value = handled.first().copied().unwrap_or(0);
        Ok(vec![Panel {
            title: "Handled contacts".to_string(),
            kind: PanelKind::Kpi,
            data_json: format!(r#"{{"value": {value}, "unit": "contacts", "note": "handled in the range"}}"#),
        }])
    }
}

export!(Plugin);
