//! Standard metric: sales conversion.

use cxhost_plugin_sdk::prelude::*;

struct Conversion;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Interactions,
    num: "CASE WHEN i.sale THEN 1 ELSE 0 END",
    den: "1",
    counted: "i.outcome = 'handled' AND i.sales_eligible",
    excluded_reason: "CASE WHEN i.outcome <> 'handled' THEN 'not handled: ' || i.outcome ELSE 'not sales-eligible' END",
    denominator_reason: "'no sale'",
    unit: "ratio",
    higher_is_better: true,
};

impl Metric for Conversion {
    fn describe() -> PluginInfo {
        info(
            "conversion",
            "1.0.0",
            "Sales conversion as a ratio (0..1) = handled contacts with `sale` true / handled \
             contacts with `sales_eligible` true, over contacts with outcome `handled` offered \
             in the range (any channel). Abandoned sales opportunities are not counted. A group \
             without a sales-eligible handled contact has no row.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        DEFINITION.compute(req)
    }
}

impl MetricRecords for Conversion {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(Conversion, records);
