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
        let early = early_minutes(req)?;
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

/// The `early_minutes` parameter, checked.
fn early_minutes(req: &Ask) -> Result<i64, String> {
    let early = req.params.int("early_minutes")?;
    if !(0..=720).contains(&early) {
        return Err(format!("early_minutes must be 0 to 720, got {early}"));
    }
    Ok(early)
}

impl MetricRecords for Attendance {
    /// Every shift starting in the range, in the denominator; attended ones in the numerator
    /// too, missed ones with the reason. The first login is found as `compute` finds it
    /// ([`first_logins`]): one ASOF join to the agent's states.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        let early = early_minutes(req)?;
        let (select, from, time) = record_select(Source::Schedules, req, None)?;
        // `early` is a checked integer, written as a literal.
        let sql = format!(
            "{select}, \
             CAST(CASE WHEN st.started_at < sh.ends_at THEN 1 ELSE 0 END AS DOUBLE) AS num, \
             CAST(1 AS DOUBLE) AS den, \
             CASE WHEN st.started_at < sh.ends_at THEN NULL \
                  ELSE 'missed: no login from {early} min before the start to the end' END AS reason, \
             CAST(NULL AS VARCHAR) AS related_id \
             FROM {from} ASOF LEFT JOIN agent_states st \
               ON st.agent_id = sh.agent_id AND st.started_at >= sh.starts_at - INTERVAL ({early}) MINUTE \
             WHERE {time}"
        );
        Ok(records_query(sql, time_range(req).to_vec(), "ratio", true))
    }
}

export_metric!(Attendance, records);
