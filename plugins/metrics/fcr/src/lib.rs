//! Standard metric: first-contact resolution by the repeat-contact method.

use cxhost_plugin_sdk::prelude::*;

struct Fcr;

const MICROS_PER_DAY: i64 = 86_400_000_000;
/// Ten years: far beyond any sensible repeat window, and safe from overflow.
const MAX_WINDOW_DAYS: i64 = 3650;

impl Metric for Fcr {
    fn describe() -> PluginInfo {
        info(
            "fcr",
            "1.0.0",
            "First-contact resolution as a ratio (0..1), repeat-contact method = handled contacts \
             with no repeat / handled contacts offered in the range. A handled contact has a \
             repeat when the same `customer_id` has another contact with the same \
             `contact_reason` (an empty reason matches only an empty reason), on any channel and \
             with any outcome (abandoned and self-service included), offered at or after it and \
             at most `window_days` days after it (a repeat exactly `window_days` days later \
             still counts). Repeats after the end of the range are looked for, up to \
             `window_days` past it. Of two contacts of one customer and reason offered at the \
             same instant, the one with the smaller `interaction_id` counts as first and the \
             other as its repeat.",
            vec![param_int(
                "window_days",
                7,
                "A contact from the same customer on the same reason within this many days (0 to 3650) \
                 is a repeat.",
            )],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let window_days = window_days(req)?;
        let window = window_days * MICROS_PER_DAY;
        let lookahead_end = req.period_end.saturating_add(window);
        let g = grouping(Source::Interactions, req)?;
        // Every contact with the next one of the same customer and reason, in one window over
        // the range plus the look-ahead; the outer query keeps the handled contacts in range.
        let with_next = "SELECT *, lead(offered_at) OVER (\
               PARTITION BY customer_id, contact_reason ORDER BY offered_at, interaction_id) AS next_offered_at \
             FROM interactions WHERE offered_at >= ? AND offered_at < ?";
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE i.next_offered_at IS NULL \
               OR i.next_offered_at > i.offered_at + to_microseconds(?)) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE i.outcome = 'handled' AND {time} \
             GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from_rows(with_next),
            time = g.time_filter
        );
        // In the order of the placeholders: the window in SELECT, the look-ahead in FROM, the
        // range in WHERE.
        let params = [
            SqlValue::Integer(window),
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(lookahead_end),
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end),
        ];
        Ok(MetricResult { unit: "ratio".to_string(), rows: ratio_rows(&sql, &params, req)? })
    }
}

/// The `window_days` parameter, checked.
fn window_days(req: &Ask) -> Result<i64, String> {
    let window_days = req.params.int("window_days")?;
    if !(0..=MAX_WINDOW_DAYS).contains(&window_days) {
        return Err(format!("parameter `window_days` must be between 0 and {MAX_WINDOW_DAYS}, got {window_days}"));
    }
    Ok(window_days)
}

impl MetricRecords for Fcr {
    /// Every contact offered in the range: handled ones count in the denominator, and in the
    /// numerator too unless repeated within the window — then the repeat is the related record
    /// and named in the reason; contacts not handled are excluded.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        let window_days = window_days(req)?;
        let window = window_days * MICROS_PER_DAY;
        let lookahead_end = req.period_end.saturating_add(window);
        // The same window as `compute`'s, with the next contact's id beside its time. Opening one
        // group, the window need only see the customers with a contact in it: their partitions
        // are whole, so each of the group's contacts finds the same next contact.
        let mut params = vec![SqlValue::Timestamp(req.period_start), SqlValue::Timestamp(lookahead_end)];
        let customers = match &req.group {
            Some(group) => {
                let g = grouping(Source::Interactions, req)?;
                params.extend([
                    SqlValue::Text(group.clone()),
                    SqlValue::Timestamp(req.period_start),
                    SqlValue::Timestamp(req.period_end),
                ]);
                format!(
                    " AND customer_id IN (SELECT i.customer_id FROM {from} WHERE {key} = ? AND {time})",
                    from = g.from,
                    key = group_text(&g.key, req.group_by),
                    time = g.time_filter
                )
            }
            None => String::new(),
        };
        let with_next = format!(
            "SELECT *, lead(offered_at) OVER next_contact AS next_offered_at, \
               lead(interaction_id) OVER next_contact AS next_interaction_id \
             FROM interactions WHERE offered_at >= ? AND offered_at < ?{customers} \
             WINDOW next_contact AS (PARTITION BY customer_id, contact_reason ORDER BY offered_at, interaction_id)"
        );
        let (select, from, time) = record_select(Source::Interactions, req, Some(&with_next))?;
        let handled = "coalesce(i.outcome = 'handled', FALSE)";
        // The window is a checked integer, written as a literal.
        let repeated = format!(
            "(i.next_offered_at IS NOT NULL AND i.next_offered_at <= i.offered_at + to_microseconds({window}))"
        );
        let days = if window_days == 1 { "day" } else { "days" };
        let sql = format!(
            "{select}, \
             CAST(CASE WHEN {handled} AND NOT {repeated} THEN 1 ELSE 0 END AS DOUBLE) AS num, \
             CAST(CASE WHEN {handled} THEN 1 ELSE 0 END AS DOUBLE) AS den, \
             CASE WHEN NOT {handled} THEN 'not handled: ' || coalesce(i.outcome, 'no outcome') \
                  WHEN {repeated} THEN 'repeated within {window_days} {days} by ' || i.next_interaction_id END AS reason, \
             CASE WHEN {handled} AND {repeated} THEN i.next_interaction_id END AS related_id \
             FROM {from} WHERE {time}{only_handled}",
            only_handled = if req.counted_only { format!(" AND {handled}") } else { String::new() },
        );
        // The look-ahead (and the group's customers) in FROM, then the range in WHERE.
        params.extend([SqlValue::Timestamp(req.period_start), SqlValue::Timestamp(req.period_end)]);
        Ok(records_query(sql, params, "ratio", true))
    }
}

export_metric!(Fcr, records);
