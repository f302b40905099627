//! Standard metric: self-service containment.

use cxhost_plugin_sdk::prelude::*;

struct Containment;

const MICROS_PER_HOUR: i64 = 3_600_000_000;
/// A year: far beyond any sensible follow-up window, and safe from overflow.
const MAX_WINDOW_HOURS: i64 = 8784;

impl Metric for Containment {
    fn describe() -> PluginInfo {
        info(
            "containment",
            "1.0.0",
            "Self-service containment as a ratio (0..1) = contained self-service contacts / \
             self-service contacts (channel `self_service`) offered in the range. A \
             self-service contact is contained when the same `customer_id` has no contact on \
             another channel (any channel but `self_service`, any outcome, abandoned included) \
             offered at or after it and at most `window_hours` hours after it (a contact exactly \
             `window_hours` later still breaks containment). Later self-service contacts do not \
             break it. Follow-ups after the end of the range are looked for, up to \
             `window_hours` past it. Cannot be grouped by agent, team or site: self-service \
             contacts have no agent.",
            vec![param_int(
                "window_hours",
                24,
                "A contact on another channel within this many hours (0 to 8784) breaks containment.",
            )],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let window_hours = window_hours(req)?;
        let window = window_hours * MICROS_PER_HOUR;
        let g = grouping(Source::Interactions, req)?;
        // Every contact with the customer's non-self-service contacts from its own offer time
        // (peers included) to the window's end, in one window over the range plus look-ahead;
        // the outer query keeps the self-service contacts in range.
        let with_later = "SELECT *, sum(CASE WHEN channel <> 'self_service' THEN 1 ELSE 0 END) OVER (\
               PARTITION BY customer_id ORDER BY offered_at \
               RANGE BETWEEN CURRENT ROW AND to_microseconds(?) FOLLOWING) AS agent_contacts \
             FROM interactions WHERE offered_at >= ? AND offered_at < ?";
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE i.agent_contacts = 0) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE i.channel = 'self_service' AND {time} \
             GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from_rows(with_later),
            time = g.time_filter
        );
        let params = [
            SqlValue::Integer(window),
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end.saturating_add(window)),
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end),
        ];
        Ok(MetricResult { unit: "ratio".to_string(), rows: ratio_rows(&sql, &params, req)? })
    }
}

/// The refusals `compute` and `records` share, and the `window_hours` parameter, checked.
fn window_hours(req: &Ask) -> Result<i64, String> {
    if matches!(req.group_by, GroupBy::Agent | GroupBy::Team | GroupBy::Site) {
        return Err("containment cannot be grouped by agent, team or site: self-service \
                    contacts have no agent; group by queue, channel or a period instead"
            .to_string());
    }
    let window_hours = req.params.int("window_hours")?;
    if !(0..=MAX_WINDOW_HOURS).contains(&window_hours) {
        return Err(format!("parameter `window_hours` must be between 0 and {MAX_WINDOW_HOURS}, got {window_hours}"));
    }
    Ok(window_hours)
}

impl MetricRecords for Containment {
    /// Every contact offered in the range: self-service ones count in the denominator, and in
    /// the numerator too when contained; one followed within the window by a contact on another
    /// channel names the first such contact (the related record); other channels are excluded.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        let window_hours = window_hours(req)?;
        let window = window_hours * MICROS_PER_HOUR;
        // `compute`'s window, with the earliest contact on another channel in it (by offer
        // time, then id) beside the count; the window is a checked integer, written as a literal.
        let with_later = format!(
            "SELECT *, sum(CASE WHEN channel <> 'self_service' THEN 1 ELSE 0 END) OVER later AS agent_contacts, \
               min(CASE WHEN channel <> 'self_service' \
                   THEN struct_pack(t := offered_at, id := interaction_id, channel := channel) END) OVER later AS breaker \
             FROM interactions WHERE offered_at >= ? AND offered_at < ? \
             WINDOW later AS (PARTITION BY customer_id ORDER BY offered_at \
               RANGE BETWEEN CURRENT ROW AND to_microseconds({window}) FOLLOWING)"
        );
        let (select, from, time) = record_select(Source::Interactions, req, Some(&with_later))?;
        let self_service = "coalesce(i.channel = 'self_service', FALSE)";
        let hours = if window_hours == 1 { "hour" } else { "hours" };
        let sql = format!(
            "{select}, \
             CAST(CASE WHEN {self_service} AND i.agent_contacts = 0 THEN 1 ELSE 0 END AS DOUBLE) AS num, \
             CAST(CASE WHEN {self_service} THEN 1 ELSE 0 END AS DOUBLE) AS den, \
             CASE WHEN NOT {self_service} THEN i.channel || ': not self-service' \
                  WHEN i.agent_contacts <> 0 THEN 'followed within {window_hours} {hours} by ' || i.breaker.id \
                    || ' (' || i.breaker.channel || ')' END AS reason, \
             CASE WHEN {self_service} AND i.agent_contacts <> 0 THEN i.breaker.id END AS related_id \
             FROM {from} WHERE {time}"
        );
        let params = vec![
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end.saturating_add(window)),
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end),
        ];
        Ok(records_query(sql, params, "ratio", true))
    }
}

export_metric!(Containment, records);
