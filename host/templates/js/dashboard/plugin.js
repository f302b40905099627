// {{name}}: one KPI panel, the handled contacts of the range — a dashboard plugin (the
// `dashboard` world of wit/cxhost.wit) in JavaScript. A panel's data is JSON whose shape its
// kind fixes.

import { query } from "cxhost:plugin/host@0.1.0";

export function describe() {
  return {
    name: "{{name}}",
    version: "0.1.0",
    kind: "dashboard",
    description: "One KPI panel: the contacts handled in the range.",
    params: [],
  };
}

export function render(request) {
  const batch = query(
    "SELECT count(*) AS handled FROM interactions WHERE outcome = 'handled' AND offered_at >= ? AND offered_at < ?",
    [
      { tag: "timestamp", val: request.periodStart },
      { tag: "timestamp", val: request.periodEnd },
    ],
  );
  const handled = Array.from(batch.columns[0].values.val);
  const data = { value: Number(handled[0] ?? 0n), unit: "contacts", note: "handled in the range" };
  return [{ title: "Handled contacts", kind: "kpi", dataJson: JSON.stringify(data) }];
}
