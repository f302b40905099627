//! Standard metric: customer effort score.

use cxhost_plugin_sdk::prelude::*;

struct Ces;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Feedback,
    num: "f.ces",
    den: "1",
    counted: "f.ces IS NOT NULL",
    excluded_reason: "'no ces answer'",
    denominator_reason: "NULL",
    unit: "score",
    higher_is_better: true,
};

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
        DEFINITION.compute(req)
    }
}

impl MetricRecords for Ces {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(Ces, records);
