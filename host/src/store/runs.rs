//! What the pay ledger and the points ledger share: the plugin version and period behind a
//! run, and writing a run's rows in one transaction.

use chrono::{DateTime, Utc};
use duckdb::Connection;

use super::tenant::PooledConnection;

/// The plugin version and the period of one run.
pub struct RunOf<'a> {
    pub plugin: &'a str,
    pub hash: &'a str,
    pub version: &'a str,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// Runs `write` inside a transaction: committed when it succeeds, rolled back when it fails.
/// When anything fails the connection is discarded: it never goes back to the pool inside an
/// aborted transaction.
pub fn in_transaction<T, E: From<duckdb::Error>>(
    conn: &PooledConnection,
    write: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    let result = (|| {
        conn.execute_batch("BEGIN TRANSACTION")?;
        let result = write(conn);
        conn.execute_batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
        result
    })();
    if result.is_err() {
        conn.discard();
    }
    result
}
