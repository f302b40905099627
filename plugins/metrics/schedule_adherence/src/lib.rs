//! Standard metric: schedule adherence at the start of attended shifts.

use cxhost_plugin_sdk::prelude::*;

struct ScheduleAdherence;

impl Metric for ScheduleAdherence {
    fn describe() -> PluginInfo {
        info(
            "schedule_adherence",
            "1.0.0",
            "Start adherence as a ratio (0..1) = attended shifts whose first login came no later \
             than `grace_minutes` after the scheduled start / attended shifts, over `schedules` \
             rows starting in the range. The first login is the earliest `agent_states` interval \
             (any state) of the agent starting between `early_minutes` before the shift's start \
             and its end; shifts without one are not attended and count in neither part (see \
             `attendance`). Grouped by agent, team or site through the shift's agent, by period \
             through `starts_at`; not by queue or channel.",
            vec![
                param_int("grace_minutes", 5, "minutes after the scheduled start a login is still on time"),
                param_int("early_minutes", 60, "how long before the scheduled start a login still counts"),
            ],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let grace = req.params.int("grace_minutes")?;
        let early = req.params.int("early_minutes")?;
        if !(0..=720).contains(&grace) || !(0..=720).contains(&early) {
            return Err(format!("grace_minutes and early_minutes must be 0 to 720, got {grace} and {early}"));
        }
        let g = grouping(Source::Schedules, req)?;
        let sql = format!(
            "{logins} \
             SELECT s.grp, \
             CAST(count(*) FILTER (WHERE s.first_login <= s.starts_at + INTERVAL ({grace}) MINUTE) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM shifts s WHERE s.first_login IS NOT NULL GROUP BY 1 ORDER BY 1",
            logins = first_logins(&g, early)
        );
        Ok(MetricResult { unit: "ratio".to_string(), rows: ratio_rows(&sql, &time_range(req), req)? })
    }
}

export_metric!(ScheduleAdherence);
