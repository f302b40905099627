// {{name}}: points per handled contact, a game-mechanic plugin (the `game-mechanic` world of
// wit/cxhost.wit) in JavaScript. The host keeps the points ledger and the leaderboards.

import { query } from "cxhost:plugin/host@0.1.0";

// A column's values (64-bit integers arrive as BigInt).
function column(batch, name) {
  const found = batch.columns.find((c) => c.name === name);
  if (!found) {
    throw `the query answered no column \`${name}\``;
  }
  return Array.from(found.values.val);
}

export function describe() {
  return {
    name: "{{name}}",
    version: "0.1.0",
    kind: "game-mechanic",
    description: "Awards each agent `points_per_contact` points per contact handled in the period.",
    params: [
      {
        name: "points_per_contact",
        type: "integer",
        default: { tag: "integer", val: 1n },
        description: "Points per handled contact.",
      },
    ],
  };
}

export function award(request) {
  const perContact = request.params.find((p) => p.name === "points_per_contact").value.val;
  const batch = query(
    "SELECT agent_id, count(*) AS handled FROM interactions " +
      "WHERE outcome = 'handled' AND agent_id IS NOT NULL AND offered_at >= ? AND offered_at < ? " +
      "GROUP BY 1 ORDER BY 1",
    [
      { tag: "timestamp", val: request.periodStart },
      { tag: "timestamp", val: request.periodEnd },
    ],
  );
  const handled = column(batch, "handled");
  const awards = column(batch, "agent_id").map((agentId, i) => ({
    agentId,
    kind: "points",
    amount: handled[i] * perContact,
    code: "",
    reason: `${handled[i]} handled contacts`,
  }));
  return { awards, flags: [] };
}
