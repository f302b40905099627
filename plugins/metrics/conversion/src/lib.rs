//! Standard metric: sales conversion.

use cxhost_plugin_sdk::prelude::*;

struct Conversion;

impl metric::Guest for Conversion {
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

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let g = grouping(Source::Interactions, req.group_by)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE i.sale) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE i.outcome = 'handled' AND i.sales_eligible AND {time} \
             GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        ratio_result("ratio", &sql, &req)
    }
}

export_metric!(Conversion);
