//! Standard metric: the mean answer to one 1–5 item of the employee survey (engagement,
//! wellbeing, manager support, tools), with a minimum group size for privacy.

use cxhost_plugin_sdk::prelude::*;

const ITEMS: &[&str] = &["engagement", "wellbeing", "manager_support", "tools"];

struct SurveyItem;

impl Metric for SurveyItem {
    fn describe() -> PluginInfo {
        info(
            "survey_item",
            "1.0.0",
            "Mean answer (1–5, 5 = best) to one item of `employee_surveys` — `item` is \
             engagement, wellbeing, manager_support or tools — over rows that responded in the \
             range: numerator = sum of answers, denominator = answers; rows without an answer to \
             the item are not counted. Privacy: a group with fewer than `min_responses` answers \
             is left out entirely, and the item cannot be grouped by agent. Groups by team or \
             site use the agent's current team and site; periods use `responded_at`.",
            vec![
                param_text("item", "engagement", "engagement, wellbeing, manager_support or tools"),
                param_int("min_responses", 5, "Groups with fewer answers than this are left out (at least 1)."),
            ],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let item = item(req)?;
        survey_ratio(req, "survey items", (&format!("sum(s.{item})"), item), "score")
    }
}

/// The `item` parameter, checked.
fn item(req: &Ask) -> Result<&str, String> {
    let item = req.params.text("item")?;
    if !ITEMS.contains(&item) {
        return Err(format!("parameter `item` must be one of {}, got `{item}`", ITEMS.join(", ")));
    }
    Ok(item)
}

impl MetricRecords for SurveyItem {
    /// Every survey answer row in the range: the answer to the item is its part of the
    /// numerator; rows without one are excluded. The host opens them only for groups at the
    /// privacy floor and never shows who answered.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        let item = item(req)?;
        let records = survey_records(req, "survey items", (&format!("s.{item}"), item), "score")?;
        let min_responses = req.params.int("min_responses")?;
        if min_responses < 1 {
            return Err(format!("parameter `min_responses` must be at least 1, got {min_responses}"));
        }
        Ok(records)
    }
}

export_metric!(SurveyItem, records);
