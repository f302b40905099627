//! Standard metric: abandon rate of real-time contacts.

use cxhost_plugin_sdk::prelude::*;

struct AbandonRate;

impl Metric for AbandonRate {
    fn describe() -> PluginInfo {
        info(
            "abandon_rate",
            "1.0.0",
            "Abandon rate as a ratio (0..1) = abandoned contacts / offered contacts. Offered \
             contacts are real-time ones: channel `voice`, `chat` or `messaging` with outcome \
             `handled` or `abandoned`, offered in the range; email and self-service are never \
             counted. Abandon time = `ended_at - offered_at`. With `exclude_short_abandons` \
             (default true) short abandons, those abandoned after less than \
             `short_abandon_seconds`, are left out of both numerator and denominator. Cannot be \
             grouped by agent, team or site: abandoned contacts have no agent.",
            vec![
                param_bool(
                    "exclude_short_abandons",
                    true,
                    "Leave short abandons out of both numerator and denominator.",
                ),
                param_float(
                    "short_abandon_seconds",
                    5.0,
                    "Abandons after less than this many seconds are short abandons.",
                ),
            ],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        if matches!(req.group_by, GroupBy::Agent | GroupBy::Team | GroupBy::Site) {
            return Err("abandon_rate cannot be grouped by agent, team or site: abandoned contacts \
                        have no agent; group by queue, channel or a period instead"
                .to_string());
        }
        let exclude_short = req.params.boolean("exclude_short_abandons")?;
        let short = req.params.float("short_abandon_seconds")?;
        if !(short.is_finite() && short >= 0.0) {
            return Err(format!("parameter `short_abandon_seconds` must be a number >= 0, got {short}"));
        }
        let g = grouping(Source::Interactions, req)?;
        let mut params = time_range(req).to_vec();
        let short_filter = if exclude_short {
            params.push(SqlValue::Float(short));
            " AND NOT (i.outcome = 'abandoned' AND epoch(i.ended_at - i.offered_at) < ?)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE i.outcome = 'abandoned') AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} \
             WHERE i.channel IN ('voice', 'chat', 'messaging') \
             AND i.outcome IN ('handled', 'abandoned') AND {time}{short_filter} \
             GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        Ok(MetricResult { unit: "ratio".to_string(), rows: ratio_rows(&sql, &params, req)? })
    }
}

export_metric!(AbandonRate);
