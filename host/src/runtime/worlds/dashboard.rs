//! The dashboard world: `render` returns panels, with the `analytics` import; their size is
//! checked here and their shape by `analytics::panels`.

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::dashboard::{Dashboard, DashboardPre};
use crate::runtime::bindings::{DashboardRequest, Panel, PluginInfo, PluginKind};
use crate::runtime::checks::check_size;
use crate::runtime::host::CallState;

pub struct DashboardWorld;

impl crate::runtime::bindings::dashboard::cxhost::plugin::dashboard_types::Host for CallState {}

impl World for DashboardWorld {
    const KIND: PluginKind = PluginKind::Dashboard;
    const ANALYTICS: bool = true;
    type Pre = DashboardPre<CallState>;
    type Bindings = Dashboard;
    type Request = DashboardRequest;
    type Output = Vec<Panel>;

    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        Dashboard::add_to_linker::<_, HasSelf<_>>(linker, |state: &mut CallState| state)
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<Self::Pre> {
        DashboardPre::new(instance)
    }

    fn instantiate(pre: &Self::Pre, store: &mut Store<CallState>) -> wasmtime::Result<Dashboard> {
        pre.instantiate(store)
    }

    fn describe(bindings: &Dashboard, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        bindings.call_describe(store)
    }

    fn call(
        bindings: &Dashboard,
        store: &mut Store<CallState>,
        request: &DashboardRequest,
    ) -> wasmtime::Result<Result<Vec<Panel>, String>> {
        bindings.call_render(store, request)
    }

    fn check(panels: &Self::Output, limits: &PluginLimits) -> Result<(), String> {
        check_size(panels.iter().map(|p| p.title.len() + p.data_json.len()), "panels", limits)
    }
}
