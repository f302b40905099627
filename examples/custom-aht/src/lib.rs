//! Example tenant plugin: ACME's own average handle time, voice only and without hold.
//!
//! It has the standard plugin's name, `aht`, so uploading it for a tenant replaces the
//! standard definition for that tenant only.

use cxhost_plugin_sdk::prelude::*;

struct AcmeAht;

impl Metric for AcmeAht {
    fn describe() -> PluginInfo {
        info(
            "aht",
            "2.0.0-acme",
            "ACME's average handle time in seconds = (talk + wrap) / handled voice contacts. \
             Counts contacts on channel `voice` with outcome `handled` offered in the range; \
             hold time is excluded, and chat, messaging, email, abandoned and self-service \
             contacts are not counted. A group without a handled voice contact has no row.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let g = grouping(Source::Interactions, req)?;
        let sql = format!(
            "SELECT {key} AS grp, CAST(sum(i.talk_seconds + i.wrap_seconds) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE i.outcome = 'handled' AND i.channel = 'voice' AND {time} \
             GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        ratio_result("seconds", &sql, req)
    }
}

export_metric!(AcmeAht);
