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
    /// Built as `survey_records` builds them, with the passives' reason besides.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        if req.group_by == GroupBy::Agent {
            return Err("enps cannot be grouped by agent: an agent's own answers would be revealed; group by \
                        team, site or a period instead"
                .to_string());
        }
        let min_responses = req.params.int("min_responses")?;
        if min_responses < 1 {
            return Err(format!("parameter `min_responses` must be at least 1, got {min_responses}"));
        }
        let definition = RowRatio {
            source: Source::Surveys,
            num: "CASE WHEN s.enps >= 9 THEN 100 WHEN s.enps <= 6 THEN -100 ELSE 0 END",
            den: "1",
            counted: "s.enps IS NOT NULL",
            excluded_reason: "'no enps answer'",
            denominator_reason: "'passive: answered ' || s.enps",
            unit: "points",
            higher_is_better: true,
        };
        definition.records(req)
    }
}

export_metric!(Enps, records);
