"""{{name}}: points per handled contact, a game-mechanic plugin (the `game-mechanic` world of
wit/cxhost.wit) in Python. The host keeps the points ledger and the leaderboards."""

import wit_world
from componentize_py_types import Err
from wit_world.imports import game_types, host, types


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
            kind=types.PluginKind.GAME_MECHANIC,
            description="Awards each agent `points_per_contact` points per contact handled in the period.",
            params=[
                types.ParamSpec(
                    name="points_per_contact",
                    type=types.ParamType.INTEGER,
                    default=types.ParamValue_Integer(1),
                    description="Points per handled contact.",
                )
            ],
        )

    def award(self, request: game_types.AwardRequest) -> game_types.AwardResult:
        per_contact = [p.value.value for p in request.params if p.name == "points_per_contact"][0]
        sql = (
            "SELECT agent_id, count(*) AS handled FROM interactions "
            "WHERE outcome = 'handled' AND agent_id IS NOT NULL AND offered_at >= ? AND offered_at < ? "
            "GROUP BY 1 ORDER BY 1"
        )
        batch = host.query(sql, [types.SqlValue_Timestamp(request.period_start), types.SqlValue_Timestamp(request.period_end)])
        awards = [
            game_types.Award(
                agent_id=agent,
                kind=game_types.AwardKind.POINTS,
                amount=n * per_contact,
                code="",
                reason=f"{n} handled contacts",
            )
            for agent, n in zip(column(batch, "agent_id"), column(batch, "handled"))
        ]
        return game_types.AwardResult(awards=awards, flags=[])
