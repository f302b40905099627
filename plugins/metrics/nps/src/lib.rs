//! Standard metric: net promoter score.

use cxhost_plugin_sdk::prelude::*;

struct Nps;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Feedback,
    num: "CASE WHEN f.nps >= 9 THEN 100 WHEN f.nps <= 6 THEN -100 ELSE 0 END",
    den: "1",
    counted: "f.nps IS NOT NULL",
    excluded_reason: "'no nps answer'",
    denominator_reason: "'passive: answered ' || f.nps",
    unit: "points",
    higher_is_better: true,
};

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
        DEFINITION.compute(req)
    }
}

impl MetricRecords for Nps {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(Nps, records);
