// {{name}}: pay per handled contact, a pay-model plugin (the `pay-model` world of
// wit/cxhost.wit) in JavaScript. Money is in integer cents (64-bit integers are BigInt); the
// counting happens in SQL.

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
    kind: "pay-model",
    description:
      "Pays each agent `rate_cents` per contact handled in the period: one line " +
      "`handled_contacts` per agent with a handled contact.",
    params: [
      {
        name: "rate_cents",
        type: "integer",
        default: { tag: "integer", val: 50n },
        description: "Pay per handled contact, in cents.",
      },
    ],
  };
}

export function computePay(request) {
  const rate = request.params.find((p) => p.name === "rate_cents");
  if (!rate || rate.value.tag !== "integer") {
    throw "parameter `rate_cents` is missing or not an integer";
  }
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
  return column(batch, "agent_id").map((agentId, i) => ({
    agentId,
    component: "handled_contacts",
    quantity: Number(handled[i]),
    rateCents: rate.value.val,
    amountCents: handled[i] * rate.value.val,
    note: "",
  }));
}
