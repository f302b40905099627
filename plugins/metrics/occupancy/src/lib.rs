//! Standard metric: agent occupancy.

use cxhost_plugin_sdk::prelude::*;

struct Occupancy;

/// Why occupancy is not grouped by queue or channel.
const NOT_BY_CONTACT: &str = "occupancy cannot be grouped by queue or channel: available time belongs to agents, \
                              not to queues or channels; group by agent, team, site or a period instead";

impl Metric for Occupancy {
    fn describe() -> PluginInfo {
        info(
            "occupancy",
            "1.0.0",
            "Occupancy as a ratio (0..1) = handling seconds / (handling seconds + available \
             seconds). Handling seconds = talk + hold + wrap of contacts with outcome `handled` \
             and an agent, offered in the range. Available seconds = `ended_at - started_at` of \
             `agent_states` rows in state `available` that start in the range (an interval is \
             counted whole, by its start). Unavailable time (breaks, training) counts in \
             neither part. Grouped by day, week or month, handling falls in the period of \
             `offered_at` and available time in that of `started_at`. A group with handling but \
             no available time has occupancy 1; one with available time only has 0. Concurrent \
             chats are summed as they are, so chat-heavy agents can exceed what one line would \
             allow. Cannot be grouped by queue or channel: available time belongs to agents.",
            vec![],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let states = grouping(Source::AgentStates, req).map_err(|_| NOT_BY_CONTACT.to_string())?;
        let contacts = grouping(Source::Interactions, req)?;
        let sql = format!(
            "WITH handling AS (\
               SELECT {ckey} AS grp, \
               sum(i.talk_seconds + i.hold_seconds + i.wrap_seconds) AS secs \
               FROM {cfrom} \
               WHERE i.outcome = 'handled' AND i.agent_id IS NOT NULL AND {ctime} GROUP BY 1), \
             available AS (\
               SELECT {skey} AS grp, sum(epoch(st.ended_at - st.started_at)) AS secs \
               FROM {sfrom} WHERE st.state = 'available' AND {stime} GROUP BY 1) \
             SELECT coalesce(h.grp, av.grp) AS grp, \
             CAST(coalesce(h.secs, 0) AS DOUBLE) AS num, \
             CAST(coalesce(h.secs, 0) AS DOUBLE) + coalesce(av.secs, 0) AS den \
             FROM handling h FULL OUTER JOIN available av ON h.grp IS NOT DISTINCT FROM av.grp \
             ORDER BY 1",
            ckey = contacts.key,
            cfrom = contacts.from,
            ctime = contacts.time_filter,
            skey = states.key,
            sfrom = states.from,
            stime = states.time_filter
        );
        // Both parts filter on the request's range: contacts first, then agent states.
        let params = [
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end),
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end),
        ];
        Ok(MetricResult { unit: "ratio".to_string(), rows: ratio_rows(&sql, &params, req)? })
    }
}

/// `x` (an SQL number) as text: whole numbers without a decimal point, others to one place.
fn number_text(x: &str) -> String {
    format!(
        "CASE WHEN ({x}) = trunc({x}) THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE CAST(round({x}, 1) AS VARCHAR) END"
    )
}

impl MetricRecords for Occupancy {
    /// Two kinds of record: every contact offered in the range (a handled one with an agent
    /// adds its handling seconds to both parts; others are excluded) and every `agent_states`
    /// interval starting in the range (an available one adds its seconds to the denominator
    /// only; others are excluded).
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        grouping(Source::AgentStates, req).map_err(|_| NOT_BY_CONTACT.to_string())?;
        let (cselect, cfrom, ctime) = record_select(Source::Interactions, req, None)?;
        let (sselect, sfrom, stime) = record_select(Source::AgentStates, req, None)?;
        let handling = "coalesce(i.talk_seconds + i.hold_seconds + i.wrap_seconds, 0)";
        let handled = "coalesce(i.outcome = 'handled' AND i.agent_id IS NOT NULL, FALSE)";
        let available = "epoch(st.ended_at - st.started_at)";
        let sql = format!(
            "{cselect}, \
             CASE WHEN {handled} THEN CAST({handling} AS DOUBLE) ELSE 0 END AS num, \
             CASE WHEN {handled} THEN CAST({handling} AS DOUBLE) ELSE 0 END AS den, \
             CASE WHEN coalesce(i.outcome <> 'handled', TRUE) THEN 'not handled: ' || coalesce(i.outcome, 'no outcome') \
                  WHEN i.agent_id IS NULL THEN 'handled without an agent' \
                  WHEN {handling} = 0 THEN 'no handling time' END AS reason, \
             CAST(NULL AS VARCHAR) AS related_id \
             FROM {cfrom} WHERE {ctime} \
             UNION ALL \
             {sselect}, \
             CAST(0 AS DOUBLE) AS num, \
             CASE WHEN st.state = 'available' THEN CAST(coalesce({available}, 0) AS DOUBLE) ELSE 0 END AS den, \
             CASE WHEN st.state = 'available' THEN 'available for ' || {available_text} || ' s, not handling' \
                  ELSE 'state ' || coalesce(st.state, '(none)') || ': neither handling nor available' END AS reason, \
             CAST(NULL AS VARCHAR) AS related_id \
             FROM {sfrom} WHERE {stime}",
            available_text = number_text(available),
        );
        // Both parts filter on the request's range: contacts first, then agent states.
        let params = vec![
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end),
            SqlValue::Timestamp(req.period_start),
            SqlValue::Timestamp(req.period_end),
        ];
        Ok(records_query(sql, params, "ratio", true))
    }
}

export_metric!(Occupancy, records);
