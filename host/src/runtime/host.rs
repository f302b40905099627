//! What a plugin call may reach: the `host` interface (logging, read-only tenant SQL), the
//! `analytics` interface of dashboards and rules (metrics and correlations, served through
//! [`AnalyticsHost`]), the `roster` interface of routers (the tenant's snapshot of its agents)
//! and the per-call state that enforces its limits (WASI is in `wasi.rs`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use duckdb::arrow::array::{Array, ArrayRef, AsArray};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use duckdb::types::{TimeUnit as DuckTimeUnit, Value};

use super::bindings::dashboard::cxhost::plugin::analytics;
use super::bindings::metric::cxhost::plugin::{host, types};
use super::bindings::{
    AgentFigures, AgentOrder, Batch, Column, ColumnValues, CorrelationRequest, GroupBy, LogLevel, MatrixRequest,
    MetricRequest, MetricResult, Param, Pool, SeriesRequest, SeriesResult, SnapshotInfo, SqlValue, WitCorrelation,
    WitMatrixCell,
};
use super::limiter::CallLimiter;
use super::logs::{CallLog, TenantLogBudgets};
use super::roster::Roster;
use super::wasi::CallWasi;
use super::watchdog::QueryWatchdog;
use crate::config::PluginLimits;
use crate::store::{TenantDb, readonly};

/// Why a call was stopped by the host rather than by the plugin's own error.
#[derive(Debug, thiserror::Error)]
pub enum HostStop {
    #[error("deadline of {0} ms passed while a query ran")]
    QueryDeadline(u64),
    #[error("read more than {0} rows, the limit for one call")]
    RowCap(u64),
    #[error("read more than {0} bytes of query results, the limit for one call")]
    ByteCap(u64),
}

/// The host's analytics as a dashboard or rule call sees them, bound to the calling tenant.
/// Calls must finish by `deadline` (the caller's own).
pub trait AnalyticsHost: Send + Sync {
    fn metric(&self, name: &str, request: MetricRequest, deadline: Instant) -> Result<MetricResult, String>;
    fn metric_series(&self, name: &str, request: SeriesRequest, deadline: Instant) -> Result<SeriesResult, String>;
    fn correlate(&self, request: CorrelationRequest, deadline: Instant) -> Result<WitCorrelation, String>;
    fn correlate_matrix(&self, request: MatrixRequest, deadline: Instant) -> Result<Vec<WitMatrixCell>, String>;
}

/// What a call may reach besides `host`: the analytics of dashboards and rules, the roster
/// snapshot of routers. Each world takes only what it imports.
#[derive(Clone, Default)]
pub struct CallImports {
    pub analytics: Option<Arc<dyn AnalyticsHost>>,
    pub roster: Option<Arc<Roster>>,
}

impl CallImports {
    pub fn none() -> CallImports {
        CallImports::default()
    }

    pub fn analytics(analytics: Arc<dyn AnalyticsHost>) -> CallImports {
        CallImports { analytics: Some(analytics), roster: None }
    }

    pub fn roster(roster: Arc<Roster>) -> CallImports {
        CallImports { analytics: None, roster: Some(roster) }
    }
}

/// The store data of one plugin call.
pub struct CallState {
    /// The calling tenant's database; none while `describe()` runs.
    pub tenant: Option<Arc<TenantDb>>,
    /// Metrics and correlations for dashboard and rule calls; none for other kinds.
    pub analytics: Option<Arc<dyn AnalyticsHost>>,
    /// The tenant's roster snapshot for router calls; none for other kinds.
    pub roster: Option<Arc<Roster>>,
    /// A call on the live path (a router): `host.query` answers an error instead of SQL.
    pub live_path: bool,
    pub plugin: String,
    pub version: String,
    pub limits: PluginLimits,
    pub deadline: Instant,
    pub rows_read: u64,
    pub bytes_read: u64,
    pub queries: u32,
    pub limiter: CallLimiter,
    pub log: CallLog,
    pub shared: Arc<CallShared>,
    /// The call's WASI: captured stdio, seeded random, a clock bound by `deadline`.
    pub wasi: CallWasi,
}

/// What every call's state shares: the query watchdog and the tenants' log budgets.
#[derive(Default)]
pub struct CallShared {
    pub watchdog: QueryWatchdog,
    pub log_budgets: TenantLogBudgets,
}

impl types::Host for CallState {}

impl CallState {
    /// The analytics service and the time left, or why the call may not use them.
    fn analytics(&self) -> wasmtime::Result<Result<Arc<dyn AnalyticsHost>, String>> {
        if Instant::now() >= self.deadline {
            return Err(HostStop::QueryDeadline(self.limits.deadline_ms).into());
        }
        Ok(self.analytics.clone().ok_or_else(|| "analytics are offered to dashboard and rule calls only".to_string()))
    }

    /// Writes what the call printed to stdout and stderr, then its summary of dropped lines.
    pub fn finish_log(&mut self) {
        let tenant = self.tenant.as_ref().map_or("-", |t| t.id.as_str());
        let who = (tenant, self.plugin.as_str(), self.version.as_str());
        self.wasi.flush_stdio(&mut self.log, &self.shared.log_budgets, who);
        self.log.finish(who);
    }

    /// Runs one plugin query under the call's deadline and what is left of its read budget,
    /// and converts the result to a WIT batch.
    fn run_query(&mut self, tenant: &TenantDb, sql: &str, params: Vec<Value>) -> QueryOutcome {
        let budget = readonly::ReadBudget {
            max_rows: self.limits.max_rows_read.saturating_sub(self.rows_read),
            max_bytes: self.limits.max_bytes_read.saturating_sub(self.bytes_read),
            max_text_bytes: self.limits.max_text_bytes,
        };
        let run = PluginSql { shared: &self.shared, limits: &self.limits, deadline: self.deadline };
        let selected = match run.select(tenant, (&self.plugin, &self.version), sql, params, budget) {
            Ok(selected) => selected,
            Err(QueryFailure::Stop(stop)) => return QueryOutcome::Stop(stop),
            Err(QueryFailure::Failed(message)) => return QueryOutcome::Failed(message),
        };
        self.rows_read += selected.batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
        self.bytes_read += selected.bytes;
        let batch = catch_unwind(AssertUnwindSafe(|| to_batch(&selected))).unwrap_or_else(|panic| {
            let detail = readonly::panic_text(&panic);
            tracing::error!(tenant = %tenant.id, plugin = %self.plugin, %detail, "converting a plugin query's result panicked");
            Err("the query's result could not be converted".to_string())
        });
        if Instant::now() >= self.deadline {
            return QueryOutcome::Stop(HostStop::QueryDeadline(self.limits.deadline_ms));
        }
        match batch {
            Ok(batch) => QueryOutcome::Rows(batch),
            Err(message) => QueryOutcome::Failed(message),
        }
    }
}

/// Plugin SQL run in the plugins' sandbox — inside a call (`host.query`) or for a plugin
/// outside one (the SQL of a metric's records) — under a deadline and the plugin's limits.
pub struct PluginSql<'a> {
    pub shared: &'a CallShared,
    pub limits: &'a PluginLimits,
    pub deadline: Instant,
}

/// Why plugin SQL gave no result.
#[derive(Debug)]
pub enum QueryFailure {
    /// A limit that ends the call.
    Stop(HostStop),
    /// An error the plugin (or its author) can act on; paths scrubbed.
    Failed(String),
}

impl PluginSql<'_> {
    /// Runs one statement on a pooled connection of `tenant` under the deadline and `budget`.
    /// The connection is discarded after any failure inside DuckDB, so the next caller never
    /// inherits an aborted transaction or a pending interrupt.
    pub fn select(
        &self,
        tenant: &TenantDb,
        (plugin, version): (&str, &str),
        sql: &str,
        params: Vec<Value>,
        budget: readonly::ReadBudget,
    ) -> Result<readonly::Selected, QueryFailure> {
        if Instant::now() >= self.deadline {
            return Err(QueryFailure::Stop(HostStop::QueryDeadline(self.limits.deadline_ms)));
        }
        let conn = match tenant.connection() {
            Ok(conn) => conn,
            Err(e) => return Err(QueryFailure::Failed(format!("cannot reach the tenant database: {e}"))),
        };
        let armed = self.shared.watchdog.arm(self.deadline, conn.interrupt_handle());
        let result = readonly::run_select(&conn, sql, params, budget, &tenant.checked);
        let interrupted = armed.fired();
        drop(armed);
        if interrupted || result.as_ref().is_err_and(|e| e.ran()) {
            conn.discard();
        }
        drop(conn);
        match result {
            Ok(selected) => Ok(selected),
            Err(readonly::ReadOnlyError::TooManyRows { .. }) => {
                Err(QueryFailure::Stop(HostStop::RowCap(self.limits.max_rows_read)))
            }
            Err(readonly::ReadOnlyError::TooManyBytes { .. }) => {
                Err(QueryFailure::Stop(HostStop::ByteCap(self.limits.max_bytes_read)))
            }
            Err(_) if interrupted || Instant::now() >= self.deadline => {
                Err(QueryFailure::Stop(HostStop::QueryDeadline(self.limits.deadline_ms)))
            }
            Err(readonly::ReadOnlyError::Panicked(detail)) => {
                tracing::error!(tenant = %tenant.id, %plugin, %version, %detail, "plugin query result conversion panicked");
                Err(QueryFailure::Failed("the query's result could not be converted".to_string()))
            }
            Err(e) => Err(QueryFailure::Failed(scrub_paths(&e.to_string(), tenant))),
        }
    }
}

/// How one `host.query` ended.
enum QueryOutcome {
    Rows(Batch),
    /// An error the plugin sees and may handle.
    Failed(String),
    /// A limit that ends the call.
    Stop(HostStop),
}

/// `text` with the tenant's directory and the server's data directory replaced by neutral
/// names: plugins never see where the host keeps its files.
pub fn scrub_paths(text: &str, tenant: &TenantDb) -> String {
    let tenant_dir = tenant.dir().to_string_lossy().to_string();
    let mut scrubbed = text.replace(&tenant_dir, "<tenant>");
    if let Some(data_dir) = tenant.dir().parent().and_then(|p| p.parent()) {
        let data_dir = data_dir.to_string_lossy().to_string();
        if data_dir.len() > 1 {
            scrubbed = scrubbed.replace(&data_dir, "<data>");
        }
    }
    scrubbed
}

impl analytics::Host for CallState {
    fn metric(
        &mut self,
        name: String,
        period_start: i64,
        period_end: i64,
        group_by: GroupBy,
        params: Vec<Param>,
    ) -> wasmtime::Result<Result<MetricResult, String>> {
        self.queries += 1;
        let result = self.analytics()?.and_then(|analytics| {
            let request = MetricRequest { period_start, period_end, group_by, params };
            analytics.metric(&name, request, self.deadline)
        });
        self.after_nested_call(result)
    }

    fn metric_series(
        &mut self,
        name: String,
        request: SeriesRequest,
    ) -> wasmtime::Result<Result<SeriesResult, String>> {
        self.queries += 1;
        let result = self.analytics()?.and_then(|analytics| analytics.metric_series(&name, request, self.deadline));
        self.after_nested_call(result)
    }

    fn correlate(&mut self, request: CorrelationRequest) -> wasmtime::Result<Result<WitCorrelation, String>> {
        self.queries += 1;
        let result = self.analytics()?.and_then(|analytics| analytics.correlate(request, self.deadline));
        self.after_nested_call(result)
    }

    fn correlate_matrix(&mut self, request: MatrixRequest) -> wasmtime::Result<Result<Vec<WitMatrixCell>, String>> {
        self.queries += 1;
        let result = self.analytics()?.and_then(|analytics| analytics.correlate_matrix(request, self.deadline));
        self.after_nested_call(result)
    }
}

impl CallState {
    /// A nested call's answer, unless the call's own deadline passed meanwhile.
    fn after_nested_call<T>(&self, result: Result<T, String>) -> wasmtime::Result<Result<T, String>> {
        if Instant::now() >= self.deadline {
            return Err(HostStop::QueryDeadline(self.limits.deadline_ms).into());
        }
        Ok(result)
    }
}

impl host::Host for CallState {
    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        let tenant = self.tenant.as_ref().map_or("-", |t| t.id.as_str());
        self.log.write(&self.shared.log_budgets, (tenant, &self.plugin, &self.version), level, &message);
        Ok(())
    }

    fn query(&mut self, sql: String, params: Vec<SqlValue>) -> wasmtime::Result<Result<Batch, String>> {
        self.queries += 1;
        if Instant::now() >= self.deadline {
            return Err(HostStop::QueryDeadline(self.limits.deadline_ms).into());
        }
        if self.live_path {
            return Ok(Err("routers run on the live path and read the `roster` snapshot, not SQL".to_string()));
        }
        let Some(tenant) = self.tenant.clone() else {
            return Ok(Err("no tenant data is available while the plugin describes itself".to_string()));
        };
        let params = params.into_iter().map(to_duck_value).collect();
        let (started, rows_before) = (Instant::now(), self.rows_read);
        let outcome = self.run_query(&tenant, &sql, params);
        // `cxhost plugin run` shows every query of a call from this event (crate::local::trace).
        tracing::debug!(sql = %sql, elapsed_us = started.elapsed().as_micros() as u64, rows = self.rows_read - rows_before, "plugin query");
        match outcome {
            QueryOutcome::Rows(batch) => Ok(Ok(batch)),
            QueryOutcome::Failed(message) => Ok(Err(message)),
            QueryOutcome::Stop(stop) => Err(stop.into()),
        }
    }
}

pub fn to_duck_value(value: SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(v) => Value::BigInt(v),
        SqlValue::Float(v) => Value::Double(v),
        SqlValue::Text(v) => Value::Text(v),
        SqlValue::Boolean(v) => Value::Boolean(v),
        SqlValue::Timestamp(v) => Value::Timestamp(DuckTimeUnit::Microsecond, v),
    }
}

/// Arrow record batches to one columnar WIT batch. Integers become `integer`, floats and
/// decimals `float`, strings `text`, dates and timestamps `timestamp` (µs, UTC).
pub fn to_batch(selected: &readonly::Selected) -> Result<Batch, String> {
    let (schema, batches) = (&selected.schema, &selected.batches);
    let row_count: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (index, field) in schema.fields().iter().enumerate() {
        let arrays: Vec<&ArrayRef> = batches.iter().map(|b| b.column(index)).collect();
        columns.push(to_column(field.name(), field.data_type(), &arrays, row_count)?);
    }
    Ok(Batch { row_count: row_count as u32, columns })
}

fn to_column(name: &str, ty: &DataType, arrays: &[&ArrayRef], rows: usize) -> Result<Column, String> {
    let target = match ty {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => DataType::Int64,
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => DataType::Int64,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => DataType::Float64,
        DataType::Decimal128(..) | DataType::Decimal256(..) => DataType::Float64,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::Boolean => DataType::Boolean,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => {
            DataType::Timestamp(TimeUnit::Microsecond, None)
        }
        DataType::Null => DataType::Int64,
        other => {
            return Err(format!(
                "column `{name}` has type {other}, which plugins cannot receive; CAST it to VARCHAR, DOUBLE, BIGINT or TIMESTAMP"
            ));
        }
    };
    let mut nulls = Vec::new();
    let mut any_null = false;
    let mut casted = Vec::with_capacity(arrays.len());
    for array in arrays {
        let array = cast(array, &target).map_err(|e| format!("column `{name}`: {e}"))?;
        any_null |= array.null_count() > 0;
        casted.push(array);
    }
    if any_null {
        nulls.reserve(rows);
        for array in &casted {
            nulls.extend((0..array.len()).map(|i| array.is_null(i)));
        }
    }
    let values = match target {
        DataType::Int64 => ColumnValues::Integer(
            casted.iter().flat_map(|a| a.as_primitive::<Int64Type>().values().iter().copied()).collect(),
        ),
        DataType::Float64 => ColumnValues::Float(
            casted.iter().flat_map(|a| a.as_primitive::<Float64Type>().values().iter().copied()).collect(),
        ),
        DataType::Boolean => ColumnValues::Boolean(
            casted
                .iter()
                .flat_map(|a| {
                    let b = a.as_boolean();
                    (0..b.len()).map(move |i| b.value(i))
                })
                .collect(),
        ),
        DataType::Utf8 => ColumnValues::Text(
            casted
                .iter()
                .flat_map(|a| {
                    let s = a.as_string::<i32>();
                    (0..s.len()).map(move |i| if s.is_null(i) { String::new() } else { s.value(i).to_string() })
                })
                .collect(),
        ),
        _ => ColumnValues::Timestamp(
            casted.iter().flat_map(|a| a.as_primitive::<TimestampMicrosecondType>().values().iter().copied()).collect(),
        ),
    };
    Ok(Column { name: name.to_string(), values, nulls })
}

impl crate::runtime::bindings::router::cxhost::plugin::roster::Host for CallState {
    fn info(&mut self) -> wasmtime::Result<SnapshotInfo> {
        Ok(self.roster.as_ref().map_or_else(|| Roster::empty().info(), |r| r.info()))
    }

    fn agents(
        &mut self,
        pool: Option<Pool>,
        skill: String,
        available_only: bool,
        order: AgentOrder,
        limit: u32,
    ) -> wasmtime::Result<Vec<AgentFigures>> {
        Ok(self.roster.as_ref().map_or_else(Vec::new, |r| r.agents(pool, &skill, available_only, order, limit)))
    }

    fn agent(&mut self, agent_id: String) -> wasmtime::Result<Option<AgentFigures>> {
        Ok(self.roster.as_ref().and_then(|r| r.agent(&agent_id).cloned()))
    }
}
