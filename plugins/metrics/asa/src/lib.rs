//! Standard metric: average speed of answer.

use cxhost_plugin_sdk::prelude::*;

struct Asa;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Interactions,
    num: "epoch(i.answered_at - i.offered_at)",
    den: "1",
    counted: "i.answered_at IS NOT NULL",
    excluded_reason: "'not answered: ' || i.outcome",
    denominator_reason: "'answered at once'",
    unit: "seconds",
    higher_is_better: false,
};

impl Metric for Asa {
    fn describe() -> PluginInfo {
        info(
            "asa",
            "1.0.0",
            "Average speed of answer in seconds = total wait of answered contacts / answered \
             contacts. A contact is answered when `answered_at` is set, whatever its channel; its \
             wait is `answered_at - offered_at` in seconds. Counts contacts offered in the range. \
             Abandoned contacts and contacts without `answered_at` (self-service, email without a \
             pick-up time) are left out. A group without an answered contact has no row.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        DEFINITION.compute(req)
    }
}

impl MetricRecords for Asa {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(Asa, records);
