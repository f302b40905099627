//! Standard metric: average handle time.

use cxhost_plugin_sdk::prelude::*;

struct Aht;

impl Metric for Aht {
    fn describe() -> PluginInfo {
        info(
            "aht",
            "1.0.0",
            "Average handle time in seconds = (talk + hold + wrap) / handled contacts. \
             Counts contacts with outcome `handled` offered in the range; abandoned and \
             self-service contacts are excluded.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let g = grouping(Source::Interactions, req)?;
        let sql = format!(
            "SELECT {key} AS grp, sum(i.talk_seconds + i.hold_seconds + i.wrap_seconds) AS num, count(*) AS den \
             FROM {from} WHERE i.outcome = 'handled' AND {time} GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        ratio_result("seconds", &sql, req)
    }
}

export_metric!(Aht);
