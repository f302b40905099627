//! Standard metric: sales conversion.

use cxhost_plugin_sdk::prelude::*;

struct Conversion;

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
        let eligible = "i.outcome = 'handled' AND i.sales_eligible";
        count_ratio(Source::Interactions, req, ("count(*) FILTER (WHERE i.sale)", eligible), "ratio")
    }
}

export_metric!(Conversion);
