//! The metric world: `compute` returns values per group for one period; checked by
//! [`check_metric_result`]. A plugin of the `metric-series` world (which includes `metric`)
//! also answers a sequence of periods in one `compute-series` call ([`MetricSeriesWorld`]),
//! and one of the `metric-records` world (which includes `metric-series`) the SQL of the
//! records behind its figures ([`MetricRecordsWorld`]); all three share one pre-instantiated
//! form, [`MetricPre`], so a plugin is loaded once whichever way it is called.

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use super::World;
use crate::config::PluginLimits;
use crate::runtime::bindings::metric::{Metric, MetricPre as SinglePre};
use crate::runtime::bindings::metric_records::{MetricRecords, MetricRecordsPre as RecordsPre};
use crate::runtime::bindings::metric_series::{MetricSeries, MetricSeriesPre as SeriesPre};
use crate::runtime::bindings::{
    MetricRequest, MetricResult, PluginInfo, PluginKind, RecordsQuery, RecordsRequest, SeriesRequest, SeriesResult,
};
use crate::runtime::checks::{check_metric_result, check_records_query, check_series_result};
use crate::runtime::host::CallState;

pub struct MetricWorld;

/// A metric plugin pre-instantiated as the richest world it implements.
pub enum MetricPre {
    Single(SinglePre<CallState>),
    Series(SeriesPre<CallState>),
    Records(RecordsPre<CallState>),
}

impl MetricPre {
    /// Whether the plugin answers `compute-series`.
    pub fn answers_series(&self) -> bool {
        matches!(self, MetricPre::Series(_) | MetricPre::Records(_))
    }

    /// Whether the plugin opens its figures to their records (`records`).
    pub fn answers_records(&self) -> bool {
        matches!(self, MetricPre::Records(_))
    }
}

/// One instance of a metric plugin.
pub enum MetricInstance {
    Single(Metric),
    Series(MetricSeries),
    Records(MetricRecords),
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
        if let Ok(records) = RecordsPre::new(instance.clone()) {
            return Ok(MetricPre::Records(records));
        }
        match SeriesPre::new(instance.clone()) {
            Ok(series) => Ok(MetricPre::Series(series)),
            Err(_) => SinglePre::new(instance).map(MetricPre::Single),
        }
    }

    fn instantiate(pre: &MetricPre, store: &mut Store<CallState>) -> wasmtime::Result<MetricInstance> {
        match pre {
            MetricPre::Single(pre) => pre.instantiate(store).map(MetricInstance::Single),
            MetricPre::Series(pre) => pre.instantiate(store).map(MetricInstance::Series),
            MetricPre::Records(pre) => pre.instantiate(store).map(MetricInstance::Records),
        }
    }

    fn describe(bindings: &MetricInstance, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        match bindings {
            MetricInstance::Single(b) => b.call_describe(store),
            MetricInstance::Series(b) => b.call_describe(store),
            MetricInstance::Records(b) => b.call_describe(store),
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
            MetricInstance::Records(b) => b.call_compute(store, request),
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
            MetricInstance::Records(b) => b.call_compute_series(store, request),
            MetricInstance::Single(_) => {
                Err(wasmtime::Error::msg("the plugin answers single periods only (no `compute-series` export)"))
            }
        }
    }

    fn check(output: &SeriesResult, limits: &PluginLimits) -> Result<(), String> {
        check_series_result(output, limits.max_result_bytes)
    }
}

/// A metric asked for the SQL of the records behind its figures. Only for plugins whose
/// [`MetricPre`] [answers records](MetricPre::answers_records).
pub struct MetricRecordsWorld;

impl World for MetricRecordsWorld {
    const KIND: PluginKind = PluginKind::Metric;
    type Pre = MetricPre;
    type Bindings = MetricInstance;
    type Request = RecordsRequest;
    type Output = RecordsQuery;

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
        request: &RecordsRequest,
    ) -> wasmtime::Result<Result<RecordsQuery, String>> {
        match bindings {
            MetricInstance::Records(b) => b.call_records(store, request),
            MetricInstance::Single(_) | MetricInstance::Series(_) => {
                Err(wasmtime::Error::msg("the plugin does not open to its records (no `records` export)"))
            }
        }
    }

    fn check(output: &RecordsQuery, _limits: &PluginLimits) -> Result<(), String> {
        check_records_query(output)
    }
}
