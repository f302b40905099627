//! The plugin runtime: one wasmtime engine (component model, pooling allocator, epoch
//! interruption), compiled components cached by content hash and recognised by their world
//! (metric, dashboard, pay model, game mechanic or rule), and calls that each get a fresh `Store`
//! with a deadline, a memory cap, caps on rows read, bytes read and bytes returned, and a
//! deny-by-default WASI (`wasi.rs`). A panic anywhere in a call becomes
//! [`CallError::HostPanic`]; nothing of the call outlives it.

pub mod bindings;
pub mod cache;
pub mod checks;
pub mod compile;
pub mod host;
pub mod limiter;
pub mod logs;
pub mod roster;
pub mod wasi;
pub mod watchdog;
pub mod worlds;

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config as EngineConfig, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

use self::bindings::{PluginInfo, PluginKind};
use self::cache::CompiledCache;
pub use self::host::{AnalyticsHost, CallImports};
use self::host::{CallShared, CallState, HostStop};
use self::limiter::{CallLimiter, MemoryCapExceeded};
use self::logs::CallLog;
pub use self::roster::Roster;
use self::worlds::{RECOGNIZERS, World};
use crate::config::{Compiler, MAX_PLUGIN_MEMORY_BYTES, PluginLimits};
use crate::store::TenantDb;

/// How often the engine's epoch advances; deadlines are rounded up to it.
const EPOCH_TICK: Duration = Duration::from_millis(2);

/// Why a component cannot be loaded. The uploader's faults (`NotAComponent` …
/// `BadName`) are told to the uploader; the server's own (`Engine`, `Compiler`, `Cache`) go to
/// the log only.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a valid component (as the compiler says, in this process or the child).
    #[error("not a WebAssembly component, or a corrupt one: {0}")]
    NotAComponent(String),
    /// Compiling took too long or too much memory, and was stopped.
    #[error("compiling the component was stopped: {0}")]
    CompileStopped(String),
    /// The engine, its linker or a compiled artifact failed: the server's fault, not the upload's.
    #[error("the plugin engine failed: {0}")]
    Engine(#[source] wasmtime::Error),
    /// The compile child process failed for a reason other than the component.
    #[error("the compiler process failed: {0}")]
    Compiler(String),
    #[error("the component does not fit the `{world}` world: {detail}")]
    WrongWorld { world: String, detail: String },
    #[error("describe() failed: {0}")]
    Describe(#[source] Box<CallError>),
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
    /// Every instance slot of the engine is taken: the server is at capacity.
    #[error("no plugin instance could be created right now: {0}")]
    Busy(#[source] wasmtime::Error),
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

/// What a call's store starts with.
struct CallSetup<'a> {
    tenant: Option<Arc<TenantDb>>,
    imports: CallImports,
    live_path: bool,
    limits: PluginLimits,
    name: &'a str,
    version: &'a str,
}

/// A compiled, pre-instantiated plugin of one world with its `describe()` answer.
pub struct Plugin {
    pub hash: String,
    pub info: PluginInfo,
    pub size_bytes: u64,
    /// The world's pre-instantiated bindings ([`World::Pre`] of the world of `info.kind`).
    pre: Box<dyn Any + Send + Sync>,
}

impl Plugin {
    pub fn kind(&self) -> PluginKind {
        self.info.kind
    }

    /// Whether this is a metric that answers a sequence of periods in one call
    /// (`compute-series`); others are asked one period at a time.
    pub fn answers_series(&self) -> bool {
        self.pre.downcast_ref::<worlds::MetricPre>().is_some_and(worlds::MetricPre::answers_series)
    }

    /// Whether the plugin is a metric that opens its figures to their records.
    pub fn answers_records(&self) -> bool {
        self.pre.downcast_ref::<worlds::MetricPre>().is_some_and(worlds::MetricPre::answers_records)
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

/// The engine configuration every compiled component is made for; the compile subprocess
/// uses the same, so its output loads here.
pub fn engine_config() -> EngineConfig {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(512)
        .total_core_instances(4096)
        .total_memories(1024)
        .total_tables(4096)
        .max_memory_size(MAX_PLUGIN_MEMORY_BYTES as usize)
        // A fresh instance per call: the first pages of a slot's memory and tables are zeroed
        // in place for the next one instead of given back to the kernel (no page faults, no
        // cross-core TLB flushes on the live path); the rest is decommitted as before.
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(64 << 10)
        // Calls never run on fibers (no async support), so no stacks are pooled: with
        // `wasmtime-wasi`'s async feature the default would reserve 2 MiB for each of 1,000,
        // more than the compile child's memory limit.
        .total_stacks(0);
    let mut config = EngineConfig::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
}

impl Runtime {
    pub fn new(cache_dir: std::path::PathBuf, compiler: Compiler) -> Result<Arc<Runtime>, LoadError> {
        let engine = Engine::new(&engine_config()).map_err(LoadError::Engine)?;
        let mut linker = Linker::new(&engine);
        // Every world imports `host`; later definitions are the same implementation.
        linker.allow_shadowing(true);
        worlds::link_all(&mut linker).map_err(LoadError::Engine)?;
        wasi::link(&mut linker).map_err(LoadError::Engine)?;
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

    /// Plugin SQL run outside a call (the SQL of a metric's records), in the same sandbox and
    /// under the same watchdog as `host.query`, by `deadline` and within `limits`.
    pub fn plugin_sql<'a>(&'a self, limits: &'a PluginLimits, deadline: Instant) -> host::PluginSql<'a> {
        host::PluginSql { shared: &self.shared, limits, deadline }
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
        let recognized = self.recognize(&component)?;
        let limits = PluginLimits { deadline_ms: 2_000, ..PluginLimits::default() };
        let setup = CallSetup {
            tenant: None,
            imports: CallImports::none(),
            live_path: false,
            limits,
            name: "(loading)",
            version: "",
        };
        let describe = recognized.describe;
        let info = self
            .run_call(setup, (String::new(), String::new()), |store| {
                Ok(describe(recognized.pre.as_ref(), store).map(Ok))
            })
            .map_err(|e| LoadError::Describe(Box::new(e)))?;
        if info.kind != recognized.kind {
            return Err(LoadError::WrongKind { expected: recognized.kind, found: info.kind });
        }
        let name_ok = !info.name.is_empty()
            && info.name.len() <= 64
            && info.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(LoadError::BadName(checks::shown(&info.name)));
        }
        checks::check_info(&info).map_err(LoadError::BadInfo)?;
        Ok(Plugin { hash, info, size_bytes: bytes.len() as u64, pre: recognized.pre })
    }

    /// Pre-instantiates the component as the first world whose exports it has.
    fn recognize(&self, component: &Component) -> Result<worlds::Recognized, LoadError> {
        let names: Vec<&str> = RECOGNIZERS.iter().map(|(name, _)| *name).collect();
        let wrong = |detail: String| LoadError::WrongWorld { world: names.join(", "), detail };
        let mut linker = self.linker.clone();
        // What `wasi::link` does not grant (`wasi:http`, …) traps when called.
        wasi::define_the_rest_as_traps(&mut linker, &self.engine, component).map_err(|e| wrong(format!("{e:#}")))?;
        let instance_pre = linker.instantiate_pre(component).map_err(|e| wrong(format!("{e:#}")))?;
        let mut reasons = Vec::new();
        for (name, recognize) in RECOGNIZERS {
            match recognize(&instance_pre) {
                Ok(recognized) => return Ok(recognized),
                Err(e) => reasons.push(format!("as a {name}: {e:#}")),
            }
        }
        Err(wrong(reasons.join("; ")))
    }

    fn new_store(&self, setup: CallSetup) -> Store<CallState> {
        let limits = setup.limits;
        let state = CallState {
            tenant: setup.tenant,
            analytics: setup.imports.analytics,
            roster: setup.imports.roster,
            live_path: setup.live_path,
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
            wasi: wasi::CallWasi::new(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(limits.deadline_ms.div_ceil(EPOCH_TICK.as_millis() as u64).max(1));
        store.epoch_deadline_trap();
        store
    }

    /// Runs `entry` in a fresh store under `setup`'s limits and classifies whatever went wrong
    /// into a [`CallError`] naming the plugin and version. Blocking.
    fn run_call<T>(
        &self,
        setup: CallSetup,
        (name, version): (String, String),
        entry: impl FnOnce(&mut Store<CallState>) -> Result<wasmtime::Result<Result<T, String>>, CallError>,
    ) -> Result<T, CallError> {
        let limits = setup.limits;
        let tenant = setup.tenant.as_ref().map_or_else(|| "-".to_string(), |t| t.id.clone());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut store = self.new_store(setup);
            let result = entry(&mut store);
            store.data_mut().finish_log();
            // A clock wait cut at the deadline is the deadline passing, whatever the guest did next.
            if store.data().wasi.waited_past_deadline() {
                let deadline_ms = limits.deadline_ms;
                return Err(CallError::Timeout { plugin: name.clone(), version: version.clone(), deadline_ms });
            }
            result
        }));
        let result = match outcome {
            Err(panic) => {
                let detail = crate::store::readonly::panic_text(panic.as_ref());
                tracing::error!(plugin = %name, %version, %detail, "the host panicked during a plugin call");
                Err(CallError::HostPanic { plugin: name, version })
            }
            Ok(Err(error)) => Err(error),
            Ok(Ok(Ok(Ok(value)))) => Ok(value),
            Ok(Ok(Ok(Err(message)))) => {
                Err(CallError::Plugin { plugin: name, version, message: checks::shown_long(&message) })
            }
            Ok(Ok(Err(trap))) => Err(classify_trap(trap, name, version, limits)),
        };
        if let Err(error) = &result
            && let Some(limit) = limit_of(error)
        {
            crate::telemetry::limit_hit(&tenant, limit, 1);
        }
        result
    }

    /// Calls the entry point of world `W` of `plugin` under `limits` (with `analytics` for
    /// worlds that import it) and checks the output. The one call path of every world.
    /// Blocking: call it from a blocking thread.
    pub fn call<W: World>(
        &self,
        plugin: &Plugin,
        tenant: Arc<TenantDb>,
        imports: CallImports,
        limits: PluginLimits,
        request: &W::Request,
    ) -> Result<W::Output, CallError> {
        let (name, version) = (plugin.info.name.clone(), plugin.info.version.clone());
        let pre = plugin.pre.downcast_ref::<W::Pre>().ok_or_else(|| CallError::WrongKind {
            plugin: name.clone(),
            version: version.clone(),
            expected: W::KIND,
            found: plugin.info.kind,
        })?;
        let imports = CallImports {
            analytics: imports.analytics.filter(|_| W::ANALYTICS),
            roster: imports.roster.filter(|_| W::LIVE_PATH),
        };
        let tenant_id = tenant.id.clone();
        let setup = CallSetup {
            tenant: Some(tenant),
            imports,
            live_path: W::LIVE_PATH,
            limits,
            name: &name,
            version: &version,
        };
        let output = self.run_call(setup, (name.clone(), version.clone()), |store| {
            let bindings = match W::instantiate(pre, store) {
                Ok(bindings) => bindings,
                // Every instance slot taken is the server at capacity; anything else (a trap in
                // the component's start, say) is the plugin's, classified like a call's.
                Err(e) if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() => {
                    return Err(CallError::Busy(e));
                }
                Err(e) => return Ok(Err(e)),
            };
            Ok(W::call(&bindings, store, request))
        })?;
        W::check(&output, &limits).map_err(|detail| {
            crate::telemetry::limit_hit(&tenant_id, "result", 1);
            CallError::InvalidResult { plugin: name, version, detail }
        })?;
        Ok(output)
    }
}

/// The limit a failed call ran into, as the `cxhost_plugin_limit_hits_total` series names it.
fn limit_of(error: &CallError) -> Option<&'static str> {
    match error {
        CallError::Timeout { .. } => Some("deadline"),
        CallError::MemoryCap { .. } => Some("memory_cap"),
        CallError::Limit { detail, .. } if detail.contains("bytes") => Some("bytes_read"),
        CallError::Limit { .. } => Some("rows_read"),
        _ => None,
    }
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
