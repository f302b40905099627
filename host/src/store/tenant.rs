//! Tenant databases: one DuckDB file per tenant, opened lazily with its own memory, disk and
//! thread limits, locked down so that SQL run on it can read only the tenant's own tables,
//! shared through a small pool of connections that go back only when clean, and closed when
//! idle or when the server's memory budget needs the room.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use duckdb::{Config as DuckConfig, Connection};

use super::schema;
use crate::config::DatabaseLimits;

/// Connections kept for reuse per tenant.
const POOL_SIZE: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum TenantDbError {
    #[error("cannot open the database of tenant `{tenant}` at {path}: {source}")]
    Open { tenant: String, path: PathBuf, source: Box<duckdb::Error> },
    #[error("cannot prepare the database of tenant `{tenant}`: {source}")]
    Setup { tenant: String, source: Box<duckdb::Error> },
    #[error("cannot create directory {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
    /// Every open tenant is in use and opening this one would pass the memory budget.
    #[error(
        "the server's database memory budget of {budget} bytes is taken by {open} tenants in use; \
         tenant `{tenant}` needs {needed} bytes"
    )]
    AtCapacity { tenant: String, needed: u64, budget: u64, open: usize },
}

/// One tenant's database. Ingest is serialised per tenant (`ingest_lock`); reads run on
/// pooled connections concurrently.
pub struct TenantDb {
    pub id: String,
    dir: PathBuf,
    limits: DatabaseLimits,
    base: Mutex<Connection>,
    pool: Mutex<Vec<Connection>>,
    pub ingest_lock: tokio::sync::Mutex<()>,
    /// Plugin statements already checked, with what they run as.
    pub checked: super::readonly::CheckedStatements,
    /// Connections dropped instead of pooled because they were left unclean.
    discarded: AtomicU64,
}

/// A pooled connection. On drop it goes back to the pool unless it was marked with
/// [`PooledConnection::discard`] or its thread is unwinding from a panic: whoever runs a
/// statement that may leave state behind on failure (a transaction, an interrupt) discards
/// the connection when it fails, so the next caller never inherits an aborted transaction.
/// (DuckDB's C API cannot say whether a connection is inside a transaction, and asking with
/// a `ROLLBACK` costs 85 µs.)
pub struct PooledConnection<'a> {
    conn: Option<Connection>,
    db: &'a TenantDb,
    discard: AtomicBool,
}

impl std::ops::Deref for PooledConnection<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl PooledConnection<'_> {
    /// Never reuse this connection: a statement on it failed, panicked or was interrupted in
    /// a way that may leave state behind.
    pub fn discard(&self) {
        self.discard.store(true, Ordering::Relaxed);
    }
}

impl Drop for PooledConnection<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.discard.load(Ordering::Relaxed) || std::thread::panicking() {
            self.db.discarded.fetch_add(1, Ordering::Relaxed);
            crate::telemetry::connection_discarded(&self.db.id);
            return;
        }
        if let Ok(mut pool) = self.db.pool.lock()
            && pool.len() < POOL_SIZE
        {
            pool.push(conn);
        }
    }
}

impl TenantDb {
    /// Opens (creating if needed) the tenant's database under `dir` with `limits`, creates the
    /// canonical tables and locks the configuration: no file access outside the tenant's
    /// staging directory, no extension installs, no configuration changes.
    pub fn open(id: &str, dir: &Path, limits: DatabaseLimits) -> Result<TenantDb, TenantDbError> {
        let staging = dir.join("staging");
        let spill = dir.join("spill");
        for path in [&staging, &spill] {
            std::fs::create_dir_all(path).map_err(|source| TenantDbError::Dir { path: path.clone(), source })?;
        }
        let path = dir.join("data.duckdb");
        let open_err =
            |source| TenantDbError::Open { tenant: id.to_string(), path: path.clone(), source: Box::new(source) };
        let config = DuckConfig::default()
            .enable_autoload_extension(false)
            .and_then(|c| c.with("autoinstall_known_extensions", "false"))
            .and_then(|c| c.max_memory(&format!("{}B", limits.memory_bytes)))
            .and_then(|c| c.threads(i64::from(limits.threads)))
            .and_then(|c| c.with("temp_directory", spill.to_string_lossy()))
            .and_then(|c| c.with("max_temp_directory_size", format!("{}B", limits.temp_bytes)))
            .map_err(open_err)?;
        let conn = Connection::open_with_flags(&path, config).map_err(open_err)?;
        let setup_err = |source| TenantDbError::Setup { tenant: id.to_string(), source: Box::new(source) };
        let staging_sql = staging.to_string_lossy().replace('\'', "''");
        conn.execute_batch(&schema::create_all_sql()).map_err(setup_err)?;
        conn.execute_batch(super::pay::CREATE_SQL).map_err(setup_err)?;
        conn.execute_batch(super::awards::CREATE_SQL).map_err(setup_err)?;
        conn.execute_batch(super::actions::CREATE_SQL).map_err(setup_err)?;
        conn.execute_batch(super::enrichments::CREATE_SQL).map_err(setup_err)?;
        conn.execute_batch(super::route_decisions::CREATE_SQL).map_err(setup_err)?;
        conn.execute_batch(schema::MIGRATIONS).map_err(setup_err)?;
        conn.execute_batch(&format!(
            "SET allowed_directories = ['{staging_sql}/'];
             SET enable_external_access = false;
             SET lock_configuration = true;"
        ))
        .map_err(setup_err)?;
        Ok(TenantDb {
            id: id.to_string(),
            dir: dir.to_path_buf(),
            limits,
            base: Mutex::new(conn),
            pool: Mutex::new(Vec::new()),
            ingest_lock: tokio::sync::Mutex::new(()),
            checked: Default::default(),
            discarded: AtomicU64::new(0),
        })
    }

    /// Where uploaded batches are staged for DuckDB's readers.
    pub fn staging_dir(&self) -> PathBuf {
        self.dir.join("staging")
    }

    /// The directory holding everything of this tenant (never shown to plugins or clients).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The limits the database was opened with.
    pub fn limits(&self) -> DatabaseLimits {
        self.limits
    }

    /// Connections dropped instead of pooled since the database was opened.
    pub fn discarded_connections(&self) -> u64 {
        self.discarded.load(Ordering::Relaxed)
    }

    pub fn connection(&self) -> Result<PooledConnection<'_>, duckdb::Error> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let conn = match pooled {
            Some(c) => c,
            None => self.base.lock().unwrap_or_else(|e| e.into_inner()).try_clone()?,
        };
        Ok(PooledConnection { conn: Some(conn), db: self, discard: AtomicBool::new(false) })
    }
}

/// An open tenant database and when it was last handed out.
struct OpenTenant {
    db: Arc<TenantDb>,
    last_used: Instant,
    /// Its limits changed: reopen it as soon as nobody uses it.
    stale: bool,
}

/// All tenant databases of this server, opened on first use. The DuckDB memory limits of the
/// open ones add up to at most the memory budget: opening one more closes the tenants unused
/// the longest first, and a tenant idle for longer than the idle limit is closed by
/// [`TenantStore::close_idle`].
pub struct TenantStore {
    root: PathBuf,
    budget_bytes: u64,
    default_limits: DatabaseLimits,
    /// Tenants whose limits differ from the defaults.
    limits: Mutex<HashMap<String, DatabaseLimits>>,
    /// Open databases. Opening and closing happen under this lock, so one file is never open
    /// twice.
    open: Mutex<HashMap<String, OpenTenant>>,
    opened: AtomicU64,
    closed: AtomicU64,
}

/// What the store holds right now.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct StoreFigures {
    pub open: usize,
    pub reserved_bytes: u64,
    pub budget_bytes: u64,
    pub opened: u64,
    pub closed: u64,
}

impl TenantStore {
    pub fn new(root: PathBuf, budget_bytes: u64, default_limits: DatabaseLimits) -> Self {
        TenantStore {
            root,
            budget_bytes,
            default_limits,
            limits: Mutex::new(HashMap::new()),
            open: Mutex::new(HashMap::new()),
            opened: AtomicU64::new(0),
            closed: AtomicU64::new(0),
        }
    }

    /// Sets the limits of `id`'s database; an open database is reopened with them once idle.
    pub fn set_limits(&self, id: &str, limits: DatabaseLimits) {
        self.limits.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string(), limits);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tenant) = open.get_mut(id)
            && tenant.db.limits != limits
        {
            tenant.stale = true;
        }
    }

    fn limits_of(&self, id: &str) -> DatabaseLimits {
        self.limits.lock().unwrap_or_else(|e| e.into_inner()).get(id).copied().unwrap_or(self.default_limits)
    }

    /// The tenant's database; the caller has checked that the tenant exists.
    pub fn get(&self, id: &str) -> Result<Arc<TenantDb>, TenantDbError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tenant) = open.get_mut(id) {
            let in_use = Arc::strong_count(&tenant.db) > 1;
            if !tenant.stale || in_use {
                tenant.last_used = Instant::now();
                return Ok(tenant.db.clone());
            }
            open.remove(id);
            self.closed.fetch_add(1, Ordering::Relaxed);
        }
        let limits = self.limits_of(id);
        let reserved =
            |open: &HashMap<String, OpenTenant>| open.values().map(|t| t.db.limits.memory_bytes).sum::<u64>();
        while reserved(&open) + limits.memory_bytes > self.budget_bytes {
            let idle = open
                .iter()
                .filter(|(_, t)| Arc::strong_count(&t.db) == 1)
                .min_by_key(|(_, t)| t.last_used)
                .map(|(id, _)| id.clone());
            let Some(victim) = idle else {
                return Err(TenantDbError::AtCapacity {
                    tenant: id.to_string(),
                    needed: limits.memory_bytes,
                    budget: self.budget_bytes,
                    open: open.len(),
                });
            };
            open.remove(&victim);
            self.closed.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(tenant = %victim, "closed an idle tenant database to make room");
        }
        let db = Arc::new(TenantDb::open(id, &self.root.join(id), limits)?);
        self.opened.fetch_add(1, Ordering::Relaxed);
        open.insert(id.to_string(), OpenTenant { db: db.clone(), last_used: Instant::now(), stale: false });
        crate::telemetry::tenant_databases(open.len(), reserved(&open));
        Ok(db)
    }

    /// Closes every database nobody uses that was last handed out longer than `idle` ago;
    /// returns how many.
    pub fn close_idle(&self, idle: Duration) -> usize {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let before = open.len();
        open.retain(|_, t| Arc::strong_count(&t.db) > 1 || t.last_used.elapsed() < idle);
        let closed = before - open.len();
        self.closed.fetch_add(closed as u64, Ordering::Relaxed);
        if closed > 0 {
            crate::telemetry::tenant_databases(open.len(), open.values().map(|t| t.db.limits.memory_bytes).sum());
        }
        closed
    }

    pub fn figures(&self) -> StoreFigures {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        StoreFigures {
            open: open.len(),
            reserved_bytes: open.values().map(|t| t.db.limits.memory_bytes).sum(),
            budget_bytes: self.budget_bytes,
            opened: self.opened.load(Ordering::Relaxed),
            closed: self.closed.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: DatabaseLimits = DatabaseLimits { memory_bytes: 100 << 20, temp_bytes: 100 << 20, threads: 1 };

    fn memory_limit(db: &TenantDb) -> String {
        db.connection().unwrap().query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_connection_left_in_a_failed_transaction_is_never_handed_out_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = TenantDb::open("t", dir.path(), SMALL).unwrap();
        let failed = super::super::runs::in_transaction(&db.connection().unwrap(), |conn| {
            conn.execute_batch("INSERT INTO agents (agent_id) VALUES ('x')")?;
            conn.execute_batch("SELECT * FROM no_such_table")
        });
        assert!(failed.is_err());
        assert_eq!(db.discarded_connections(), 1, "the failed transaction's connection was dropped");
        let next = db.connection().unwrap();
        let n: i64 = next.query_row("SELECT count(*) FROM agents", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "a fresh connection works, and the failed insert was rolled back");
        drop(next);
        assert_eq!(db.discarded_connections(), 1, "a clean connection goes back to the pool");
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _conn = db.connection().unwrap();
            panic!("a statement panicked");
        }));
        assert!(unwound.is_err());
        assert_eq!(db.discarded_connections(), 2, "a connection dropped while unwinding is not reused");
    }

    #[test]
    fn a_database_gets_its_limits_and_locked_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let db = TenantDb::open("t", dir.path(), SMALL).unwrap();
        assert_eq!(memory_limit(&db), "100.0 MiB");
        let conn = db.connection().unwrap();
        let threads: i64 = conn.query_row("SELECT current_setting('threads')", [], |r| r.get(0)).unwrap();
        assert_eq!(threads, 1);
        assert!(conn.execute_batch("SET memory_limit = '10GB'").is_err(), "the configuration is locked");
    }

    #[test]
    fn open_databases_stay_within_the_budget_closing_the_idle_ones_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = TenantStore::new(dir.path().to_path_buf(), 250 << 20, SMALL);
        let a = store.get("a").unwrap();
        let b = store.get("b").unwrap();
        drop(b);
        let c = store.get("c").unwrap();
        assert_eq!(store.figures().open, 2, "b, idle, was closed to make room for c");
        let Err(refused) = store.get("d") else { panic!("d opened beyond the budget") };
        assert!(matches!(refused, TenantDbError::AtCapacity { open: 2, .. }), "{refused}");
        drop(c);
        assert!(store.get("d").is_ok(), "c, idle now, makes room");
        assert!(Arc::ptr_eq(&a, &store.get("a").unwrap()), "a, in use, stayed open");
        drop(a);
        assert_eq!(store.close_idle(Duration::ZERO), 2);
        assert_eq!(store.figures().open, 0);
        let figures = store.figures();
        assert_eq!((figures.opened, figures.closed), (4, 4));
    }

    #[test]
    fn new_limits_apply_when_the_database_is_next_idle() {
        let dir = tempfile::tempdir().unwrap();
        let store = TenantStore::new(dir.path().to_path_buf(), 1 << 30, SMALL);
        let held = store.get("a").unwrap();
        store.set_limits("a", DatabaseLimits { memory_bytes: 200 << 20, ..SMALL });
        assert_eq!(memory_limit(&store.get("a").unwrap()), "100.0 MiB", "in use: the old limits stay");
        drop(held);
        assert_eq!(memory_limit(&store.get("a").unwrap()), "200.0 MiB", "reopened with the new limits");
    }
}
