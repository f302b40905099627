//! Standard metric: mean quality-assurance score.

use cxhost_plugin_sdk::prelude::*;

struct QaScore;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Qa,
    num: "q.score",
    den: "1",
    counted: "TRUE",
    excluded_reason: "NULL",
    denominator_reason: "'scored 0'",
    unit: "percent",
    higher_is_better: true,
};

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
        DEFINITION.compute(req)
    }
}

impl MetricRecords for QaScore {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(QaScore, records);
