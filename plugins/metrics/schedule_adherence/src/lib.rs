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
        let (grace, early) = minutes(req)?;
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

/// The `grace_minutes` and `early_minutes` parameters, checked.
fn minutes(req: &Ask) -> Result<(i64, i64), String> {
    let grace = req.params.int("grace_minutes")?;
    let early = req.params.int("early_minutes")?;
    if !(0..=720).contains(&grace) || !(0..=720).contains(&early) {
        return Err(format!("grace_minutes and early_minutes must be 0 to 720, got {grace} and {early}"));
    }
    Ok((grace, early))
}

/// `x` (an SQL number) as text: whole numbers without a decimal point, others to one place.
fn number_text(x: &str) -> String {
    format!(
        "CASE WHEN ({x}) = trunc({x}) THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE CAST(round({x}, 1) AS VARCHAR) END"
    )
}

impl MetricRecords for ScheduleAdherence {
    /// Every shift starting in the range: attended ones in the denominator, and in the
    /// numerator too when the first login was on time; late ones say by how much, missed ones
    /// are excluded. The first login is found as `compute` finds it ([`first_logins`]): one
    /// ASOF join to the agent's states.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        let (grace, early) = minutes(req)?;
        let (select, from, time) = record_select(Source::Schedules, req, None)?;
        let attended = "coalesce(st.started_at < sh.ends_at, FALSE)";
        let on_time = format!("st.started_at <= sh.starts_at + INTERVAL ({grace}) MINUTE");
        // `grace` and `early` are checked integers, written as literals.
        let sql = format!(
            "{select}, \
             CAST(CASE WHEN {attended} AND {on_time} THEN 1 ELSE 0 END AS DOUBLE) AS num, \
             CAST(CASE WHEN {attended} THEN 1 ELSE 0 END AS DOUBLE) AS den, \
             CASE WHEN NOT {attended} THEN 'not attended: no login from {early} min before the start to the end' \
                  WHEN NOT ({on_time}) THEN 'late: first login ' || {late} || ' min after the start \
                    (grace {grace} min)' END AS reason, \
             CAST(NULL AS VARCHAR) AS related_id \
             FROM {from} ASOF LEFT JOIN agent_states st \
               ON st.agent_id = sh.agent_id AND st.started_at >= sh.starts_at - INTERVAL ({early}) MINUTE \
             WHERE {time}",
            late = number_text("epoch(st.started_at - sh.starts_at) / 60"),
        );
        Ok(records_query(sql, time_range(req).to_vec(), "ratio", true))
    }
}

export_metric!(ScheduleAdherence, records);
