//! Example tenant plugin: ACME's own first-contact resolution. A handled contact is resolved
//! unless the same customer gets in touch again within 48 hours — on any channel, about
//! anything, whatever became of that contact. The standard `fcr` looks for a repeat on the
//! same reason within 7 days; this one sits beside it as `fcr_48h`.

use cxhost_plugin_sdk::prelude::*;

const MICROS_PER_HOUR: i64 = 3_600_000_000;
/// A year: far beyond any sensible window, and safe from overflow.
const MAX_WINDOW_HOURS: i64 = 8760;

struct Fcr48h;

impl Metric for Fcr48h {
    fn describe() -> PluginInfo {
        info(
            "fcr_48h",
            "1.0.0",
            "ACME's first-contact resolution as a ratio (0..1) = handled contacts with no repeat / \
             handled contacts offered in the range. A handled contact has a repeat when the same \
             `customer_id` has another contact — on any channel, on any reason, with any outcome \
             (abandoned and self-service included) — offered at or after it and at most \
             `window_hours` hours after it (a repeat exactly `window_hours` later still counts). \
             Repeats after the end of the range are looked for, up to `window_hours` past it. Of \
             two contacts of one customer offered at the same instant, the one with the smaller \
             `interaction_id` counts as first.",
            vec![param_int("window_hours", 48, "A further contact within this many hours (0 to 8760) is a repeat.")],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let window_hours = req.params.int("window_hours")?;
        if !(0..=MAX_WINDOW_HOURS).contains(&window_hours) {
            return Err(format!(
                "parameter `window_hours` must be between 0 and {MAX_WINDOW_HOURS}, got {window_hours}"
            ));
        }
        let window = window_hours * MICROS_PER_HOUR;
        let g = grouping(Source::Interactions, req)?;
        // Every contact with the customer's next one (any channel, any reason), over the range
        // plus the look-ahead; the outer query keeps the handled contacts in the range.
        let with_next = "SELECT *, lead(offered_at) OVER (\
               PARTITION BY customer_id ORDER BY offered_at, interaction_id) AS next_offered_at \
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
        // In the order of the placeholders: the window, the look-ahead, the range.
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

export_metric!(Fcr48h);
