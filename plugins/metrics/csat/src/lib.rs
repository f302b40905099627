//! Standard metric: customer satisfaction, top-two box.

use cxhost_plugin_sdk::prelude::*;

struct Csat;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Feedback,
    num: "CASE WHEN f.csat >= 4 THEN 1 ELSE 0 END",
    den: "1",
    counted: "f.csat IS NOT NULL",
    excluded_reason: "'no csat answer'",
    denominator_reason: "'answered ' || f.csat || ', below 4'",
    unit: "ratio",
    higher_is_better: true,
};

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
        DEFINITION.compute(req)
    }
}

impl MetricRecords for Csat {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(Csat, records);
