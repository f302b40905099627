// {{name}}: handled contacts per group, a metric plugin (the `metric` world of
// wit/cxhost.wit) in JavaScript. The counting happens in SQL, through `host.query`; the plugin
// shapes rows.

import { query } from "cxhost:plugin/host@0.1.0";

const AGENTS = " LEFT JOIN agents a ON a.agent_id = i.agent_id";
const GROUPS = {
  agent: ["i.agent_id", ""],
  team: ["a.team", AGENTS],
  site: ["a.site", AGENTS],
  queue: ["i.queue", ""],
  channel: ["i.channel", ""],
  day: ["strftime(date_trunc('day', i.offered_at), '%Y-%m-%d')", ""],
  week: ["strftime(date_trunc('week', i.offered_at), '%Y-%m-%d')", ""],
  month: ["strftime(date_trunc('month', i.offered_at), '%Y-%m')", ""],
  total: ["'total'", ""],
};

// A column's values, null where null (64-bit integers arrive as BigInt).
function column(batch, name) {
  const found = batch.columns.find((c) => c.name === name);
  if (!found) {
    throw `the query answered no column \`${name}\``;
  }
  return Array.from(found.values.val, (v, i) => (found.nulls.length && found.nulls[i] ? null : v));
}

export function describe() {
  return {
    name: "{{name}}",
    version: "0.1.0",
    kind: "metric",
    description:
      "Handled contacts: interactions with outcome `handled` offered in the range, counted per group. " +
      "Days and weeks (from Monday) are named by their first day, `YYYY-MM-DD`; months `YYYY-MM`.",
    params: [],
  };
}

export function compute(request) {
  const [key, join] = GROUPS[request.groupBy];
  const sql =
    `SELECT CAST(${key} AS VARCHAR) AS grp, count(*) AS handled FROM interactions i${join} ` +
    "WHERE i.outcome = 'handled' AND i.offered_at >= ? AND i.offered_at < ? GROUP BY 1 ORDER BY 1";
  const batch = query(sql, [
    { tag: "timestamp", val: request.periodStart },
    { tag: "timestamp", val: request.periodEnd },
  ]);
  const handled = column(batch, "handled");
  const rows = column(batch, "grp").map((group, i) => ({
    group: group ?? "(none)",
    value: Number(handled[i]),
    numerator: undefined,
    denominator: undefined,
  }));
  return { unit: "contacts", rows };
}
