//! The plugin runtime: one wasmtime engine (component model, pooling allocator, epoch
//! interruption), compiled components cached by content hash and recognised by their world
//! (metric, dashboard, pay model or game mechanic), and calls that each get a fresh `Store`
//! with a deadline, a memory cap and caps on rows read, bytes read and bytes returned. A panic
//! anywhere in a call becomes [`CallError::HostPanic`]; nothing of the call outlives it.

pub mod bindings;
pub mod cache;
pub mod checks;
pub mod compile;
pub mod host;
pub mod limiter;
pub mod logs;
pub mod watchdog;

use std::panic::{AssertUnwindSafe, catch_unwind};
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
use self::host::{AnalyticsHost, CallShared, CallState, HostStop};
use self::limiter::{CallLimiter, MemoryCapExceeded};
use self::logs::CallLog;
use crate::config::{Compiler, MAX_PLUGIN_MEMORY_BYTES, PluginLimits};
use crate::store::TenantDb;

/// How often the engine's epoch advances; deadlines are rounded up to it.
const EPOCH_TICK: Duration = Duration::from_millis(2);

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a WebAssembly component, or a corrupt one: {0}")]
    NotAComponent(String),
    /// Compiling took too long or too much memory, and was stopped.
    #[error("compiling the component was stopped: {0}")]
    CompileStopped(String),
    #[error("the plugin engine cannot be set up: {0}")]
    Engine(String),
    #[error("the component does not fit the `{world}` world: {detail}")]
    WrongWorld { world: &'static str, detail: String },
    #[error("describe() failed: {0}")]
    Describe(String),
    #[error("describe() says kind {found:?}, but the component implements the {expected:?} world")]
    WrongKind { expected: PluginKind, found: PluginKind },
    #[error("describe() returned an invalid declaration: {0}")]
    BadInfo(String),
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
    /// The host panicked while serving the call; the detail is in the log only.
    #[error("plugin `{plugin}` {version}: the server failed while running it")]
    HostPanic { plugin: String, version: String },
    #[error("plugin `{plugin}` {version} is a {found:?} plugin, not a {expected:?} plugin")]
    WrongKind { plugin: String, version: String, expected: PluginKind, found: PluginKind },
}

pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    cache: CompiledCache,
    shared: Arc<CallShared>,
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

/// The engine configuration every compiled component is made for; the compile subprocess
/// uses the same, so its output loads here.
pub fn engine_config() -> EngineConfig {
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
    config
}

impl Runtime {
    pub fn new(cache_dir: std::path::PathBuf, compiler: Compiler) -> Result<Arc<Runtime>, LoadError> {
        let engine = Engine::new(&engine_config()).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        // Every world imports `host`; later definitions are the same implementation.
        linker.allow_shadowing(true);
        Metric::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CallState| state)
            .and_then(|()| Dashboard::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CallState| state))
            .and_then(|()| PayModel::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CallState| state))
            .and_then(|()| GameMechanic::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CallState| state))
            .map_err(|e| LoadError::Engine(format!("linker setup: {e:#}")))?;
        linker.allow_shadowing(false);
        let cache = CompiledCache::new(&engine, cache_dir, compiler)?;
        let shared = Arc::new(CallShared::default());
        let ticker = engine.weak();
        let ticked = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("cxhost-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    if let Some(shared) = ticked.upgrade() {
                        shared.watchdog.tick();
                    }
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(LoadError::Cache)?;
        Ok(Arc::new(Runtime { engine, linker, cache, shared }))
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

    /// Compiles (or loads from cache) a component, recognises its world, asks it to describe
    /// itself and checks the answer fits the world.
    pub fn load(&self, bytes: &[u8]) -> Result<Plugin, LoadError> {
        let hash = Self::content_hash(bytes);
        let component = self.cache.get_or_compile(&self.engine, &hash, bytes)?;
        let (pre, world) = self.pre_instantiate(&component)?;
        let plugin = Plugin { hash, info: placeholder_info(), size_bytes: bytes.len() as u64, pre };
        let limits = PluginLimits { deadline_ms: 2_000, ..PluginLimits::default() };
        let setup = CallSetup { tenant: None, analytics: None, limits, name: "(loading)", version: "" };
        let info = self
            .run(&plugin, setup, world, |instance, store| Some(instance.describe(store).map(Ok)))
            .map_err(|e| LoadError::Describe(e.to_string()))?;
        if info.kind != world {
            return Err(LoadError::WrongKind { expected: world, found: info.kind });
        }
        let name_ok = !info.name.is_empty()
            && info.name.len() <= 64
            && info.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(LoadError::BadName(checks::shown(&info.name)));
        }
        checks::check_info(&info).map_err(LoadError::BadInfo)?;
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
            bytes_read: 0,
            queries: 0,
            limiter: CallLimiter { memory_cap: limits.memory_bytes.min(MAX_PLUGIN_MEMORY_BYTES) },
            log: CallLog::new(limits.log_lines_per_call, limits.log_lines_per_minute),
            shared: self.shared.clone(),
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

    /// The one call path of every world: a fresh store and instance under `setup`'s limits,
    /// `entry` on it (`None` when the instance is not of the `expected` kind), and whatever
    /// went wrong classified into a [`CallError`] naming plugin and version. Blocking: call
    /// it from a blocking thread.
    fn run<T>(
        &self,
        plugin: &Plugin,
        setup: CallSetup,
        expected: PluginKind,
        entry: impl FnOnce(&Instance, &mut Store<CallState>) -> Option<wasmtime::Result<Result<T, String>>>,
    ) -> Result<T, CallError> {
        let (name, version) = (plugin.info.name.clone(), plugin.info.version.clone());
        let limits = setup.limits;
        let tenant = setup.tenant.as_ref().map_or_else(|| "-".to_string(), |t| t.id.clone());
        let result = self.run_classified(plugin, setup, expected, entry, (name, version, limits));
        if let Err(error) = &result
            && let Some(limit) = limit_of(error)
        {
            crate::telemetry::limit_hit(&tenant, limit, 1);
        }
        result
    }

    fn run_classified<T>(
        &self,
        plugin: &Plugin,
        setup: CallSetup,
        expected: PluginKind,
        entry: impl FnOnce(&Instance, &mut Store<CallState>) -> Option<wasmtime::Result<Result<T, String>>>,
        (name, version, limits): (String, String, PluginLimits),
    ) -> Result<T, CallError> {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let (mut store, instance) = self.instantiate(plugin, setup)?;
            let result = entry(&instance, &mut store);
            store.data().finish_log();
            Ok::<_, CallError>(result)
        }));
        match outcome {
            Err(panic) => {
                let detail = store_panic_text(&panic);
                tracing::error!(plugin = %name, %version, %detail, "the host panicked during a plugin call");
                Err(CallError::HostPanic { plugin: name, version })
            }
            Ok(Err(error)) => Err(error),
            Ok(Ok(None)) => Err(wrong_kind(plugin, expected)),
            Ok(Ok(Some(Ok(Ok(value))))) => Ok(value),
            Ok(Ok(Some(Ok(Err(message))))) => {
                let message = checks::shown_long(&message);
                Err(CallError::Plugin { plugin: name, version, message })
            }
            Ok(Ok(Some(Err(trap)))) => Err(classify_trap(trap, name, version, limits)),
        }
    }

    /// Runs `render` of a dashboard plugin under `limits`, with `analytics` serving its
    /// metric and correlation calls. Blocking.
    pub fn call_dashboard(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        analytics: Arc<dyn AnalyticsHost>,
        limits: PluginLimits,
        request: &DashboardRequest,
    ) -> Result<Vec<Panel>, CallError> {
        let (name, version) = (plugin.info.name.as_str(), plugin.info.version.as_str());
        let setup = CallSetup { tenant: Some(tenant), analytics: Some(analytics), limits, name, version };
        let panels = self.run(plugin, setup, PluginKind::Dashboard, |instance, store| match instance {
            Instance::Dashboard(dashboard) => Some(dashboard.call_render(store, request)),
            _ => None,
        })?;
        let size: u64 = panels.iter().map(|p| (p.title.len() + p.data_json.len()) as u64).sum();
        check_size(plugin, size, "panels", limits)?;
        Ok(panels)
    }

    /// Runs `compute-pay` of a pay-model plugin under `limits`. Blocking; the lines are
    /// checked by the caller (the pay ledger).
    pub fn call_pay(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        limits: PluginLimits,
        request: &PayRequest,
    ) -> Result<Vec<PayLine>, CallError> {
        let (name, version) = (plugin.info.name.as_str(), plugin.info.version.as_str());
        let setup = CallSetup { tenant: Some(tenant), analytics: None, limits, name, version };
        let lines = self.run(plugin, setup, PluginKind::PayModel, |instance, store| match instance {
            Instance::PayModel(pay) => Some(pay.call_compute_pay(store, request)),
            _ => None,
        })?;
        let size: u64 = lines.iter().map(|l| (l.agent_id.len() + l.component.len() + l.note.len() + 24) as u64).sum();
        check_size(plugin, size, "pay lines", limits)?;
        Ok(lines)
    }

    /// Runs `award` of a game-mechanic plugin under `limits`. Blocking; the awards are
    /// checked by the caller (the points ledger).
    pub fn call_award(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        limits: PluginLimits,
        request: &AwardRequest,
    ) -> Result<AwardResult, CallError> {
        let (name, version) = (plugin.info.name.as_str(), plugin.info.version.as_str());
        let setup = CallSetup { tenant: Some(tenant), analytics: None, limits, name, version };
        let result = self.run(plugin, setup, PluginKind::GameMechanic, |instance, store| match instance {
            Instance::GameMechanic(game) => Some(game.call_award(store, request)),
            _ => None,
        })?;
        let size: u64 = result
            .awards
            .iter()
            .map(|a| (a.agent_id.len() + a.code.len() + a.reason.len() + 16) as u64)
            .sum::<u64>()
            + result.flags.iter().map(|f| (f.agent_id.len() + f.pattern.len() + f.detail.len()) as u64).sum::<u64>();
        check_size(plugin, size, "awards and flags", limits)?;
        Ok(result)
    }

    /// Runs `compute` of a metric plugin under `limits` and checks its result. Blocking.
    pub fn call_metric(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        limits: PluginLimits,
        request: &MetricRequest,
    ) -> Result<MetricResult, CallError> {
        let (name, version) = (plugin.info.name.as_str(), plugin.info.version.as_str());
        let setup = CallSetup { tenant: Some(tenant), analytics: None, limits, name, version };
        let result = self.run(plugin, setup, PluginKind::Metric, |instance, store| match instance {
            Instance::Metric(metric) => Some(metric.call_compute(store, request)),
            _ => None,
        })?;
        checks::check_metric_result(&result, limits.max_result_bytes).map_err(|detail| CallError::InvalidResult {
            plugin: name.to_string(),
            version: version.to_string(),
            detail,
        })?;
        Ok(result)
    }
}

/// The limit a failed call ran into, as the `cxhost_plugin_limit_hits_total` series names it.
fn limit_of(error: &CallError) -> Option<&'static str> {
    match error {
        CallError::Timeout { .. } => Some("deadline"),
        CallError::MemoryCap { .. } => Some("memory_cap"),
        CallError::Limit { detail, .. } if detail.contains("bytes") => Some("bytes_read"),
        CallError::Limit { .. } => Some("rows_read"),
        CallError::InvalidResult { .. } => Some("result"),
        _ => None,
    }
}

fn check_size(plugin: &Plugin, size: u64, what: &str, limits: PluginLimits) -> Result<(), CallError> {
    if size <= limits.max_result_bytes {
        return Ok(());
    }
    Err(CallError::InvalidResult {
        plugin: plugin.info.name.clone(),
        version: plugin.info.version.clone(),
        detail: format!("{size} bytes of {what}, more than the limit of {} bytes", limits.max_result_bytes),
    })
}

fn store_panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    crate::store::readonly::panic_text(panic.as_ref())
}

fn classify_trap(error: wasmtime::Error, plugin: String, version: String, limits: PluginLimits) -> CallError {
    if let Some(cap) = error.downcast_ref::<MemoryCapExceeded>() {
        return CallError::MemoryCap { plugin, version, detail: cap.to_string() };
    }
    if let Some(stop) = error.downcast_ref::<HostStop>() {
        return match stop {
            HostStop::QueryDeadline(ms) => CallError::Timeout { plugin, version, deadline_ms: *ms },
            HostStop::RowCap(_) | HostStop::ByteCap(_) => {
                CallError::Limit { plugin, version, detail: stop.to_string() }
            }
        };
    }
    if let Some(Trap::Interrupt) = error.downcast_ref::<Trap>() {
        return CallError::Timeout { plugin, version, deadline_ms: limits.deadline_ms };
    }
    CallError::Trap { plugin, version, detail: checks::shown_long(&format!("{error:#}")) }
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
