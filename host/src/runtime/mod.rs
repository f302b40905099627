//! The plugin runtime: one wasmtime engine (component model, pooling allocator, epoch
//! interruption), compiled components cached by content hash and recognised by their world
//! (metric, dashboard, pay model or game mechanic), and calls that each get a fresh `Store` with a deadline, a memory
//! cap and caps on rows read and bytes returned.

pub mod bindings;
pub mod cache;
pub mod host;
pub mod limiter;

use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config as EngineConfig, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

use self::bindings::dashboard::{Dashboard, DashboardPre};
use self::bindings::game_mechanic::{GameMechanic, GameMechanicPre};
use self::bindings::metric::{Metric, MetricPre};
use self::bindings::pay_model::{PayModel, PayModelPre};
use self::bindings::{
    AwardRequest, AwardResult, DashboardRequest, MetricRequest, MetricResult, Panel, PayLine, PayRequest, PluginInfo,
    PluginKind,
};
use self::cache::CompiledCache;
use self::host::{AnalyticsHost, CallState, HostStop};
use self::limiter::{CallLimiter, MemoryCapExceeded};
use crate::config::{MAX_PLUGIN_MEMORY_BYTES, PluginLimits};
use crate::store::TenantDb;

/// How often the engine's epoch advances; deadlines are rounded up to it.
const EPOCH_TICK: Duration = Duration::from_millis(2);

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a WebAssembly component, or a corrupt one: {0}")]
    NotAComponent(String),
    #[error("the component does not fit the `{world}` world: {detail}")]
    WrongWorld { world: &'static str, detail: String },
    #[error("describe() failed: {0}")]
    Describe(String),
    #[error("describe() says kind {found:?}, but the component implements the {expected:?} world")]
    WrongKind { expected: PluginKind, found: PluginKind },
    #[error("describe() returned an invalid name `{0}`: use 1–64 lowercase letters, digits and `_`")]
    BadName(String),
    #[error("cannot prepare the compiled-code cache: {0}")]
    Cache(#[from] std::io::Error),
}

/// Why a plugin call failed; always names plugin and version.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("plugin `{plugin}` {version} ran past its deadline of {deadline_ms} ms and was stopped")]
    Timeout { plugin: String, version: String, deadline_ms: u64 },
    #[error("plugin `{plugin}` {version} was stopped: {detail}")]
    MemoryCap { plugin: String, version: String, detail: String },
    #[error("plugin `{plugin}` {version} was stopped: {detail}")]
    Limit { plugin: String, version: String, detail: String },
    #[error("plugin `{plugin}` {version} trapped: {detail}")]
    Trap { plugin: String, version: String, detail: String },
    #[error("plugin `{plugin}` {version} returned an error: {message}")]
    Plugin { plugin: String, version: String, message: String },
    #[error("plugin `{plugin}` {version} returned an invalid result: {detail}")]
    InvalidResult { plugin: String, version: String, detail: String },
    #[error("no plugin instance could be created right now: {0}")]
    Busy(String),
    #[error("plugin `{plugin}` {version} is a {found:?} plugin, not a {expected:?} plugin")]
    WrongKind { plugin: String, version: String, expected: PluginKind, found: PluginKind },
}

pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    cache: CompiledCache,
}

/// A compiled, pre-instantiated plugin of a world the host runs.
enum Pre {
    Metric(MetricPre<CallState>),
    Dashboard(DashboardPre<CallState>),
    PayModel(PayModelPre<CallState>),
    GameMechanic(GameMechanicPre<CallState>),
}

/// An instance of one of those worlds, for one call.
enum Instance {
    Metric(Metric),
    Dashboard(Dashboard),
    PayModel(PayModel),
    GameMechanic(GameMechanic),
}

impl Instance {
    fn describe(&self, store: &mut Store<CallState>) -> wasmtime::Result<PluginInfo> {
        match self {
            Instance::Metric(metric) => metric.call_describe(store),
            Instance::Dashboard(dashboard) => dashboard.call_describe(store),
            Instance::PayModel(pay) => pay.call_describe(store),
            Instance::GameMechanic(game) => game.call_describe(store),
        }
    }
}

/// What a call's store starts with.
struct CallSetup<'a> {
    tenant: Option<Arc<TenantDb>>,
    analytics: Option<Arc<dyn AnalyticsHost>>,
    limits: PluginLimits,
    name: &'a str,
    version: &'a str,
}

/// A compiled, pre-instantiated plugin (metric, dashboard or pay model) with its `describe()` answer.
pub struct Plugin {
    pub hash: String,
    pub info: PluginInfo,
    pub size_bytes: u64,
    pre: Pre,
}

impl Plugin {
    pub fn kind(&self) -> PluginKind {
        self.info.kind
    }
}

/// A plugin kind as the API, the CLI and the stored versions name it.
pub fn kind_name(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Metric => "metric",
        PluginKind::Dashboard => "dashboard",
        PluginKind::PayModel => "pay_model",
        PluginKind::GameMechanic => "game_mechanic",
        PluginKind::Rule => "rule",
        PluginKind::Enricher => "enricher",
        PluginKind::Router => "router",
    }
}

fn wrong_kind(plugin: &Plugin, expected: PluginKind) -> CallError {
    CallError::WrongKind {
        plugin: plugin.info.name.clone(),
        version: plugin.info.version.clone(),
        expected,
        found: plugin.info.kind,
    }
}

impl Runtime {
    pub fn new(cache_dir: std::path::PathBuf) -> Result<Arc<Runtime>, LoadError> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(512)
            .total_core_instances(4096)
            .total_memories(1024)
            .total_tables(4096)
            .max_memory_size(MAX_PLUGIN_MEMORY_BYTES as usize);
        let mut config = EngineConfig::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| LoadError::NotAComponent(format!("engine setup: {e}")))?;
        let mut linker = Linker::new(&engine);
        // Every world imports `host`; later definitions are the same implementation.
        linker.allow_shadowing(true);
        Metric::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CallState| state)
            .and_then(|()| Dashboard::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CallState| state))
            .and_then(|()| PayModel::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CallState| state))
            .and_then(|()| GameMechanic::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CallState| state))
            .map_err(|e| LoadError::NotAComponent(format!("linker setup: {e}")))?;
        linker.allow_shadowing(false);
        let cache = CompiledCache::new(&engine, cache_dir)?;
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("cxhost-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(LoadError::Cache)?;
        Ok(Arc::new(Runtime { engine, linker, cache }))
    }

    pub fn content_hash(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// How many components this runtime compiled rather than loaded from the on-disk cache.
    pub fn compilations(&self) -> u64 {
        self.cache.compilations()
    }

    /// Whether these bytes are already compiled in the on-disk cache.
    pub fn is_cached(&self, hash: &str) -> bool {
        self.cache.contains(hash)
    }

    /// Compiles (or loads from cache) a component, recognises its world (metric, dashboard
    /// or pay model), asks it to describe itself and checks the answer fits the world.
    pub fn load(&self, bytes: &[u8]) -> Result<Plugin, LoadError> {
        let hash = Self::content_hash(bytes);
        let (component, _cached) = self
            .cache
            .get_or_compile(&self.engine, &hash, bytes)
            .map_err(|e| LoadError::NotAComponent(format!("{e:#}")))?;
        let (pre, world) = self.pre_instantiate(&component)?;
        let plugin = Plugin { hash, info: placeholder_info(), size_bytes: bytes.len() as u64, pre };
        let limits = PluginLimits { deadline_ms: 2_000, ..PluginLimits::default() };
        let calls = CallSetup { tenant: None, analytics: None, limits, name: "(loading)", version: "" };
        let (mut store, instance) = self.instantiate(&plugin, calls).map_err(|e| LoadError::Describe(e.to_string()))?;
        let info = instance.describe(&mut store).map_err(|e| LoadError::Describe(format!("{e:#}")))?;
        if info.kind != world {
            return Err(LoadError::WrongKind { expected: world, found: info.kind });
        }
        let name_ok = !info.name.is_empty()
            && info.name.len() <= 64
            && info.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(LoadError::BadName(info.name));
        }
        Ok(Plugin { info, ..plugin })
    }

    /// Pre-instantiates the component as the first world whose exports it has.
    fn pre_instantiate(&self, component: &Component) -> Result<(Pre, PluginKind), LoadError> {
        let wrong =
            |detail: String| LoadError::WrongWorld { world: "metric, dashboard, pay-model or game-mechanic", detail };
        let mut linker = self.linker.clone();
        linker.define_unknown_imports_as_traps(component).map_err(|e| wrong(format!("{e:#}")))?;
        let instance_pre = linker.instantiate_pre(component).map_err(|e| wrong(format!("{e:#}")))?;
        let metric_error = match MetricPre::new(instance_pre.clone()) {
            Ok(pre) => return Ok((Pre::Metric(pre), PluginKind::Metric)),
            Err(e) => e,
        };
        let dashboard_error = match DashboardPre::new(instance_pre.clone()) {
            Ok(pre) => return Ok((Pre::Dashboard(pre), PluginKind::Dashboard)),
            Err(e) => e,
        };
        let pay_error = match PayModelPre::new(instance_pre.clone()) {
            Ok(pre) => return Ok((Pre::PayModel(pre), PluginKind::PayModel)),
            Err(e) => e,
        };
        match GameMechanicPre::new(instance_pre) {
            Ok(pre) => Ok((Pre::GameMechanic(pre), PluginKind::GameMechanic)),
            Err(game_error) => Err(wrong(format!(
                "as a metric: {metric_error:#}; as a dashboard: {dashboard_error:#}; as a pay model: {pay_error:#}; \
                 as a game mechanic: {game_error:#}"
            ))),
        }
    }

    fn instantiate(&self, plugin: &Plugin, setup: CallSetup) -> Result<(Store<CallState>, Instance), CallError> {
        let limits = setup.limits;
        let state = CallState {
            tenant: setup.tenant,
            analytics: setup.analytics,
            plugin: setup.name.to_string(),
            version: setup.version.to_string(),
            limits,
            deadline: Instant::now() + Duration::from_millis(limits.deadline_ms),
            rows_read: 0,
            queries: 0,
            limiter: CallLimiter { memory_cap: limits.memory_bytes.min(MAX_PLUGIN_MEMORY_BYTES) },
            runtime: tokio::runtime::Handle::try_current()
                .map_err(|_| CallError::Busy("no async runtime for query deadlines".into()))?,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(limits.deadline_ms.div_ceil(EPOCH_TICK.as_millis() as u64).max(1));
        store.epoch_deadline_trap();
        let busy = |e: wasmtime::Error| CallError::Busy(format!("{e:#}"));
        let instance = match &plugin.pre {
            Pre::Metric(pre) => Instance::Metric(pre.instantiate(&mut store).map_err(busy)?),
            Pre::Dashboard(pre) => Instance::Dashboard(pre.instantiate(&mut store).map_err(busy)?),
            Pre::PayModel(pre) => Instance::PayModel(pre.instantiate(&mut store).map_err(busy)?),
            Pre::GameMechanic(pre) => Instance::GameMechanic(pre.instantiate(&mut store).map_err(busy)?),
        };
        Ok((store, instance))
    }

    /// Runs `render` of a dashboard plugin under `limits`, with `analytics` serving its
    /// metric and correlation calls. Blocking, like [`Runtime::call_metric`].
    pub fn call_dashboard(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        analytics: Arc<dyn AnalyticsHost>,
        limits: PluginLimits,
        request: &DashboardRequest,
    ) -> Result<Vec<Panel>, CallError> {
        let (name, version) = (plugin.info.name.clone(), plugin.info.version.clone());
        let setup =
            CallSetup { tenant: Some(tenant), analytics: Some(analytics), limits, name: &name, version: &version };
        let (mut store, instance) = self.instantiate(plugin, setup)?;
        let Instance::Dashboard(dashboard) = instance else {
            return Err(wrong_kind(plugin, PluginKind::Dashboard));
        };
        let panels = match dashboard.call_render(&mut store, request) {
            Ok(Ok(panels)) => panels,
            Ok(Err(message)) => {
                let message: String = message.chars().take(2000).collect();
                return Err(CallError::Plugin { plugin: name, version, message });
            }
            Err(error) => return Err(classify_trap(error, name, version, limits)),
        };
        let size: u64 = panels.iter().map(|p| (p.title.len() + p.data_json.len()) as u64).sum();
        if size > limits.max_result_bytes {
            let detail = format!("{size} bytes of panels, more than the limit of {} bytes", limits.max_result_bytes);
            return Err(CallError::InvalidResult { plugin: name, version, detail });
        }
        Ok(panels)
    }

    /// Runs `compute-pay` of a pay-model plugin under `limits`. Blocking, like
    /// [`Runtime::call_metric`]; the lines are checked by the caller (the pay ledger).
    pub fn call_pay(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        limits: PluginLimits,
        request: &PayRequest,
    ) -> Result<Vec<PayLine>, CallError> {
        let (name, version) = (plugin.info.name.clone(), plugin.info.version.clone());
        let setup = CallSetup { tenant: Some(tenant), analytics: None, limits, name: &name, version: &version };
        let (mut store, instance) = self.instantiate(plugin, setup)?;
        let Instance::PayModel(pay) = instance else {
            return Err(wrong_kind(plugin, PluginKind::PayModel));
        };
        let lines = match pay.call_compute_pay(&mut store, request) {
            Ok(Ok(lines)) => lines,
            Ok(Err(message)) => {
                let message: String = message.chars().take(2000).collect();
                return Err(CallError::Plugin { plugin: name, version, message });
            }
            Err(error) => return Err(classify_trap(error, name, version, limits)),
        };
        let size: u64 = lines.iter().map(|l| (l.agent_id.len() + l.component.len() + l.note.len() + 24) as u64).sum();
        if size > limits.max_result_bytes {
            let detail = format!("{size} bytes of pay lines, more than the limit of {} bytes", limits.max_result_bytes);
            return Err(CallError::InvalidResult { plugin: name, version, detail });
        }
        Ok(lines)
    }

    /// Runs `award` of a game-mechanic plugin under `limits`. Blocking, like
    /// [`Runtime::call_metric`]; the awards are checked by the caller (the points ledger).
    pub fn call_award(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        limits: PluginLimits,
        request: &AwardRequest,
    ) -> Result<AwardResult, CallError> {
        let (name, version) = (plugin.info.name.clone(), plugin.info.version.clone());
        let setup = CallSetup { tenant: Some(tenant), analytics: None, limits, name: &name, version: &version };
        let (mut store, instance) = self.instantiate(plugin, setup)?;
        let Instance::GameMechanic(game) = instance else {
            return Err(wrong_kind(plugin, PluginKind::GameMechanic));
        };
        let result = match game.call_award(&mut store, request) {
            Ok(Ok(result)) => result,
            Ok(Err(message)) => {
                let message: String = message.chars().take(2000).collect();
                return Err(CallError::Plugin { plugin: name, version, message });
            }
            Err(error) => return Err(classify_trap(error, name, version, limits)),
        };
        let size: u64 = result
            .awards
            .iter()
            .map(|a| (a.agent_id.len() + a.code.len() + a.reason.len() + 16) as u64)
            .sum::<u64>()
            + result.flags.iter().map(|f| (f.agent_id.len() + f.pattern.len() + f.detail.len()) as u64).sum::<u64>();
        if size > limits.max_result_bytes {
            let detail =
                format!("{size} bytes of awards and flags, more than the limit of {} bytes", limits.max_result_bytes);
            return Err(CallError::InvalidResult { plugin: name, version, detail });
        }
        Ok(result)
    }

    /// Runs `compute` of a metric plugin under `limits`. Blocking: call it from a blocking
    /// thread (it needs the Tokio runtime handle for query deadlines).
    pub fn call_metric(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        limits: PluginLimits,
        request: &MetricRequest,
    ) -> Result<MetricResult, CallError> {
        let (name, version) = (plugin.info.name.clone(), plugin.info.version.clone());
        let setup = CallSetup { tenant: Some(tenant), analytics: None, limits, name: &name, version: &version };
        let (mut store, instance) = self.instantiate(plugin, setup)?;
        let Instance::Metric(metric) = instance else {
            return Err(wrong_kind(plugin, PluginKind::Metric));
        };
        let outcome = metric.call_compute(&mut store, request);
        let result = match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(message)) => {
                let message: String = message.chars().take(2000).collect();
                return Err(CallError::Plugin { plugin: name, version, message });
            }
            Err(error) => return Err(classify_trap(error, name, version, limits)),
        };
        check_result(&result, limits).map_err(|detail| CallError::InvalidResult { plugin: name, version, detail })?;
        Ok(result)
    }
}

fn classify_trap(error: wasmtime::Error, plugin: String, version: String, limits: PluginLimits) -> CallError {
    if let Some(cap) = error.downcast_ref::<MemoryCapExceeded>() {
        return CallError::MemoryCap { plugin, version, detail: cap.to_string() };
    }
    if let Some(stop) = error.downcast_ref::<HostStop>() {
        return match stop {
            HostStop::QueryDeadline(ms) => CallError::Timeout { plugin, version, deadline_ms: *ms },
            HostStop::RowCap(_) => CallError::Limit { plugin, version, detail: stop.to_string() },
        };
    }
    if let Some(Trap::Interrupt) = error.downcast_ref::<Trap>() {
        return CallError::Timeout { plugin, version, deadline_ms: limits.deadline_ms };
    }
    CallError::Trap { plugin, version, detail: format!("{error:#}").chars().take(2000).collect() }
}

/// Rejects results that are too large or carry non-finite numbers.
fn check_result(result: &MetricResult, limits: PluginLimits) -> Result<(), String> {
    let size: u64 = result.unit.len() as u64 + result.rows.iter().map(|r| r.group.len() as u64 + 32).sum::<u64>();
    if size > limits.max_result_bytes {
        return Err(format!("{size} bytes, more than the limit of {} bytes", limits.max_result_bytes));
    }
    for row in &result.rows {
        for (what, v) in [("value", row.value), ("numerator", row.numerator), ("denominator", row.denominator)] {
            if let Some(v) = v
                && !v.is_finite()
            {
                return Err(format!("group `{}` has a non-finite {what} ({v})", row.group));
            }
        }
    }
    Ok(())
}

fn placeholder_info() -> PluginInfo {
    PluginInfo {
        name: String::new(),
        version: String::new(),
        kind: PluginKind::Metric,
        description: String::new(),
        params: Vec::new(),
    }
}
