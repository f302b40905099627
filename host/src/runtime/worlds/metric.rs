//! The metric world: `compute` returns values per group; checked by [`check_metric_result`].

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::metric::{Metric, MetricPre};
use crate::runtime::bindings::{MetricRequest, MetricResult, PluginInfo, PluginKind};
use crate::runtime::checks::check_metric_result;
use crate::runtime::host::CallState;

pub struct MetricWorld;

impl crate::runtime::bindings::metric::cxhost::plugin::metric_types::Host for CallState {}

impl World for MetricWorld {
    const KIND: PluginKind = PluginKind::Metric;
    type Pre = MetricPre<CallState>;
    type Bindings = Metric;
    type Request = MetricRequest;
    type Output = MetricResult;

    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        Metric::add_to_linker::<_, HasSelf<_>>(linker, |state: &mut CallState| state)
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<Self::Pre> {
        MetricPre::new(instance)
    }

    fn instantiate(pre: &Self::Pre, store: &mut Store<CallState>) -> wasmtime::Result<Metric> {
        pre.instantiate(store)
    }

    fn describe(bindings: &Metric, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        bindings.call_describe(store)
    }

    fn call(
        bindings: &Metric,
        store: &mut Store<CallState>,
        request: &MetricRequest,
    ) -> wasmtime::Result<Result<MetricResult, String>> {
        bindings.call_compute(store, request)
    }

    fn check(output: &MetricResult, limits: &PluginLimits) -> Result<(), String> {
        check_metric_result(output, limits.max_result_bytes)
    }
}
