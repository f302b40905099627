//! What the pay ledger and the points ledger share: the plugin version and period behind a
//! run, and writing a run's rows in one transaction.

use chrono::{DateTime, Utc};
use duckdb::Connection;

/// The plugin version and the period of one run.
pub struct RunOf<'a> {
    pub plugin: &'a str,
    pub hash: &'a str,
    pub version: &'a str,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// Runs `write` inside a transaction: committed when it succeeds, rolled back when it fails.
pub fn in_transaction<T, E: From<duckdb::Error>>(
    conn: &Connection,
    write: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = write(conn);
    conn.execute_batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
    result
}
