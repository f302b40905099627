//! Standard metric: mean quality-assurance score.

use cxhost_plugin_sdk::prelude::*;

struct QaScore;

impl Metric for QaScore {
    fn describe() -> PluginInfo {
        info(
            "qa_score",
            "1.0.0",
            "Mean quality-assurance score in percent (0–100) of `qa_evaluations` made in the \
             range: numerator = sum of scores, denominator = evaluations. Grouped by agent, team \
             or site through the evaluated agent, by queue or channel through the evaluated \
             contact (none: group `(none)`), by period through `evaluated_at`.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        count_ratio(Source::Qa, req, ("sum(q.score)", "TRUE"), "percent")
    }
}

export_metric!(QaScore);
