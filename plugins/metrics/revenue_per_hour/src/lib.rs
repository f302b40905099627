//! Standard metric: revenue per handled hour.

use cxhost_plugin_sdk::prelude::*;

struct RevenuePerHour;

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
        let g = grouping(Source::Interactions, req)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(sum(i.revenue_cents) AS DOUBLE) AS num, \
             CAST(sum(i.talk_seconds + i.hold_seconds + i.wrap_seconds) AS DOUBLE) / 3600.0 AS den \
             FROM {from} WHERE i.outcome = 'handled' AND {time} GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        ratio_result("cents_per_hour", &sql, req)
    }
}

export_metric!(RevenuePerHour);
