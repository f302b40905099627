//! Standard metric: mean customer sentiment of contacts.

use cxhost_plugin_sdk::prelude::*;

struct Sentiment;

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
        count_ratio(Source::Interactions, req, ("sum(i.sentiment)", "i.sentiment IS NOT NULL"), "score")
    }
}

export_metric!(Sentiment);
