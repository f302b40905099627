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
        let (exclude_short, short) = settings(req)?;
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

/// The refusals and parameters `compute` and `records` share: whether short abandons are left
/// out, and below how many seconds an abandon is short.
fn settings(req: &Ask) -> Result<(bool, f64), String> {
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
    Ok((exclude_short, short))
}

/// `x` (an SQL number) as text: whole numbers without a decimal point, others to one place.
fn number_text(x: &str) -> String {
    format!(
        "CASE WHEN ({x}) = trunc({x}) THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE CAST(round({x}, 1) AS VARCHAR) END"
    )
}

impl MetricRecords for AbandonRate {
    /// Every contact offered in the range: the real-time ones handled or abandoned count in the
    /// denominator (the abandoned ones in the numerator too) unless they are short abandons;
    /// the others are excluded with the reason.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        let (exclude_short, short) = settings(req)?;
        let abandon_seconds = "epoch(i.ended_at - i.offered_at)";
        let real_time = "i.channel IN ('voice', 'chat', 'messaging') AND i.outcome IN ('handled', 'abandoned')";
        // The threshold is a validated finite number, written as a DOUBLE literal (`{:?}` keeps
        // its exact value, with an exponent where needed).
        let counted = if exclude_short {
            format!("{real_time} AND NOT (i.outcome = 'abandoned' AND {abandon_seconds} < CAST({short:?} AS DOUBLE))")
        } else {
            real_time.to_string()
        };
        let excluded_reason = format!(
            "CASE WHEN i.channel NOT IN ('voice', 'chat', 'messaging') THEN i.channel || ': not a real-time channel' \
             WHEN i.outcome NOT IN ('handled', 'abandoned') THEN 'outcome ' || i.outcome || ': neither handled nor abandoned' \
             ELSE 'short abandon (' || {seconds} || ' s)' END",
            seconds = number_text(abandon_seconds)
        );
        let definition = RowRatio {
            source: Source::Interactions,
            num: "CASE WHEN i.outcome = 'abandoned' THEN 1 ELSE 0 END",
            den: "1",
            counted: &counted,
            excluded_reason: &excluded_reason,
            denominator_reason: "'handled, not abandoned'",
            unit: "ratio",
            higher_is_better: false,
        };
        definition.records(req)
    }
}

export_metric!(AbandonRate, records);
