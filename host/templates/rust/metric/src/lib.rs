//! {{name}}: handled contacts per group, a metric plugin (the `metric` world of
//! wit/cxhost.wit). The counting happens in SQL, through `host.query`; the plugin shapes rows.

wit_bindgen::generate!({ path: "wit", world: "metric" });

mod common;

use cxhost::plugin::metric_types::{GroupBy, MetricRow};
use cxhost::plugin::types::{PluginKind, SqlValue};

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: "0.1.0".to_string(),
            kind: PluginKind::Metric,
            description: "Handled contacts: interactions with outcome `handled` offered in the range, \
                          counted per group. Days and weeks (from Monday) are named by their first day, `YYYY-MM-DD`; months `YYYY-MM`."
                .to_string(),
            params: vec![],
        }
    }

    fn compute(request: MetricRequest) -> Result<MetricResult, String> {
        let period = |unit: &str, format: &str| format!("strftime(date_trunc('{unit}', i.offered_at), '{format}')");
        let (key, join) = match request.group_by {
            GroupBy::Agent => ("i.agent_id".to_string(), ""),
            GroupBy::Team => ("a.team".to_string(), " LEFT JOIN agents a ON a.agent_id = i.agent_id"),
            GroupBy::Site => ("a.site".to_string(), " LEFT JOIN agents a ON a.agent_id = i.agent_id"),
            GroupBy::Queue => ("i.queue".to_string(), ""),
            GroupBy::Channel => ("i.channel".to_string(), ""),
            GroupBy::Day => (period("day", "%Y-%m-%d"), ""),
            GroupBy::Week => (period("week", "%Y-%m-%d"), ""),
            GroupBy::Month => (period("month", "%Y-%m"), ""),
            GroupBy::Total => ("'total'".to_string(), ""),
        };
        let sql = format!(
            "SELECT CAST({key} AS VARCHAR) AS grp, count(*) AS handled FROM interactions i{join} \
             WHERE i.outcome = 'handled' AND i.offered_at >= ? AND i.offered_at < ? GROUP BY 1 ORDER BY 1"
        );
        let range = [SqlValue::Timestamp(request.period_start), SqlValue::Timestamp(request.period_end)];
        let batch = common::query(&sql, &range)?;
        let groups = common::texts(&batch, "grp")?;
        let handled = common::integers(&batch, "handled")?;
        let rows = groups
            .into_iter()
            .zip(handled)
            .map(|(group, n)| MetricRow { group, value: Some(n as f64), numerator: None, denominator: None })
            .collect();
        Ok(MetricResult { unit: "contacts".to_string(), rows })
    }
}

export!(Plugin);
