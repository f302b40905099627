//! Standard metric: mean customer sentiment of contacts.

use cxhost_plugin_sdk::prelude::*;

struct Sentiment;

/// Each contact (or answer) once: its part, or why it does not count.
const DEFINITION: RowRatio = RowRatio {
    source: Source::Interactions,
    num: "i.sentiment",
    den: "1",
    counted: "i.sentiment IS NOT NULL",
    excluded_reason: "'no sentiment score'",
    denominator_reason: "'neutral (0)'",
    unit: "score",
    higher_is_better: true,
};

impl Metric for Sentiment {
    fn describe() -> PluginInfo {
        info(
            "sentiment",
            "1.0.0",
            "Mean customer sentiment (-1 to 1) of `interactions` offered in the range that carry \
             a `sentiment` score: numerator = sum of scores, denominator = scored contacts. \
             Contacts without a score are not counted; a group without any has no row. Grouped \
             by agent, team or site through the contact's `agent_id` (no agent: group `(none)`), \
             by queue or channel directly, by period through `offered_at`.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        DEFINITION.compute(req)
    }
}

impl MetricRecords for Sentiment {
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        DEFINITION.records(req)
    }
}

export_metric!(Sentiment, records);
