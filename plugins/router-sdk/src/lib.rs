//! The cxhost router SDK: WIT bindings of the router world (a crate of its own, since a
//! component carries the worlds of every binding linked into it) on top of the shared core
//! (`cxhost-sdk-core`), the roster snapshot a router reads instead of SQL, and the small pieces
//! most routers need — a contact's attributes and sales likelihood, lists in a text
//! parameter, and a [`route`] builder whose answer always passes the host's checks.
//!
//! A router sits on the live path of every new contact and gets a fresh instance per call, so
//! keep it small and quick: a few [`roster`] calls, no large allocations, no parsing of large
//! data per call. `host.query` answers an error for routers.
//!
//! Write the decision against the [`Roster`] trait and it runs natively too: [`LiveRoster`]
//! reads the host's snapshot inside the component, [`MemoryRoster`] answers the same way from
//! a list of agents in a unit test (`cargo test --target x86_64-unknown-linux-gnu`).
//!
//! ```ignore
//! use cxhost_router_sdk::prelude::*;
//! struct VipRouter;
//! impl router::Guest for VipRouter {
//!     fn describe() -> PluginInfo {
//!         info("vip_router", "1.0.0", "Gold customers to in-house staff, the rest to the crowd.", vec![])
//!     }
//!     fn decide(req: RouteRequest) -> Result<Route, String> {
//!         let c = &req.contact;
//!         let pool = if c.customer_tier == "gold" { Pool::InHouse } else { Pool::Crowd };
//!         let agents = LiveRoster.preferred(pool, &c.queue, true, AgentOrder::Quality, 5);
//!         Ok(route(pool, &c.queue, 5, agents, "tier rule"))
//!     }
//! }
//! export_router!(VipRouter);
//! ```

/// Bindings of the router world; `types` and `host` are the core's.
pub mod router {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "router",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
        },
        additional_derives: [PartialEq],
        // The request holds the core's `param`, which has no `PartialEq`.
        additional_derives_ignore: ["route-request"],
        pub_export_macro: true,
        export_macro_name: "export_router_world",
        default_bindings_module: "cxhost_router_sdk::router",
    });
}

mod view;

pub use cxhost_sdk_core::{
    LogLevel, Param, ParamSpec, ParamType, ParamValue, ParamsExt, PluginInfo, PluginKind, log, param_bool, param_float,
    param_int, param_text,
};
pub use router::cxhost::plugin::roster::{self, AgentFigures, AgentOrder, SnapshotInfo};
pub use router::cxhost::plugin::router_types::{Contact, Pool, Route, RouteRequest};
pub use view::{LiveRoster, MemoryRoster, Roster, agent_figures};

/// The lowest priority of a route.
pub const MIN_PRIORITY: u8 = 1;
/// The highest (most urgent) priority of a route.
pub const MAX_PRIORITY: u8 = 10;
/// Most preferred agents a route may name.
pub const MAX_AGENTS: usize = 10;
/// Most agents one `roster.agents` call answers.
pub const MAX_ASK: u32 = 50;
/// Longest skill (bytes) the host accepts.
pub const MAX_SKILL_BYTES: usize = 64;
/// Longest reason (bytes) the host accepts.
pub const MAX_REASON_BYTES: usize = 300;

/// Everything a router plugin usually needs.
pub mod prelude {
    pub use crate::{
        AgentFigures, AgentOrder, Contact, LiveRoster, MemoryRoster, ParamsExt, PluginInfo, Pool, Roster, Route,
        RouteRequest, export_router, info, list_contains, list_items, order_name, param_bool, param_float, param_int,
        param_text, parse_order, pool_name, roster, route, router,
    };
}

/// Exports `$t` (which implements [`router::Guest`]) as this component's router world.
#[macro_export]
macro_rules! export_router {
    ($t:ident) => {
        $crate::router::export_router_world!($t with_types_in $crate::router);
    };
}

/// Builds a router's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    cxhost_sdk_core::info(name, version, PluginKind::Router, description, params)
}

/// A route the host's checks accept whatever the inputs: `priority` clamped into 1..=10, at
/// most the first ten `agents`, and `skill` (64 bytes) and `reason` (300 bytes) with control
/// characters turned into spaces and cut at a character boundary.
pub fn route(pool: Pool, skill: &str, priority: i64, mut agents: Vec<String>, reason: &str) -> Route {
    agents.truncate(MAX_AGENTS);
    Route {
        pool,
        skill: clean(skill, MAX_SKILL_BYTES),
        priority: priority.clamp(i64::from(MIN_PRIORITY), i64::from(MAX_PRIORITY)) as u8,
        agents,
        reason: clean(reason, MAX_REASON_BYTES),
    }
}

/// `text` on one line (every control character a space), cut to at most `max` bytes at a
/// character boundary.
pub fn clean(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

impl Contact {
    /// The value of the first attribute called `name` (ASCII case ignored).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the attribute `name` says yes: `true`, `1`, `yes`, `y` or `on` (case and
    /// surrounding spaces ignored); a missing attribute is no.
    pub fn flag(&self, name: &str) -> bool {
        self.attribute(name).is_some_and(|v| {
            let v = v.trim();
            ["true", "1", "yes", "y", "on"].iter().any(|yes| v.eq_ignore_ascii_case(yes))
        })
    }

    /// The sales likelihood when the caller scored one: a finite value, clamped into [0, 1];
    /// NaN and infinities count as unscored.
    pub fn likelihood(&self) -> Option<f64> {
        self.sales_likelihood.filter(|v| v.is_finite()).map(|v| v.clamp(0.0, 1.0))
    }
}

/// The items of a list parameter: separated by `;` or `,`, trimmed, empty ones skipped.
pub fn list_items(list: &str) -> impl Iterator<Item = &str> {
    list.split([';', ',']).map(str::trim).filter(|item| !item.is_empty())
}

/// Whether `value` (trimmed) is an item of `list` (see [`list_items`]), ASCII case ignored; an
/// empty value is in no list.
pub fn list_contains(list: &str, value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && list_items(list).any(|item| item.eq_ignore_ascii_case(value))
}

/// An order by name: `quality`, `csat`, `fcr` or `aht` (ASCII case ignored).
pub fn parse_order(name: &str) -> Option<AgentOrder> {
    let name = name.trim();
    [AgentOrder::Quality, AgentOrder::Csat, AgentOrder::Fcr, AgentOrder::Aht]
        .into_iter()
        .find(|order| order_name(*order).eq_ignore_ascii_case(name))
}

/// An order's name, as [`parse_order`] reads it.
pub fn order_name(order: AgentOrder) -> &'static str {
    match order {
        AgentOrder::Quality => "quality",
        AgentOrder::Csat => "csat",
        AgentOrder::Fcr => "fcr",
        AgentOrder::Aht => "aht",
    }
}

/// A pool's name as the API writes it: `in-house` or `crowd`.
pub fn pool_name(pool: Pool) -> &'static str {
    match pool {
        Pool::InHouse => "in-house",
        Pool::Crowd => "crowd",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(attributes: &[(&str, &str)], likelihood: Option<f64>) -> Contact {
        Contact {
            contact_id: "c1".into(),
            channel: "voice".into(),
            queue: "billing".into(),
            contact_reason: "complaint".into(),
            customer_id: "k1".into(),
            customer_tier: String::new(),
            language: String::new(),
            sales_likelihood: likelihood,
            attributes: attributes.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn route_keeps_within_the_checks() {
        let agents: Vec<String> = (0..12).map(|i| format!("a{i}")).collect();
        let r = route(Pool::Crowd, "bill\ning", 99, agents, &"é".repeat(200));
        assert_eq!(r.priority, 10);
        assert_eq!(r.agents.len(), 10);
        assert_eq!(r.skill, "bill ing");
        assert_eq!(r.reason.len(), 300);
        assert_eq!(route(Pool::Crowd, "", -5, vec![], "").priority, 1);
        assert_eq!(clean(&"x".repeat(70), MAX_SKILL_BYTES).len(), 64);
    }

    #[test]
    fn attributes_flags_and_likelihood() {
        let c = contact(&[("Hard", " Yes "), ("vip", "no")], Some(f64::NAN));
        assert_eq!(c.attribute("hard"), Some(" Yes "));
        assert!(c.flag("HARD"));
        assert!(!c.flag("vip"));
        assert!(!c.flag("missing"));
        assert_eq!(c.likelihood(), None);
        assert_eq!(contact(&[], Some(1.7)).likelihood(), Some(1.0));
        assert_eq!(contact(&[], Some(0.25)).likelihood(), Some(0.25));
    }

    #[test]
    fn lists_and_orders() {
        assert!(list_contains("gold; Platinum,", "platinum"));
        assert!(!list_contains("gold;;", ""));
        assert_eq!(list_items(" a ;b,, c").collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(parse_order("AHT"), Some(AgentOrder::Aht));
        assert_eq!(parse_order("speed"), None);
        assert_eq!(order_name(AgentOrder::Fcr), "fcr");
        assert_eq!(pool_name(Pool::InHouse), "in-house");
    }
}
