"""{{name}}: handled contacts per group, a metric plugin (the `metric` world of wit/cxhost.wit)
in Python. The counting happens in SQL, through `host.query`; the plugin shapes rows."""

import wit_world
from componentize_py_types import Err
from wit_world.imports import host, metric_types, types

G = metric_types.GroupBy
AGENTS = " LEFT JOIN agents a ON a.agent_id = i.agent_id"
GROUPS = {
    G.AGENT: ("i.agent_id", ""),
    G.TEAM: ("a.team", AGENTS),
    G.SITE: ("a.site", AGENTS),
    G.QUEUE: ("i.queue", ""),
    G.CHANNEL: ("i.channel", ""),
    G.DAY: ("strftime(date_trunc('day', i.offered_at), '%Y-%m-%d')", ""),
    G.WEEK: ("strftime(date_trunc('week', i.offered_at), '%Y-%m-%d')", ""),
    G.MONTH: ("strftime(date_trunc('month', i.offered_at), '%Y-%m')", ""),
    G.TOTAL: ("'total'", ""),
}


def column(batch: types.Batch, name: str) -> list:
    """A column's values, None where null."""
    for c in batch.columns:
        if c.name == name:
            return [None if c.nulls and c.nulls[i] else v for i, v in enumerate(c.values.value)]
    raise Err(f"the query answered no column `{name}`")


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="{{name}}",
            version="0.1.0",
            kind=types.PluginKind.METRIC,
            description=(
                "Handled contacts: interactions with outcome `handled` offered in the range, counted per "
                "group. Days and weeks (from Monday) are named by their first day, `YYYY-MM-DD`; months `YYYY-MM`."
            ),
            params=[],
        )

    def compute(self, request: metric_types.MetricRequest) -> metric_types.MetricResult:
        key, join = GROUPS[request.group_by]
        sql = (
            f"SELECT CAST({key} AS VARCHAR) AS grp, count(*) AS handled FROM interactions i{join} "
            "WHERE i.outcome = 'handled' AND i.offered_at >= ? AND i.offered_at < ? GROUP BY 1 ORDER BY 1"
        )
        batch = host.query(sql, [types.SqlValue_Timestamp(request.period_start), types.SqlValue_Timestamp(request.period_end)])
        rows = [
            metric_types.MetricRow(group=group or "(none)", value=float(n), numerator=None, denominator=None)
            for group, n in zip(column(batch, "grp"), column(batch, "handled"))
        ]
        return metric_types.MetricResult(unit="contacts", rows=rows)
