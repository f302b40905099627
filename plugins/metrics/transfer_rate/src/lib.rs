//! Standard metric: transfer rate.

use cxhost_plugin_sdk::prelude::*;

struct TransferRate;

impl metric::Guest for TransferRate {
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

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let g = grouping(Source::Interactions, req.group_by)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE i.transferred) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE i.outcome = 'handled' AND {time} GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        ratio_result("ratio", &sql, &req)
    }
}

export_metric!(TransferRate);
