//! The router world: `decide` answers one routing decision per new contact, reading the
//! tenant's roster snapshot (the `roster` import) instead of SQL; the decision's shape
//! (priority 1–10, at most ten agents, short labels) is checked here.

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::router::{Router, RouterPre};
use crate::runtime::bindings::{PluginInfo, PluginKind, Route, RouteRequest};
use crate::runtime::host::CallState;
use crate::text::{check_label, check_text};

pub struct RouterWorld;

impl crate::runtime::bindings::router::cxhost::plugin::router_types::Host for CallState {}

/// Most preferred agents a decision may name.
pub const MAX_PREFERRED_AGENTS: usize = 10;

impl World for RouterWorld {
    const KIND: PluginKind = PluginKind::Router;
    const LIVE_PATH: bool = true;
    type Pre = RouterPre<CallState>;
    type Bindings = Router;
    type Request = RouteRequest;
    type Output = Route;

    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        Router::add_to_linker::<_, HasSelf<_>>(linker, |state: &mut CallState| state)
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<Self::Pre> {
        RouterPre::new(instance)
    }

    fn instantiate(pre: &Self::Pre, store: &mut Store<CallState>) -> wasmtime::Result<Router> {
        pre.instantiate(store)
    }

    fn describe(bindings: &Router, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        bindings.call_describe(store)
    }

    fn call(
        bindings: &Router,
        store: &mut Store<CallState>,
        request: &RouteRequest,
    ) -> wasmtime::Result<Result<Route, String>> {
        bindings.call_decide(store, request)
    }

    fn check(route: &Route, _limits: &PluginLimits) -> Result<(), String> {
        if !(1..=10).contains(&route.priority) {
            return Err(format!("priority {} is outside 1 to 10", route.priority));
        }
        check_label("the skill", &route.skill, 64)?;
        check_text("the reason", &route.reason, 300)?;
        if route.agents.len() > MAX_PREFERRED_AGENTS {
            return Err(format!("{} preferred agents, more than {MAX_PREFERRED_AGENTS}", route.agents.len()));
        }
        for agent in &route.agents {
            check_label("a preferred agent", agent, 128)?;
        }
        Ok(())
    }
}
