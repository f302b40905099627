//! Standard metric: agent occupancy.

use cxhost_plugin_sdk::prelude::*;

struct Occupancy;

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
        let states = grouping(Source::AgentStates, req).map_err(|_| {
            "occupancy cannot be grouped by queue or channel: available time belongs to agents, \
             not to queues or channels; group by agent, team, site or a period instead"
                .to_string()
        })?;
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

export_metric!(Occupancy);
