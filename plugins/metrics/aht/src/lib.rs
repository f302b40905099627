//! Standard metric: average handle time.

use cxhost_plugin_sdk::prelude::*;

struct Aht;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Interactions,
    num: "i.talk_seconds + i.hold_seconds + i.wrap_seconds",
    den: "1",
    counted: "i.outcome = 'handled'",
    excluded_reason: "'not handled: ' || i.outcome",
    denominator_reason: "'handled in 0 seconds'",
    unit: "seconds",
    higher_is_better: false,
};

impl Metric for Aht {
    fn describe() -> PluginInfo {
        info(
            "aht",
            "1.0.0",
            "Average handle time in seconds = (talk + hold + wrap) / handled contacts. \
             Counts contacts with outcome `handled` offered in the range; abandoned and \
             self-service contacts are excluded.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        DEFINITION.compute(req)
    }
}

impl MetricRecords for Aht {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(Aht, records);
