//! Standard metric: revenue per handled hour.

use cxhost_plugin_sdk::prelude::*;

struct RevenuePerHour;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Interactions,
    num: "i.revenue_cents",
    den: "(i.talk_seconds + i.hold_seconds + i.wrap_seconds) / 3600.0",
    counted: "i.outcome = 'handled'",
    excluded_reason: "'not handled: ' || i.outcome",
    denominator_reason: "'no revenue'",
    unit: "cents_per_hour",
    higher_is_better: true,
};

impl Metric for RevenuePerHour {
    fn describe() -> PluginInfo {
        info(
            "revenue_per_hour",
            "1.0.0",
            "Revenue per handled hour in cents = sum of `revenue_cents` / handled hours, where \
             handled hours = sum of (talk + hold + wrap) / 3600, both over contacts with \
             outcome `handled` offered in the range (any channel). Numerator is in cents, \
             denominator in hours. A group whose handled contacts have no handling time has \
             value none.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        DEFINITION.compute(req)
    }
}

impl MetricRecords for RevenuePerHour {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(RevenuePerHour, records);
