//! Standard metric: employee net promoter score, with a minimum group size for privacy.

use cxhost_plugin_sdk::prelude::*;

struct Enps;

impl Metric for Enps {
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

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let promoters_minus_detractors =
            "100.0 * (count(*) FILTER (WHERE s.enps >= 9) - count(*) FILTER (WHERE s.enps <= 6))";
        survey_ratio(req, "enps", (promoters_minus_detractors, "enps"), "points")
    }
}

impl MetricRecords for Enps {
    /// Every survey answer row in the range: a promoter adds 100 to the numerator, a detractor
    /// -100, a passive nothing (denominator only); rows without an enps answer are excluded.
    /// The host opens them only for groups at the privacy floor and never shows who answered.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        let records = survey_records(
            req,
            "enps",
            ("CASE WHEN s.enps >= 9 THEN 100 WHEN s.enps <= 6 THEN -100 ELSE 0 END", "enps"),
            "points",
        )?;
        min_responses(req)?;
        Ok(records)
    }
}

/// `compute`'s check of `min_responses` (in `survey_ratio`), made for `records` too.
fn min_responses(req: &Ask) -> Result<(), String> {
    let min_responses = req.params.int("min_responses")?;
    if min_responses < 1 {
        return Err(format!("parameter `min_responses` must be at least 1, got {min_responses}"));
    }
    Ok(())
}

export_metric!(Enps, records);
