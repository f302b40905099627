//! Standard metric: net promoter score.

use cxhost_plugin_sdk::prelude::*;

struct Nps;

impl Metric for Nps {
    fn describe() -> PluginInfo {
        info(
            "nps",
            "1.0.0",
            "Net promoter score in points (-100..100) = % promoters - % detractors, on the 0–10 \
             `nps` answers of `customer_feedback` rows that responded in the range: promoters \
             answer 9 or 10, detractors 0 to 6, passives (7, 8) count only in the total. \
             Numerator = 100 * (promoters - detractors), denominator = answers. Rows without an \
             nps answer are not counted; a group without any has no row. Grouped by agent, team \
             or site through the feedback's `agent_id` (no agent: group `(none)`); by queue or \
             channel through its interaction; by period through `responded_at`.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let promoters_minus_detractors =
            "100.0 * (count(*) FILTER (WHERE f.nps >= 9) - count(*) FILTER (WHERE f.nps <= 6))";
        count_ratio(Source::Feedback, req, (promoters_minus_detractors, "f.nps IS NOT NULL"), "points")
    }
}

export_metric!(Nps);
