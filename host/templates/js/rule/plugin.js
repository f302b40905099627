// {{name}}: a coaching task for agents who handled few contacts, a rule plugin (the `rule`
// world of wit/cxhost.wit) in JavaScript. It judges the seven days before `judged-until`; the
// host keeps the actions ledger (one live task per agent and cause, tasks closed when no longer
// proposed). Times are microseconds since the Unix epoch, as BigInt.

import { query } from "cxhost:plugin/host@0.1.0";

const WEEK_MICROS = 7n * 24n * 3600n * 1000000n;

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
    kind: "rule",
    description:
      "Opens a coaching task for every agent who handled fewer than `min_contacts` contacts in the " +
      "seven days before the judged day.",
    params: [
      {
        name: "min_contacts",
        type: "integer",
        default: { tag: "integer", val: 3n },
        description: "Fewest handled contacts a week that opens no task.",
      },
    ],
  };
}

export function evaluate(request) {
  const min = request.params.find((p) => p.name === "min_contacts").value.val;
  const [start, end] = [request.judgedUntil - WEEK_MICROS, request.judgedUntil];
  const batch = query(
    "SELECT a.agent_id, count(i.interaction_id) AS handled FROM agents a " +
      "LEFT JOIN interactions i ON i.agent_id = a.agent_id AND i.outcome = 'handled' " +
      "AND i.offered_at >= ? AND i.offered_at < ? " +
      "GROUP BY 1 HAVING count(i.interaction_id) < ? ORDER BY 1",
    [
      { tag: "timestamp", val: start },
      { tag: "timestamp", val: end },
      { tag: "integer", val: min },
    ],
  );
  const handled = column(batch, "handled");
  const actions = column(batch, "agent_id").map((agentId, i) => ({
    kind: "coaching-task",
    agentId,
    team: undefined,
    subject: "handled_contacts",
    cause: `handled-below-${min}`,
    title: `${agentId} handled ${handled[i]} contacts in a week`,
    detail: `Fewer than ${min} handled contacts in the seven days judged.`,
    evidence: [
      {
        metric: "handled_contacts",
        periodStart: start,
        periodEnd: end,
        value: Number(handled[i]),
        threshold: Number(min),
        sample: undefined,
        breach: true,
      },
    ],
    priority: 3,
    dueDays: 7,
  }));
  return { periodStart: start, periodEnd: end, actions };
}
