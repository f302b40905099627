//! Standard metric: customer satisfaction, top-two box.

use cxhost_plugin_sdk::prelude::*;

struct Csat;

impl Metric for Csat {
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

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        count_ratio(Source::Feedback, req, ("count(*) FILTER (WHERE f.csat >= 4)", "f.csat IS NOT NULL"), "ratio")
    }
}

export_metric!(Csat);
