//! The pay-model world: `compute-pay` returns pay lines; their size is checked here and their
//! content by the pay ledger.

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::pay_model::{PayModel, PayModelPre};
use crate::runtime::bindings::{PayLine, PayRequest, PluginInfo, PluginKind};
use crate::runtime::checks::check_size;
use crate::runtime::host::CallState;

pub struct PayModelWorld;

impl crate::runtime::bindings::pay_model::cxhost::plugin::pay_types::Host for CallState {}

impl World for PayModelWorld {
    const KIND: PluginKind = PluginKind::PayModel;
    type Pre = PayModelPre<CallState>;
    type Bindings = PayModel;
    type Request = PayRequest;
    type Output = Vec<PayLine>;

    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        PayModel::add_to_linker::<_, HasSelf<_>>(linker, |state: &mut CallState| state)
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<Self::Pre> {
        PayModelPre::new(instance)
    }

    fn instantiate(pre: &Self::Pre, store: &mut Store<CallState>) -> wasmtime::Result<PayModel> {
        pre.instantiate(store)
    }

    fn describe(bindings: &PayModel, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        bindings.call_describe(store)
    }

    fn call(
        bindings: &PayModel,
        store: &mut Store<CallState>,
        request: &PayRequest,
    ) -> wasmtime::Result<Result<Vec<PayLine>, String>> {
        bindings.call_compute_pay(store, request)
    }

    fn check(lines: &Self::Output, limits: &PluginLimits) -> Result<(), String> {
        let sizes = lines.iter().map(|l| l.agent_id.len() + l.component.len() + l.note.len() + 24);
        check_size(sizes, "pay lines", limits)
    }
}
