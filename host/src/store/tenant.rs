//! Tenant databases: one DuckDB file per tenant, opened lazily, locked down so that SQL run
//! on it can read only the tenant's own tables, and shared through a small connection pool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use duckdb::{Config as DuckConfig, Connection};

use super::schema;

#[derive(Debug, thiserror::Error)]
pub enum TenantDbError {
    #[error("cannot open the database of tenant `{tenant}` at {path}: {source}")]
    Open { tenant: String, path: PathBuf, source: duckdb::Error },
    #[error("cannot prepare the database of tenant `{tenant}`: {source}")]
    Setup { tenant: String, source: duckdb::Error },
    #[error("cannot create directory {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
}

/// One tenant's database. Ingest is serialised per tenant (`ingest_lock`); reads run on
/// pooled connections concurrently.
pub struct TenantDb {
    pub id: String,
    dir: PathBuf,
    base: Mutex<Connection>,
    pool: Mutex<Vec<Connection>>,
    pub ingest_lock: tokio::sync::Mutex<()>,
}

/// A pooled connection, returned to the pool on drop.
pub struct PooledConnection<'a> {
    conn: Option<Connection>,
    db: &'a TenantDb,
}

impl std::ops::Deref for PooledConnection<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl Drop for PooledConnection<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && let Ok(mut pool) = self.db.pool.lock()
            && pool.len() < 16
        {
            pool.push(conn);
        }
    }
}

impl TenantDb {
    /// Opens (creating if needed) the tenant's database under `dir`, creates the canonical
    /// tables and locks the configuration: no file access outside the tenant's staging
    /// directory, no extension installs, no configuration changes.
    pub fn open(id: &str, dir: &Path) -> Result<TenantDb, TenantDbError> {
        let staging = dir.join("staging");
        std::fs::create_dir_all(&staging).map_err(|source| TenantDbError::Dir { path: staging.clone(), source })?;
        let path = dir.join("data.duckdb");
        let open_err = |source| TenantDbError::Open { tenant: id.to_string(), path: path.clone(), source };
        let config = DuckConfig::default()
            .enable_autoload_extension(false)
            .and_then(|c| c.with("autoinstall_known_extensions", "false"))
            .map_err(open_err)?;
        let conn = Connection::open_with_flags(&path, config).map_err(open_err)?;
        let setup_err = |source| TenantDbError::Setup { tenant: id.to_string(), source };
        let staging_sql = staging.to_string_lossy().replace('\'', "''");
        conn.execute_batch(&schema::create_all_sql()).map_err(setup_err)?;
        conn.execute_batch(super::pay::CREATE_SQL).map_err(setup_err)?;
        conn.execute_batch(super::game::CREATE_SQL).map_err(setup_err)?;
        conn.execute_batch(&format!(
            "SET allowed_directories = ['{staging_sql}/'];
             SET enable_external_access = false;
             SET lock_configuration = true;"
        ))
        .map_err(setup_err)?;
        Ok(TenantDb {
            id: id.to_string(),
            dir: dir.to_path_buf(),
            base: Mutex::new(conn),
            pool: Mutex::new(Vec::new()),
            ingest_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Where uploaded batches are staged for DuckDB's readers.
    pub fn staging_dir(&self) -> PathBuf {
        self.dir.join("staging")
    }

    pub fn connection(&self) -> Result<PooledConnection<'_>, duckdb::Error> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let conn = match pooled {
            Some(c) => c,
            None => self.base.lock().map_err(|_| poisoned())?.try_clone()?,
        };
        Ok(PooledConnection { conn: Some(conn), db: self })
    }
}

fn poisoned() -> duckdb::Error {
    duckdb::Error::InvalidParameterName("tenant connection lock poisoned".to_string())
}

/// All tenant databases of this server, opened on first use.
pub struct TenantStore {
    root: PathBuf,
    open: RwLock<HashMap<String, Arc<TenantDb>>>,
}

impl TenantStore {
    pub fn new(root: PathBuf) -> Self {
        TenantStore { root, open: RwLock::new(HashMap::new()) }
    }

    /// The tenant's database; the caller has checked that the tenant exists.
    pub fn get(&self, id: &str) -> Result<Arc<TenantDb>, TenantDbError> {
        if let Some(db) = self.open.read().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(db);
        }
        let mut map = self.open.write().unwrap_or_else(|e| e.into_inner());
        if let Some(db) = map.get(id) {
            return Ok(db.clone());
        }
        let db = Arc::new(TenantDb::open(id, &self.root.join(id))?);
        map.insert(id.to_string(), db.clone());
        Ok(db)
    }
}
