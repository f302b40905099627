//! Test plugin: a hostile router that attacks the sandbox as its `mode` parameter says. Loops,
//! stack and memory exhaustion, traps, log floods and WASI probes come from ../../hostile.rs,
//! as does a hostile `describe()` picked by patching the .wasm. Malformed routes, failing, being
//! slow, trying SQL on the live path, and answering deterministically per contact are handled
//! here.
//!
//! Modes of `decide` (the parameters are hostile.rs's four: `mode`, `sql`, `n`, `size`):
//! - `normal` (and `ok`): pool crowd, skill = the queue, priority 5, no agents, reason
//!   `hostile-router normal`
//! - `by_contact`: in-house when the contact id ends with an odd digit, otherwise crowd; skill =
//!   the queue, priority 5, reason `hostile-router by_contact: in-house` or `…: crowd`
//! - `slow`: busy for about `n` milliseconds (no clock is granted: a calibrated loop), then
//!   `normal` with reason `hostile-router slow <n> ms`
//! - `sql`: runs `sql` through `host.query`, which must fail for a router; the route is `normal`
//!   with the host's error as the reason. If the query answers, the decision fails instead.
//! - `roster`: the best ten agents of either pool by quality as the preferred agents, with
//!   reason `roster: <agents> agents, <window> days`
//! - `echo`: `normal` with the contact's fields as the reason:
//!   `id|channel|queue|reason|customer|tier|language|likelihood|name=value,…`
//! - `fail`: an error
//! - garbage: `bad_priority` (priority `n`, so 0 by default; use 11 for too high),
//!   `too_many_agents` (`n` agents, 11 when `n` is 0), `huge_reason` (`size` bytes, 1 MiB by
//!   default), `control_chars` (a NUL, a newline and an ANSI escape in the reason),
//!   `bad_skill` (a skill on two lines), `bad_agent` (an agent id on two lines)
//! - anything else goes to `hostile::run`: `loop`, `recurse`, `grow`, `trap`, `sql_loop`,
//!   `log_flood`, `log_forge`, `huge_error` and the `wasi_*` probes.

#[path = "../../hostile.rs"]
mod hostile;

use std::hint::black_box;

use cxhost_router_sdk::{
    AgentOrder, Contact, LiveRoster, ParamsExt, PluginInfo, PluginKind, Pool, Roster, Route, RouteRequest, clean,
    export_router, router,
};
use hostile::{MIB, Outcome, filler};

struct HostileRouter;

/// Iterations of [`busy`]'s loop per millisecond: measured under wasmtime (Cranelift, epoch
/// interruption) on the development machine, about 800,000. Only approximate elsewhere.
const ITERATIONS_PER_MS: u64 = 800_000;

impl router::Guest for HostileRouter {
    fn describe() -> PluginInfo {
        hostile::describe(
            PluginKind::Router,
            "hostile_router",
            "Hostile Router!",
            "Attacks the sandbox as its `mode` parameter says; used by the hostile-plugin and routing tests.",
        )
    }

    fn decide(req: RouteRequest) -> Result<Route, String> {
        let args = hostile::Args {
            mode: req.params.text("mode")?,
            sql: req.params.text("sql")?,
            n: req.params.int("n")?,
            size: req.params.int("size")?,
        };
        let contact = &req.contact;
        let normal = |reason: &str| Route {
            pool: Pool::Crowd,
            skill: contact.queue.clone(),
            priority: 5,
            agents: Vec::new(),
            reason: reason.to_string(),
        };
        let one = |edit: &dyn Fn(&mut Route)| {
            let mut route = normal("hostile-router garbage");
            edit(&mut route);
            route
        };
        Ok(match args.mode {
            "normal" => normal("hostile-router normal"),
            "by_contact" => {
                let odd = contact.contact_id.chars().last().and_then(|c| c.to_digit(10)).is_some_and(|d| d % 2 == 1);
                let pool = if odd { Pool::InHouse } else { Pool::Crowd };
                let reason =
                    if odd { "hostile-router by_contact: in-house" } else { "hostile-router by_contact: crowd" };
                Route { pool, ..normal(reason) }
            }
            "slow" => {
                busy(args.n);
                normal(&format!("hostile-router slow {} ms", args.n))
            }
            "sql" => match cxhost_sdk_core::query(args.sql, &[]) {
                Err(e) => normal(&clean(&e, 300)),
                Ok(table) => return Err(format!("host.query answered {} rows to a router", table.row_count())),
            },
            "roster" => {
                let info = LiveRoster.info();
                let agents = LiveRoster.agents(None, "", false, AgentOrder::Quality, 10);
                let reason = format!("roster: {} agents, {} days", info.agents, info.window_days);
                Route { agents: agents.into_iter().map(|a| a.agent_id).collect(), ..normal(&reason) }
            }
            "echo" => normal(&clean(&echo(contact), 300)),
            "fail" => return Err("hostile-router fails as asked".to_string()),
            "bad_priority" => one(&|r| r.priority = args.n.clamp(0, 255) as u8),
            "too_many_agents" => {
                let n = if args.n > 0 { args.n } else { 11 };
                one(&|r| r.agents = (0..n).map(|i| format!("agent-{i}")).collect())
            }
            "huge_reason" => one(&|r| r.reason = filler(args.bytes(MIB), "r")),
            "control_chars" => one(&|r| r.reason = "hostile\u{0}reason\nwith \u{1b}[31mred".to_string()),
            "bad_skill" => one(&|r| r.skill = "two\nlines".to_string()),
            "bad_agent" => one(&|r| r.agents = vec!["agent\nforged".to_string()]),
            _ => match hostile::run(&args)? {
                Outcome::Ok => normal("hostile-router normal"),
                Outcome::Figure(value, unit) => normal(&format!("hostile-router {value} {unit}")),
            },
        })
    }
}

/// Busy for about `ms` milliseconds without a clock (none is granted): a loop whose every
/// step depends on the last, through `black_box` so that the optimizer keeps it.
fn busy(ms: i64) {
    let iterations = ms.max(0) as u64 * ITERATIONS_PER_MS;
    let mut x: u64 = 0;
    for i in 0..iterations {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    black_box(x);
}

/// The contact's fields on one line, `|`-separated.
fn echo(c: &Contact) -> String {
    let likelihood = c.sales_likelihood.map(|l| l.to_string()).unwrap_or_default();
    let attributes: Vec<String> = c.attributes.iter().map(|(n, v)| format!("{n}={v}")).collect();
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}",
        c.contact_id,
        c.channel,
        c.queue,
        c.contact_reason,
        c.customer_id,
        c.customer_tier,
        c.language,
        likelihood,
        attributes.join(",")
    )
}

export_router!(HostileRouter);
