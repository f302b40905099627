"""Average handle time as a Python plugin (`py_aht`): the standard `aht` metric written for
componentize-py, giving the same figures as the Rust one (plugins/metrics/aht). Like it, it
pushes the work into SQL through `host.query` and only turns the grouped sums into rows.

Build (the `metric` world of wit/cxhost.wit, componentize-py's default settings):
    componentize-py -d wit -w metric componentize -p plugins/polyglot/python-aht app -o py_aht.wasm
"""

from typing import List, Optional

import wit_world
from componentize_py_types import Err
from wit_world.imports import host, metric_types, types

NAME = "py_aht"
VERSION = "1.0.0"
UNIT = "seconds"

# One aggregate over the request's range, as the Rust SDK's RowRatio builds it for `aht`:
# numerator = talk + hold + wrap, denominator = 1 per handled contact.
NUM = "i.talk_seconds + i.hold_seconds + i.wrap_seconds"
DEN = "1"
COUNTED = "i.outcome = 'handled'"


def grouping(group_by: metric_types.GroupBy) -> tuple:
    """The expression naming each row's group and the FROM clause it needs."""
    g = metric_types.GroupBy
    source = "interactions i"
    if group_by == g.AGENT:
        return "i.agent_id", source
    if group_by in (g.TEAM, g.SITE):
        column = "a.team" if group_by == g.TEAM else "a.site"
        return column, source + " LEFT JOIN agents a ON a.agent_id = i.agent_id"
    if group_by == g.QUEUE:
        return "i.queue", source
    if group_by == g.CHANNEL:
        return "i.channel", source
    if group_by == g.DAY:
        return "date_trunc('day', i.offered_at)", source
    if group_by == g.WEEK:
        return "date_trunc('week', i.offered_at)", source
    if group_by == g.MONTH:
        return "date_trunc('month', i.offered_at)", source
    return "'total'", source


def column(batch: types.Batch, name: str) -> types.Column:
    for c in batch.columns:
        if c.name == name:
            return c
    raise Err(f"{NAME}: the query returned no column `{name}`")


def values(col: types.Column) -> List[Optional[object]]:
    """A column's values with None where it is null."""
    vals = list(col.values.value)
    if not col.nulls:
        return vals
    return [None if null else v for v, null in zip(vals, col.nulls)]


def floats(col: types.Column) -> List[Optional[float]]:
    return [None if v is None else float(v) for v in values(col)]


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name=NAME,
            version=VERSION,
            kind=types.PluginKind.METRIC,
            description=(
                "Average handle time in seconds = (talk + hold + wrap) / handled contacts, "
                "written in Python. Counts contacts with outcome `handled` offered in the range; "
                "abandoned and self-service contacts are excluded."
            ),
            params=[],
        )

    def compute(self, request: metric_types.MetricRequest) -> metric_types.MetricResult:
        key, source = grouping(request.group_by)
        sql = (
            f"SELECT {key} AS grp, CAST(sum({NUM}) AS DOUBLE) AS num, CAST(sum({DEN}) AS DOUBLE) AS den "
            f"FROM {source} WHERE coalesce(({COUNTED}), FALSE) "
            "AND i.offered_at >= ? AND i.offered_at < ? GROUP BY 1 ORDER BY 1"
        )
        g = metric_types.GroupBy
        if request.group_by in (g.DAY, g.WEEK):
            sql = f"SELECT strftime(grp, '%Y-%m-%d') AS grp, num, den FROM ({sql}) AS metric"
        elif request.group_by == g.MONTH:
            sql = f"SELECT strftime(grp, '%Y-%m') AS grp, num, den FROM ({sql}) AS metric"
        params = [
            types.SqlValue_Timestamp(request.period_start),
            types.SqlValue_Timestamp(request.period_end),
        ]
        batch = host.query(sql, params)
        groups = values(column(batch, "grp"))
        nums = floats(column(batch, "num"))
        dens = floats(column(batch, "den"))
        rows = []
        for group, num, den in zip(groups, nums, dens):
            value = num / den if num is not None and den is not None and den != 0.0 else None
            rows.append(
                metric_types.MetricRow(
                    group="(none)" if group is None else str(group),
                    value=value,
                    numerator=num,
                    denominator=den,
                )
            )
        return metric_types.MetricResult(unit=UNIT, rows=rows)
