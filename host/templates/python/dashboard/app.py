"""{{name}}: one KPI panel, the handled contacts of the range — a dashboard plugin (the
`dashboard` world of wit/cxhost.wit) in Python. A panel's data is JSON whose shape its kind fixes."""

import json

import wit_world
from wit_world.imports import dashboard_types, host, types


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="{{name}}",
            version="0.1.0",
            kind=types.PluginKind.DASHBOARD,
            description="One KPI panel: the contacts handled in the range.",
            params=[],
        )

    def render(self, request: dashboard_types.DashboardRequest) -> list:
        sql = "SELECT count(*) AS handled FROM interactions WHERE outcome = 'handled' AND offered_at >= ? AND offered_at < ?"
        batch = host.query(sql, [types.SqlValue_Timestamp(request.period_start), types.SqlValue_Timestamp(request.period_end)])
        handled = list(batch.columns[0].values.value)
        data = {"value": handled[0] if handled else 0, "unit": "contacts", "note": "handled in the range"}
        return [dashboard_types.Panel(title="Handled contacts", kind=dashboard_types.PanelKind.KPI, data_json=json.dumps(data))]
