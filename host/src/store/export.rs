//! A tenant's data exported as one Parquet file per table (the tables of data/SCHEMA.md, their
//! columns, in key order) plus `manifest.json`: read-only from a stopped server's data directory
//! by `cxhost tenant export`, and loadable again by ingest (`cxhost plugin run --data`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::schema;

/// The file that describes an export.
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no tenant `{tenant}` in {data_dir} (there is no {path})")]
    NoTenant { tenant: String, data_dir: PathBuf, path: PathBuf },
    #[error("cannot open {path} read-only (stop the server that uses it first): {source}")]
    Open { path: PathBuf, source: duckdb::Error },
    #[error("exporting table `{table}` failed: {source}")]
    Table { table: String, source: duckdb::Error },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// What an export holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub tenant: String,
    /// A fingerprint of the tables' definitions (`sha256:` and 16 hex digits of the DDL's
    /// hash): exports with the same one have the same tables and columns.
    pub schema_version: String,
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub tables: Vec<ExportedTable>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportedTable {
    pub name: String,
    /// The Parquet file, relative to the manifest.
    pub file: String,
    pub rows: u64,
}

/// The fingerprint of the current tables' definitions.
pub fn schema_version() -> String {
    let hash = crate::runtime::Runtime::content_hash(schema::create_all_sql().as_bytes());
    format!("sha256:{}", &hash[..16])
}

/// The database file of `tenant` under a server's data directory.
pub fn tenant_db_path(data_dir: &Path, tenant: &str) -> PathBuf {
    data_dir.join("tenants").join(tenant).join("data.duckdb")
}

/// Exports every table of `tenant` under `data_dir` into `out` (created if needed), opening its
/// database read-only; the server must not hold it open.
pub fn export_tenant(data_dir: &Path, tenant: &str, out: &Path) -> Result<Manifest, ExportError> {
    let path = tenant_db_path(data_dir, tenant);
    if !super::valid_tenant_id(tenant) || !path.is_file() {
        return Err(ExportError::NoTenant { tenant: tenant.to_string(), data_dir: data_dir.to_path_buf(), path });
    }
    let open = |source| ExportError::Open { path: path.clone(), source };
    let config = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly).map_err(open)?;
    let conn = duckdb::Connection::open_with_flags(&path, config).map_err(open)?;
    std::fs::create_dir_all(out).map_err(|source| ExportError::Io { path: out.to_path_buf(), source })?;
    let mut tables = Vec::new();
    for table in schema::TABLES {
        let file = format!("{}.parquet", table.name);
        let target = out.join(&file).to_string_lossy().replace('\'', "''");
        let columns: Vec<String> = table.columns.iter().map(|c| format!("\"{}\"", c.name)).collect();
        let failed = |source| ExportError::Table { table: table.name.to_string(), source };
        conn.execute_batch(&format!(
            "COPY (SELECT {columns} FROM \"{name}\" ORDER BY \"{key}\") TO '{target}' (FORMAT parquet)",
            columns = columns.join(", "),
            name = table.name,
            key = table.key,
        ))
        .map_err(failed)?;
        let rows: i64 =
            conn.query_row(&format!("SELECT count(*) FROM \"{}\"", table.name), [], |r| r.get(0)).map_err(failed)?;
        tables.push(ExportedTable { name: table.name.to_string(), file, rows: rows.max(0) as u64 });
    }
    let manifest = Manifest {
        tenant: tenant.to_string(),
        schema_version: schema_version(),
        exported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tables,
    };
    let manifest_path = out.join(MANIFEST);
    let text = serde_json::to_string_pretty(&manifest).expect("a manifest serializes");
    std::fs::write(&manifest_path, text + "\n").map_err(|source| ExportError::Io { path: manifest_path, source })?;
    Ok(manifest)
}
