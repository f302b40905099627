//! Standard metric: service level (share of real-time contacts answered within a threshold).

use cxhost_plugin_sdk::prelude::*;

struct ServiceLevel;

/// The values the `abandons` parameter accepts.
const ABANDON_TREATMENTS: &str = "exclude_short, include_all, exclude_all";

impl Metric for ServiceLevel {
    fn describe() -> PluginInfo {
        info(
            "service_level",
            "1.0.0",
            "Service level as a ratio (0..1) = contacts answered within `threshold_seconds` / \
             (answered contacts + counted abandons). Only real-time contacts are offered: channel \
             `voice`, `chat` or `messaging` with outcome `handled` or `abandoned`, offered in the \
             range. Wait = `answered_at - offered_at`; a wait equal to the threshold is within it. \
             Abandon time = `ended_at - offered_at`. `abandons` decides which abandoned contacts \
             join the denominator: `exclude_short` (default) those whose abandon time is at least \
             `short_abandon_seconds` (shorter ones are left out entirely), `include_all` every \
             abandoned contact, `exclude_all` none (answered contacts only). Email and \
             self-service are never counted. Cannot be grouped by agent, team or site: abandoned \
             contacts, which count in the denominator, have no agent. A group whose denominator \
             is 0 (e.g. only short abandons) has value none.",
            vec![
                param_float(
                    "threshold_seconds",
                    20.0,
                    "Answer within this many seconds (inclusive) to count as within service level.",
                ),
                param_float(
                    "short_abandon_seconds",
                    5.0,
                    "Abandons after less than this many seconds are short abandons.",
                ),
                param_text(
                    "abandons",
                    "exclude_short",
                    "Abandoned contacts in the denominator: exclude_short, include_all or exclude_all.",
                ),
            ],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        if matches!(req.group_by, GroupBy::Agent | GroupBy::Team | GroupBy::Site) {
            return Err("service_level cannot be grouped by agent, team or site: abandoned contacts, \
                        which count in its denominator, have no agent; group by queue, channel or a \
                        period instead"
                .to_string());
        }
        let threshold = req.params.float("threshold_seconds")?;
        let short = req.params.float("short_abandon_seconds")?;
        if !(threshold.is_finite() && threshold >= 0.0) {
            return Err(format!("parameter `threshold_seconds` must be a number >= 0, got {threshold}"));
        }
        if !(short.is_finite() && short >= 0.0) {
            return Err(format!("parameter `short_abandon_seconds` must be a number >= 0, got {short}"));
        }
        let mut params = vec![SqlValue::Float(threshold)];
        let counted = match req.params.text("abandons")? {
            "exclude_short" => {
                params.push(SqlValue::Float(short));
                "i.outcome = 'handled' OR epoch(i.ended_at - i.offered_at) >= ?"
            }
            "include_all" => "TRUE",
            "exclude_all" => "i.outcome = 'handled'",
            other => {
                return Err(format!("parameter `abandons` must be one of {ABANDON_TREATMENTS}, got `{other}`"));
            }
        };
        let g = grouping(Source::Interactions, req)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE i.outcome = 'handled' \
             AND epoch(i.answered_at - i.offered_at) <= ?) AS DOUBLE) AS num, \
             CAST(count(*) FILTER (WHERE {counted}) AS DOUBLE) AS den \
             FROM {from} \
             WHERE i.channel IN ('voice', 'chat', 'messaging') \
             AND i.outcome IN ('handled', 'abandoned') AND {time} \
             GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        params.extend(time_range(req));
        Ok(MetricResult { unit: "ratio".to_string(), rows: ratio_rows(&sql, &params, req)? })
    }
}

export_metric!(ServiceLevel);
