//! Standard metric: employee net promoter score, with a minimum group size for privacy.

use cxhost_plugin_sdk::prelude::*;

struct Enps;

impl metric::Guest for Enps {
    fn describe() -> PluginInfo {
        info(
            "enps",
            "1.0.0",
            "Employee net promoter score in points (-100..100) = % promoters - % detractors, on \
             the 0–10 `enps` answers of `employee_surveys` rows that responded in the range: \
             promoters answer 9 or 10, detractors 0 to 6. Numerator = 100 * (promoters - \
             detractors), denominator = answers; rows without an enps answer are not counted. \
             Privacy: a group with fewer than `min_responses` enps answers is left out entirely \
             (no row, no counts), so no answer can be traced to a person; for the same reason \
             eNPS cannot be grouped by agent. Groups by team or site use the agent's current \
             team and site; periods use `responded_at`. Queue and channel do not apply.",
            vec![param_int("min_responses", 5, "Groups with fewer enps answers than this are left out (at least 1).")],
        )
    }

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        if req.group_by == GroupBy::Agent {
            return Err("enps cannot be grouped by agent: an agent's own score would reveal their \
                        answers; group by team, site or a period instead"
                .to_string());
        }
        let min_responses = req.params.int("min_responses")?;
        if min_responses < 1 {
            return Err(format!("parameter `min_responses` must be at least 1, got {min_responses}"));
        }
        let g = grouping(Source::Surveys, req.group_by)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             100.0 * CAST(count(*) FILTER (WHERE s.enps >= 9) - count(*) FILTER (WHERE s.enps <= 6) \
               AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE s.enps IS NOT NULL AND {time} \
             GROUP BY 1 HAVING count(*) >= ? ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        let params = [
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end),
            SqlValue::Integer(min_responses),
        ];
        Ok(MetricResult { unit: "points".to_string(), rows: ratio_rows(&sql, &params)? })
    }
}

export_metric!(Enps);
