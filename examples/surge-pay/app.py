"""surge_pay: hourly pay with surge pricing, a pay-model plugin in Python (the `pay-model`
world of wit/cxhost.wit, built with componentize-py).

Each agent is paid for the handle time (talk + hold + wrap) of the contacts they handled in the
period, at `rate_cents_per_hour`; the hours of contacts offered in the daily surge interval
[`surge_start_hour`, `surge_end_hour`) (UTC) are paid 1.5 times that rate. The sums happen in
SQL; money is in integer cents, each line's amount rounded to the nearest cent."""

import wit_world
from componentize_py_types import Err
from wit_world.imports import host, pay_types, types

PARAMS = [
    ("rate_cents_per_hour", 1800, "Pay per handled hour outside surge, in cents."),
    ("surge_start_hour", 17, "Start of the daily surge interval, hour of the day (UTC), inclusive."),
    ("surge_end_hour", 21, "End of the daily surge interval, hour of the day (UTC), exclusive."),
]
SURGE_MULTIPLIER_PERCENT = 150


def param(request, name: str) -> int:
    for p in request.params:
        if p.name == name and isinstance(p.value, types.ParamValue_Integer):
            return p.value.value
    raise Err(f"parameter `{name}` is missing or not an integer")


def column(batch: types.Batch, name: str) -> list:
    for c in batch.columns:
        if c.name == name:
            return list(c.values.value)
    raise Err(f"the query answered no column `{name}`")


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="surge_pay",
            version="1.0.0",
            kind=types.PluginKind.PAY_MODEL,
            description=(
                "Hourly pay with surge pricing: each agent's handled hours (talk + hold + wrap of the "
                "contacts they handled in the period) at `rate_cents_per_hour`, in two lines: `base` for "
                "contacts offered outside the daily surge interval, `surge` at 1.5 times the rate for "
                "those offered in [`surge_start_hour`, `surge_end_hour`) UTC. Amounts are rounded to the cent."
            ),
            params=[
                types.ParamSpec(name=n, type=types.ParamType.INTEGER, default=types.ParamValue_Integer(d), description=t)
                for n, d, t in PARAMS
            ],
        )

    def compute_pay(self, request: pay_types.PayRequest) -> list:
        rate = param(request, "rate_cents_per_hour")
        start, end = param(request, "surge_start_hour"), param(request, "surge_end_hour")
        if not (0 <= start <= end <= 24) or rate < 0:
            raise Err("surge hours must satisfy 0 <= surge_start_hour <= surge_end_hour <= 24, and the rate be >= 0")
        surge_rate = rate * SURGE_MULTIPLIER_PERCENT // 100
        sql = (
            "SELECT agent_id, hour(offered_at) >= ? AND hour(offered_at) < ? AS surge, "
            "CAST(sum(talk_seconds + hold_seconds + wrap_seconds) AS BIGINT) AS seconds "
            "FROM interactions WHERE outcome = 'handled' AND agent_id IS NOT NULL "
            "AND offered_at >= ? AND offered_at < ? GROUP BY 1, 2 ORDER BY 1, 2"
        )
        batch = host.query(
            sql,
            [
                types.SqlValue_Integer(start),
                types.SqlValue_Integer(end),
                types.SqlValue_Timestamp(request.period_start),
                types.SqlValue_Timestamp(request.period_end),
            ],
        )
        lines = []
        for agent, surge, seconds in zip(column(batch, "agent_id"), column(batch, "surge"), column(batch, "seconds")):
            line_rate = surge_rate if surge else rate
            lines.append(
                pay_types.PayLine(
                    agent_id=agent,
                    component="surge" if surge else "base",
                    quantity=seconds / 3600,
                    rate_cents=line_rate,
                    # Integer arithmetic, rounded half up: no float in money.
                    amount_cents=(seconds * line_rate + 1800) // 3600,
                    note=f"{seconds} s handled" + (f", offered {start}:00-{end}:00 UTC" if surge else ""),
                )
            )
        return lines
