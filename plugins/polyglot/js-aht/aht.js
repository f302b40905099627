// Average handle time as a JavaScript plugin (`js_aht`): the standard `aht` metric written
// for jco / componentize-js, giving the same figures as the Rust one (plugins/metrics/aht).
// Like it, it pushes the work into SQL through `host.query` and only turns the grouped sums
// into rows.
//
// Build (the `metric` world of wit/cxhost.wit, jco's default settings):
//   jco componentize plugins/polyglot/js-aht/aht.js --wit wit --world-name metric -o js_aht.wasm

import { query } from "cxhost:plugin/host@0.1.0";

const NAME = "js_aht";
const VERSION = "1.0.0";
const UNIT = "seconds";

// One aggregate over the request's range, as the Rust SDK's RowRatio builds it for `aht`:
// numerator = talk + hold + wrap, denominator = 1 per handled contact.
const NUM = "i.talk_seconds + i.hold_seconds + i.wrap_seconds";
const DEN = "1";
const COUNTED = "i.outcome = 'handled'";

// The expression naming each row's group and the FROM clause it needs.
function grouping(groupBy) {
  const source = "interactions i";
  const agents = " LEFT JOIN agents a ON a.agent_id = i.agent_id";
  switch (groupBy) {
    case "agent":
      return ["i.agent_id", source];
    case "team":
      return ["a.team", source + agents];
    case "site":
      return ["a.site", source + agents];
    case "queue":
      return ["i.queue", source];
    case "channel":
      return ["i.channel", source];
    case "day":
    case "week":
    case "month":
      return [`date_trunc('${groupBy}', i.offered_at)`, source];
    default:
      return ["'total'", source];
  }
}

function column(batch, name) {
  const found = batch.columns.find((c) => c.name === name);
  if (!found) {
    throw `${NAME}: the query returned no column \`${name}\``;
  }
  // A column's values with null where it is null.
  const values = Array.from(found.values.val);
  return found.nulls.length === 0 ? values : values.map((v, i) => (found.nulls[i] ? null : v));
}

export function describe() {
  return {
    name: NAME,
    version: VERSION,
    kind: "metric",
    description:
      "Average handle time in seconds = (talk + hold + wrap) / handled contacts, written in " +
      "JavaScript. Counts contacts with outcome `handled` offered in the range; abandoned and " +
      "self-service contacts are excluded.",
    params: [],
  };
}

export function compute(request) {
  const [key, source] = grouping(request.groupBy);
  let sql =
    `SELECT ${key} AS grp, CAST(sum(${NUM}) AS DOUBLE) AS num, CAST(sum(${DEN}) AS DOUBLE) AS den ` +
    `FROM ${source} WHERE coalesce((${COUNTED}), FALSE) ` +
    "AND i.offered_at >= ? AND i.offered_at < ? GROUP BY 1 ORDER BY 1";
  if (request.groupBy === "day" || request.groupBy === "week") {
    sql = `SELECT strftime(grp, '%Y-%m-%d') AS grp, num, den FROM (${sql}) AS metric`;
  } else if (request.groupBy === "month") {
    sql = `SELECT strftime(grp, '%Y-%m') AS grp, num, den FROM (${sql}) AS metric`;
  }
  const batch = query(sql, [
    { tag: "timestamp", val: request.periodStart },
    { tag: "timestamp", val: request.periodEnd },
  ]);
  const groups = column(batch, "grp");
  const nums = column(batch, "num");
  const dens = column(batch, "den");
  const rows = groups.map((group, i) => {
    const num = nums[i] === null ? undefined : Number(nums[i]);
    const den = dens[i] === null ? undefined : Number(dens[i]);
    const value = num !== undefined && den !== undefined && den !== 0 ? num / den : undefined;
    return { group: group === null ? "(none)" : String(group), value, numerator: num, denominator: den };
  });
  return { unit: UNIT, rows };
}
