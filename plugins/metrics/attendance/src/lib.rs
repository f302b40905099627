//! Standard metric: attendance of scheduled shifts.

use cxhost_plugin_sdk::prelude::*;

struct Attendance;

impl Metric for Attendance {
    fn describe() -> PluginInfo {
        info(
            "attendance",
            "1.0.0",
            "Attendance as a ratio (0..1) = attended shifts / scheduled shifts, over `schedules` \
             rows starting in the range. A shift is attended when the agent has an \
             `agent_states` interval (any state) starting between `early_minutes` before its \
             start and its end. Grouped by agent, team or site through the shift's agent, by \
             period through `starts_at`; not by queue or channel.",
            vec![param_int("early_minutes", 60, "how long before the scheduled start a login still counts")],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let early = req.params.int("early_minutes")?;
        if !(0..=720).contains(&early) {
            return Err(format!("early_minutes must be 0 to 720, got {early}"));
        }
        let g = grouping(Source::Schedules, req)?;
        let sql = format!(
            "{logins} \
             SELECT s.grp, CAST(count(s.first_login) AS DOUBLE) AS num, CAST(count(*) AS DOUBLE) AS den \
             FROM shifts s GROUP BY 1 ORDER BY 1",
            logins = first_logins(&g, early)
        );
        Ok(MetricResult { unit: "ratio".to_string(), rows: ratio_rows(&sql, &time_range(req), req)? })
    }
}

export_metric!(Attendance);
