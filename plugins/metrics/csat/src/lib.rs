//! Standard metric: customer satisfaction, top-two box.

use cxhost_plugin_sdk::prelude::*;

struct Csat;

impl metric::Guest for Csat {
    fn describe() -> PluginInfo {
        info(
            "csat",
            "1.0.0",
            "Customer satisfaction as a ratio (0..1), top-two box = answers of 4 or 5 / all \
             answers, on the 1–5 `csat` scale of `customer_feedback` rows that responded in the \
             range. Rows without a csat answer are not counted; a group without any csat answer \
             has no row. Grouped by agent, team or site through the feedback's `agent_id` (no \
             agent: group `(none)`); by queue or channel through its interaction; by period \
             through `responded_at`.",
            vec![],
        )
    }

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let g = grouping(Source::Feedback, req.group_by)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE f.csat >= 4) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE f.csat IS NOT NULL AND {time} GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        ratio_result("ratio", &sql, &req)
    }
}

export_metric!(Csat);
