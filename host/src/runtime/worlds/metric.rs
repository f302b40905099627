//! The metric world: `compute` returns values per group for one period; checked by
//! [`check_metric_result`]. A plugin of the `metric-series` world (which includes `metric`)
//! also answers a sequence of periods in one `compute-series` call ([`MetricSeriesWorld`]);
//! both worlds share one pre-instantiated form, [`MetricPre`], so a plugin is loaded once
//! whichever way it is called.

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::metric::{Metric, MetricPre as SinglePre};
use crate::runtime::bindings::metric_series::{MetricSeries, MetricSeriesPre as SeriesPre};
use crate::runtime::bindings::{MetricRequest, MetricResult, PluginInfo, PluginKind, SeriesRequest, SeriesResult};
use crate::runtime::checks::{check_metric_result, check_series_result};
use crate::runtime::host::CallState;

pub struct MetricWorld;

/// A metric plugin pre-instantiated as the richest world it implements.
pub enum MetricPre {
    Single(SinglePre<CallState>),
    Series(SeriesPre<CallState>),
}

impl MetricPre {
    /// Whether the plugin answers `compute-series`.
    pub fn answers_series(&self) -> bool {
        matches!(self, MetricPre::Series(_))
    }
}

/// One instance of a metric plugin.
pub enum MetricInstance {
    Single(Metric),
    Series(MetricSeries),
}

impl crate::runtime::bindings::metric::cxhost::plugin::metric_types::Host for CallState {}

impl World for MetricWorld {
    const KIND: PluginKind = PluginKind::Metric;
    type Pre = MetricPre;
    type Bindings = MetricInstance;
    type Request = MetricRequest;
    type Output = MetricResult;

    fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        // `metric-series` imports exactly what `metric` does.
        Metric::add_to_linker::<_, HasSelf<_>>(linker, |state: &mut CallState| state)
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<MetricPre> {
        match SeriesPre::new(instance.clone()) {
            Ok(series) => Ok(MetricPre::Series(series)),
            Err(_) => SinglePre::new(instance).map(MetricPre::Single),
        }
    }

    fn instantiate(pre: &MetricPre, store: &mut Store<CallState>) -> wasmtime::Result<MetricInstance> {
        match pre {
            MetricPre::Single(pre) => pre.instantiate(store).map(MetricInstance::Single),
            MetricPre::Series(pre) => pre.instantiate(store).map(MetricInstance::Series),
        }
    }

    fn describe(bindings: &MetricInstance, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        match bindings {
            MetricInstance::Single(b) => b.call_describe(store),
            MetricInstance::Series(b) => b.call_describe(store),
        }
    }

    fn call(
        bindings: &MetricInstance,
        store: &mut Store<CallState>,
        request: &MetricRequest,
    ) -> wasmtime::Result<Result<MetricResult, String>> {
        match bindings {
            MetricInstance::Single(b) => b.call_compute(store, request),
            MetricInstance::Series(b) => b.call_compute(store, request),
        }
    }

    fn check(output: &MetricResult, limits: &PluginLimits) -> Result<(), String> {
        check_metric_result(output, limits.max_result_bytes)
    }
}

/// A metric asked for many periods at once. Only for plugins whose [`MetricPre`]
/// [answers series](MetricPre::answers_series); callers split into single periods for others.
pub struct MetricSeriesWorld;

impl World for MetricSeriesWorld {
    const KIND: PluginKind = PluginKind::Metric;
    type Pre = MetricPre;
    type Bindings = MetricInstance;
    type Request = SeriesRequest;
    type Output = SeriesResult;

    fn link(_linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        Ok(()) // the same imports as `metric`, linked by `MetricWorld`
    }

    fn pre(instance: InstancePre<CallState>) -> wasmtime::Result<MetricPre> {
        MetricWorld::pre(instance)
    }

    fn instantiate(pre: &MetricPre, store: &mut Store<CallState>) -> wasmtime::Result<MetricInstance> {
        MetricWorld::instantiate(pre, store)
    }

    fn describe(bindings: &MetricInstance, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        MetricWorld::describe(bindings, store)
    }

    fn call(
        bindings: &MetricInstance,
        store: &mut Store<CallState>,
        request: &SeriesRequest,
    ) -> wasmtime::Result<Result<SeriesResult, String>> {
        match bindings {
            MetricInstance::Series(b) => b.call_compute_series(store, request),
            MetricInstance::Single(_) => {
                Err(wasmtime::Error::msg("the plugin answers single periods only (no `compute-series` export)"))
            }
        }
    }

    fn check(output: &SeriesResult, limits: &PluginLimits) -> Result<(), String> {
        check_series_result(output, limits.max_result_bytes)
    }
}
