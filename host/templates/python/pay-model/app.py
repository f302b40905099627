"""{{name}}: pay per handled contact, a pay-model plugin (the `pay-model` world of
wit/cxhost.wit) in Python. Money is in integer cents; the counting happens in SQL."""

import wit_world
from componentize_py_types import Err
from wit_world.imports import host, pay_types, types


def column(batch: types.Batch, name: str) -> list:
    for c in batch.columns:
        if c.name == name:
            return list(c.values.value)
    raise Err(f"the query answered no column `{name}`")


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="{{name}}",
            version="0.1.0",
            kind=types.PluginKind.PAY_MODEL,
            description=(
                "Pays each agent `rate_cents` per contact handled in the period: one line "
                "`handled_contacts` per agent with a handled contact."
            ),
            params=[
                types.ParamSpec(
                    name="rate_cents",
                    type=types.ParamType.INTEGER,
                    default=types.ParamValue_Integer(50),
                    description="Pay per handled contact, in cents.",
                )
            ],
        )

    def compute_pay(self, request: pay_types.PayRequest) -> list:
        rates = [p.value.value for p in request.params if p.name == "rate_cents"]
        if not rates or not isinstance(rates[0], int):
            raise Err("parameter `rate_cents` is missing or not an integer")
        sql = (
            "SELECT agent_id, count(*) AS handled FROM interactions "
            "WHERE outcome = 'handled' AND agent_id IS NOT NULL AND offered_at >= ? AND offered_at < ? "
            "GROUP BY 1 ORDER BY 1"
        )
        batch = host.query(sql, [types.SqlValue_Timestamp(request.period_start), types.SqlValue_Timestamp(request.period_end)])
        return [
            pay_types.PayLine(
                agent_id=agent,
                component="handled_contacts",
                quantity=float(n),
                rate_cents=rates[0],
                amount_cents=n * rates[0],
                note="",
            )
            for agent, n in zip(column(batch, "agent_id"), column(batch, "handled"))
        ]
