"""{{name}}: everything to the crowd pool, a router plugin (the `router` world of
wit/cxhost.wit) in Python. It runs on the live path for every new contact: no SQL, just the
contact (and, if needed, the host's roster of agents' figures)."""

import wit_world
from wit_world.imports import router_types, types


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="{{name}}",
            version="0.1.0",
            kind=types.PluginKind.ROUTER,
            description=(
                "Sends every contact to the crowd pool with its queue as the skill, at priority 5, "
                "leaving the choice of agent to the ACD."
            ),
            params=[],
        )

    def decide(self, request: router_types.RouteRequest) -> router_types.Route:
        return router_types.Route(
            pool=router_types.Pool.CROWD,
            skill=request.contact.queue,
            priority=5,
            agents=[],
            reason="every contact goes to the crowd pool",
        )
