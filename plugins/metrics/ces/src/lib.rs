//! Standard metric: customer effort score.

use cxhost_plugin_sdk::prelude::*;

struct Ces;

impl Metric for Ces {
    fn describe() -> PluginInfo {
        info(
            "ces",
            "1.0.0",
            "Customer effort score = mean of the 1–7 `ces` answers (7 = easiest) of \
             `customer_feedback` rows that responded in the range: numerator = sum of answers, \
             denominator = answers. Rows without a ces answer are not counted; a group without \
             any has no row. Grouped by agent, team or site through the feedback's `agent_id` \
             (no agent: group `(none)`); by queue or channel through its interaction; by period \
             through `responded_at`.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        count_ratio(Source::Feedback, req, ("sum(f.ces)", "f.ces IS NOT NULL"), "score")
    }
}

export_metric!(Ces);
