//! Standard metric: average speed of answer.

use cxhost_plugin_sdk::prelude::*;

struct Asa;

impl metric::Guest for Asa {
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

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let g = grouping(Source::Interactions, req.group_by)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(sum(epoch(i.answered_at - i.offered_at)) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE i.answered_at IS NOT NULL AND {time} GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        ratio_result("seconds", &sql, &req)
    }
}

export_metric!(Asa);
