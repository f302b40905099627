//! Standard metric: attendance of scheduled shifts.

use cxhost_plugin_sdk::prelude::*;

struct Attendance;

impl metric::Guest for Attendance {
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

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let early = req.params.int("early_minutes")?;
        if !(0..=720).contains(&early) {
            return Err(format!("early_minutes must be 0 to 720, got {early}"));
        }
        let g = grouping(Source::Schedules, req.group_by)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE EXISTS (\
               SELECT 1 FROM agent_states st WHERE st.agent_id = sh.agent_id \
               AND st.started_at >= sh.starts_at - INTERVAL ({early}) MINUTE \
               AND st.started_at < sh.ends_at)) AS DOUBLE) AS num, \
             CAST(count(*) AS DOUBLE) AS den \
             FROM {from} WHERE {time} GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        ratio_result("ratio", &sql, &req)
    }
}

export_metric!(Attendance);
