//! Server configuration: where data lives, where to listen, the default limits of plugin calls
//! and tenant databases, and the server-wide budgets they share.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Limits on what a tenant's plugins can cause, per call and per tenant; each tenant may have
/// its own (`PUT /v1/tenants/{tenant}/limits`). Fields left out of a stored or sent document
/// take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PluginLimits {
    /// Wall-clock deadline of one call — guest code, its SQL and the host's work on its
    /// results — in milliseconds.
    pub deadline_ms: u64,
    /// Linear memory a plugin instance may grow to, in bytes.
    pub memory_bytes: u64,
    /// Rows a call may read through `host.query`, summed over its queries.
    pub max_rows_read: u64,
    /// Size of the result a call may return, in bytes (estimated as serialized).
    pub max_result_bytes: u64,
    /// Bytes of query results a call may receive, summed over its queries (counted as DuckDB
    /// produces them, so a huge result is stopped before it is built).
    pub max_bytes_read: u64,
    /// The longest text value a query may return to a plugin, in bytes (DuckDB stops the
    /// query before handing over a longer one).
    pub max_text_bytes: u64,
    /// DuckDB memory limit of the tenant's database (its buffer pool, hash tables, sorts).
    pub db_memory_bytes: u64,
    /// Disk DuckDB may use for the tenant's spilled intermediate results.
    pub db_temp_bytes: u64,
    /// Worker threads of the tenant's database.
    pub db_threads: u32,
    /// Requests that run the tenant's plugins at the same time; more wait in a queue.
    pub max_concurrent_calls: u32,
    /// Requests that may wait for one of those places; more are refused with `429`.
    pub max_queued_calls: u32,
    /// How long a request waits for a place before it is refused with `429`, in milliseconds.
    pub queue_wait_ms: u64,
    /// Log lines one call may write through `host.log`; the rest are dropped and counted.
    pub log_lines_per_call: u32,
    /// Log lines all calls of the tenant may write per minute.
    pub log_lines_per_minute: u32,
}

/// The defaults of the limits that depend on the machine or are shared.
mod defaults {
    pub fn max_bytes_read() -> u64 {
        64 << 20
    }
    pub fn db_memory_bytes() -> u64 {
        512 << 20
    }
    pub fn db_temp_bytes() -> u64 {
        2 << 30
    }
    /// Half the machine, like [`max_concurrent_calls`]: one tenant's SQL cannot take every core.
    pub fn db_threads() -> u32 {
        (super::cores() / 2).max(1)
    }
    pub fn max_concurrent_calls() -> u32 {
        (super::cores() / 2).max(1)
    }
    pub fn max_queued_calls() -> u32 {
        16
    }
    pub fn queue_wait_ms() -> u64 {
        2_000
    }
    pub fn log_lines_per_call() -> u32 {
        100
    }
    pub fn log_lines_per_minute() -> u32 {
        1_000
    }
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            deadline_ms: 5_000,
            memory_bytes: 64 << 20,
            max_rows_read: 5_000_000,
            max_result_bytes: 16 << 20,
            max_bytes_read: defaults::max_bytes_read(),
            max_text_bytes: 64 << 10,
            db_memory_bytes: defaults::db_memory_bytes(),
            db_temp_bytes: defaults::db_temp_bytes(),
            db_threads: defaults::db_threads(),
            max_concurrent_calls: defaults::max_concurrent_calls(),
            max_queued_calls: defaults::max_queued_calls(),
            queue_wait_ms: defaults::queue_wait_ms(),
            log_lines_per_call: defaults::log_lines_per_call(),
            log_lines_per_minute: defaults::log_lines_per_minute(),
        }
    }
}

impl PluginLimits {
    /// The limits of one call that does the work of `calls` single calls (a metric series of
    /// that many periods): what those calls could have used one after the other — their time,
    /// the rows and bytes they could read and the results they could return — with memory
    /// scaled the same way up to the engine's ceiling of [`MAX_PLUGIN_MEMORY_BYTES`].
    pub fn for_calls(self, calls: u64) -> PluginLimits {
        let calls = calls.max(1);
        PluginLimits {
            deadline_ms: self.deadline_ms.saturating_mul(calls),
            memory_bytes: self.memory_bytes.saturating_mul(calls).min(MAX_PLUGIN_MEMORY_BYTES.max(self.memory_bytes)),
            max_rows_read: self.max_rows_read.saturating_mul(calls),
            max_bytes_read: self.max_bytes_read.saturating_mul(calls),
            max_result_bytes: self.max_result_bytes.saturating_mul(calls),
            ..self
        }
    }

    /// Why these limits cannot be used, naming the field, or `None` when they can.
    pub fn invalid(&self) -> Option<(&'static str, String)> {
        let between = |field: &'static str, value: u64, low: u64, high: u64| {
            (!(low..=high).contains(&value)).then(|| (field, format!("{field} must be between {low} and {high}")))
        };
        between("deadline_ms", self.deadline_ms, 1, 600_000)
            .or_else(|| between("memory_bytes", self.memory_bytes, 1 << 20, MAX_PLUGIN_MEMORY_BYTES))
            .or_else(|| between("max_rows_read", self.max_rows_read, 1, 1 << 40))
            .or_else(|| between("max_result_bytes", self.max_result_bytes, 1 << 10, 1 << 30))
            .or_else(|| between("max_bytes_read", self.max_bytes_read, 1 << 10, 16 << 30))
            .or_else(|| between("max_text_bytes", self.max_text_bytes, 1 << 10, 256 << 10))
            .or_else(|| between("db_memory_bytes", self.db_memory_bytes, 64 << 20, 1 << 40))
            .or_else(|| between("db_temp_bytes", self.db_temp_bytes, 0, 1 << 42))
            .or_else(|| between("db_threads", self.db_threads.into(), 1, 256))
            .or_else(|| between("max_concurrent_calls", self.max_concurrent_calls.into(), 1, 1024))
            .or_else(|| between("max_queued_calls", self.max_queued_calls.into(), 0, 100_000))
            .or_else(|| between("queue_wait_ms", self.queue_wait_ms, 0, 600_000))
            .or_else(|| between("log_lines_per_call", self.log_lines_per_call.into(), 0, 1_000_000))
            .or_else(|| between("log_lines_per_minute", self.log_lines_per_minute.into(), 0, 10_000_000))
    }

    /// The tenant database's resources under these limits.
    pub fn database(&self) -> DatabaseLimits {
        DatabaseLimits { memory_bytes: self.db_memory_bytes, temp_bytes: self.db_temp_bytes, threads: self.db_threads }
    }
}

/// What one open tenant database may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseLimits {
    pub memory_bytes: u64,
    pub temp_bytes: u64,
    pub threads: u32,
}

/// The largest memory cap any tenant may be given; the pooling allocator reserves slots of
/// this size.
pub const MAX_PLUGIN_MEMORY_BYTES: u64 = 1 << 30;

/// The machine's cores as the operating system offers them to this process.
pub fn cores() -> u32 {
    // Read once: `available_parallelism` reads the cgroup files on every call, and the live
    // path asks for every decision.
    static CORES: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get() as u32))
}

/// Physical memory of the machine, from `/proc/meminfo` (8 GiB where it cannot be read).
pub fn physical_memory_bytes() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib << 10)
        })
        .unwrap_or(8 << 30)
}

/// How uploaded components are compiled.
#[derive(Debug, Clone)]
pub enum Compiler {
    /// On a thread of the server. For tools and tests that trust what they compile.
    InProcess,
    /// In a child process (`<exe> compile-plugin`) with a wall-clock deadline and a memory
    /// limit, so that a component built to make the compiler run away costs nothing but the
    /// child. The server's default.
    Subprocess { exe: PathBuf, timeout: Duration, memory_bytes: u64 },
}

impl Compiler {
    /// The child-process compiler running this program's own executable.
    pub fn subprocess_of_current_exe() -> Compiler {
        match std::env::current_exe() {
            Ok(exe) => Compiler::Subprocess { exe, timeout: Duration::from_secs(60), memory_bytes: 4 << 30 },
            Err(_) => Compiler::InProcess,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `system.duckdb`, `tenants/<id>/data.duckdb`, plugin blobs and compiled code.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub default_limits: PluginLimits,
    /// Largest request body accepted (ingest batches), in bytes.
    pub max_body_bytes: usize,
    /// Largest plugin component accepted for upload, in bytes.
    pub max_plugin_bytes: usize,
    /// Bootstrap operator key; when unset one is generated at first start and printed.
    pub operator_key: Option<String>,
    /// Compiled plugin code, keyed by content hash and engine; shareable between servers.
    pub compiled_dir: PathBuf,
    /// How uploaded components are compiled.
    pub compiler: Compiler,
    /// The sum of the DuckDB memory limits of all open tenant databases stays within this;
    /// idle tenants are closed to make room.
    pub memory_budget_bytes: u64,
    /// A tenant database unused for this long is closed (and reopened on its next request).
    pub idle_close: Duration,
    /// How often the rule scheduler looks for rule runs that came due; none: rules run only on
    /// demand (tests that drive the scheduler themselves).
    pub rule_tick: Option<Duration>,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        Config {
            compiled_dir: data_dir.join("compiled"),
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            default_limits: PluginLimits::default(),
            max_body_bytes: 2 << 30,
            max_plugin_bytes: 32 << 20,
            operator_key: None,
            compiler: Compiler::InProcess,
            memory_budget_bytes: physical_memory_bytes() / 2,
            idle_close: Duration::from_secs(300),
            rule_tick: Some(Duration::from_secs(30)),
        }
    }

    pub fn system_db_path(&self) -> PathBuf {
        self.data_dir.join("system.duckdb")
    }

    pub fn tenants_dir(&self) -> PathBuf {
        self.data_dir.join("tenants")
    }

    pub fn plugin_blobs_dir(&self) -> PathBuf {
        self.data_dir.join("plugins")
    }
}
