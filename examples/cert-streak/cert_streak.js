// cert_streak: a certification-streak badge, a game-mechanic plugin in JavaScript (the
// `game-mechanic` world of wit/cxhost.wit, built with jco / componentize-js).
//
// An agent's streak is the number of calendar months in a row, ending with the period's month,
// in each of which they completed at least one certification. A streak of `months` (default 3)
// or more earns the badge `cert_streak_<months>`; a shorter streak that includes the period's
// month shows as challenge progress toward it, in percent (rounded down). The months with a
// certification come from SQL; the plugin only counts the streaks.

import { query } from "cxhost:plugin/host@0.1.0";

function param(request, name) {
  const found = request.params.find((p) => p.name === name);
  if (!found || found.value.tag !== "integer") {
    throw `parameter \`${name}\` is missing or not an integer`;
  }
  return Number(found.value.val);
}

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
    name: "cert_streak",
    version: "1.0.0",
    kind: "game-mechanic",
    description:
      "Certification streak: an agent who completed at least one certification in each of `months` " +
      "calendar months in a row (UTC), ending with the period's month, earns the badge " +
      "`cert_streak_<months>`; a shorter streak that includes the period's month is challenge progress " +
      "toward it (streak / months, in percent, rounded down). No points.",
    params: [
      {
        name: "months",
        type: "integer",
        default: { tag: "integer", val: 3n },
        description: "Months in a row (1 to 24) that earn the badge.",
      },
    ],
  };
}

export function award(request) {
  const months = param(request, "months");
  if (months < 1 || months > 24) {
    throw `parameter \`months\` must be between 1 and 24, got ${months}`;
  }
  // For each agent, how many months before the period's month each certification's month is
  // (0: the period's month), once per month.
  const batch = query(
    "SELECT agent_id, datediff('month', date_trunc('month', completed_at), date_trunc('month', ?)) AS back " +
      "FROM certifications WHERE completed_at < ? GROUP BY 1, 2 ORDER BY 1, 2",
    [
      { tag: "timestamp", val: request.periodStart },
      { tag: "timestamp", val: request.periodEnd },
    ],
  );
  const back = column(batch, "back");
  const monthsOf = new Map();
  column(batch, "agent_id").forEach((agent, i) => {
    if (!monthsOf.has(agent)) monthsOf.set(agent, new Set());
    monthsOf.get(agent).add(Number(back[i]));
  });
  const code = `cert_streak_${months}`;
  const awards = [];
  for (const [agent, certified] of monthsOf) {
    let streak = 0;
    while (certified.has(streak)) streak += 1;
    if (streak >= months) {
      const reason = `certified in each of the last ${months} months`;
      awards.push({ agentId: agent, kind: "badge", amount: 0n, code, reason });
    } else if (streak > 0) {
      const percent = BigInt(Math.floor((100 * streak) / months));
      const reason = `${streak} of ${months} months in a row`;
      awards.push({ agentId: agent, kind: "challenge-progress", amount: percent, code, reason });
    }
  }
  return { awards, flags: [] };
}
