//! Standard metric: transfer rate.

use cxhost_plugin_sdk::prelude::*;

struct TransferRate;

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
        count_ratio(
            Source::Interactions,
            req,
            ("count(*) FILTER (WHERE i.transferred)", "i.outcome = 'handled'"),
            "ratio",
        )
    }
}

export_metric!(TransferRate);
