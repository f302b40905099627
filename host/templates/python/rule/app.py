"""{{name}}: a coaching task for agents who handled few contacts, a rule plugin (the `rule`
world of wit/cxhost.wit) in Python. It judges the seven days before `judged-until`; the host
keeps the actions ledger (one live task per agent and cause, tasks closed when no longer
proposed)."""

import wit_world
from componentize_py_types import Err
from wit_world.imports import host, rule_types, types

WEEK_MICROS = 7 * 24 * 3600 * 1_000_000


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
            kind=types.PluginKind.RULE,
            description=(
                "Opens a coaching task for every agent who handled fewer than `min_contacts` "
                "contacts in the seven days before the judged day."
            ),
            params=[
                types.ParamSpec(
                    name="min_contacts",
                    type=types.ParamType.INTEGER,
                    default=types.ParamValue_Integer(3),
                    description="Fewest handled contacts a week that opens no task.",
                )
            ],
        )

    def evaluate(self, request: rule_types.RuleRequest) -> rule_types.RuleResult:
        minimum = [p.value.value for p in request.params if p.name == "min_contacts"][0]
        start, end = request.judged_until - WEEK_MICROS, request.judged_until
        sql = (
            "SELECT a.agent_id, count(i.interaction_id) AS handled FROM agents a "
            "LEFT JOIN interactions i ON i.agent_id = a.agent_id AND i.outcome = 'handled' "
            "AND i.offered_at >= ? AND i.offered_at < ? "
            "GROUP BY 1 HAVING count(i.interaction_id) < ? ORDER BY 1"
        )
        params = [types.SqlValue_Timestamp(start), types.SqlValue_Timestamp(end), types.SqlValue_Integer(minimum)]
        batch = host.query(sql, params)
        actions = [
            rule_types.Action(
                kind=rule_types.ActionKind.COACHING_TASK,
                agent_id=agent,
                team=None,
                subject="handled_contacts",
                cause=f"handled-below-{minimum}",
                title=f"{agent} handled {n} contacts in a week",
                detail=f"Fewer than {minimum} handled contacts in the seven days judged.",
                evidence=[
                    rule_types.EvidenceItem(
                        metric="handled_contacts",
                        period_start=start,
                        period_end=end,
                        value=float(n),
                        threshold=float(minimum),
                        sample=None,
                        breach=True,
                    )
                ],
                priority=3,
                due_days=7,
            )
            for agent, n in zip(column(batch, "agent_id"), column(batch, "handled"))
        ]
        return rule_types.RuleResult(period_start=start, period_end=end, actions=actions)
