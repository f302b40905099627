//! Standard metric: transfer rate.

use cxhost_plugin_sdk::prelude::*;

struct TransferRate;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Interactions,
    num: "CASE WHEN i.transferred THEN 1 ELSE 0 END",
    den: "1",
    counted: "i.outcome = 'handled'",
    excluded_reason: "'not handled: ' || i.outcome",
    denominator_reason: "'not transferred'",
    unit: "ratio",
    higher_is_better: false,
};

impl Metric for TransferRate {
    fn describe() -> PluginInfo {
        info(
            "transfer_rate",
            "1.0.0",
            "Transfer rate as a ratio (0..1) = handled contacts with `transferred` true / handled \
             contacts, over contacts with outcome `handled` offered in the range (any channel). \
             Abandoned and self-service contacts are not counted. Grouped by agent, a transfer \
             counts for the agent who transferred the contact.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        DEFINITION.compute(req)
    }
}

impl MetricRecords for TransferRate {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(TransferRate, records);
