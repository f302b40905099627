//! Plugin SQL: only a single SELECT may run, over the tenant's own database, with a row cap.
//!
//! duckdb-rs runs every statement of a multi-statement string except the last when it
//! prepares one, so the text is first parsed by DuckDB's own parser (`json_serialize_sql`,
//! which serializes SELECT statements only) and refused unless it is exactly one SELECT.

use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};

#[derive(Debug, thiserror::Error)]
pub enum ReadOnlyError {
    #[error("only a single SELECT statement may run here: {0}")]
    NotASelect(String),
    #[error("the query returned more than {limit} rows, the limit for this call")]
    TooManyRows { limit: u64 },
    #[error("{0}")]
    Sql(#[from] duckdb::Error),
}

/// A SELECT's result: its columns (known even when no row came back) and its batches.
pub struct Selected {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

/// Refuses anything but exactly one SELECT statement.
pub fn check_single_select(conn: &Connection, sql: &str) -> Result<(), ReadOnlyError> {
    let json: String = conn.query_row("SELECT json_serialize_sql(?::VARCHAR)", [sql], |row| row.get(0))?;
    let parsed: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| ReadOnlyError::NotASelect(format!("unreadable parse result: {e}")))?;
    if parsed.get("error").and_then(|e| e.as_bool()).unwrap_or(true) {
        let message =
            parsed.get("error_message").and_then(|m| m.as_str()).unwrap_or("the statement could not be parsed");
        let message = if message.contains("Only SELECT") { "the statement is not a SELECT" } else { message };
        return Err(ReadOnlyError::NotASelect(message.to_string()));
    }
    let count = parsed.get("statements").and_then(|s| s.as_array()).map_or(0, |s| s.len());
    if count != 1 {
        return Err(ReadOnlyError::NotASelect(format!("found {count} statements")));
    }
    Ok(())
}

/// Runs one checked SELECT and collects its result, stopping as soon as more than
/// `max_rows` rows arrive. The query runs inside a transaction that is always rolled back,
/// so whatever a SELECT could change (through a table function, say) is undone.
pub fn run_select(conn: &Connection, sql: &str, params: Vec<Value>, max_rows: u64) -> Result<Selected, ReadOnlyError> {
    check_single_select(conn, sql)?;
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = collect(conn, sql, params, max_rows);
    let rolled_back = conn.execute_batch("ROLLBACK");
    let batches = result?;
    rolled_back?;
    Ok(batches)
}

fn collect(conn: &Connection, sql: &str, params: Vec<Value>, max_rows: u64) -> Result<Selected, ReadOnlyError> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = 0u64;
    let mut batches = Vec::new();
    let arrow = stmt.query_arrow(params_from_iter(params))?;
    let schema = arrow.get_schema();
    for batch in arrow {
        rows += batch.num_rows() as u64;
        if rows > max_rows {
            return Err(ReadOnlyError::TooManyRows { limit: max_rows });
        }
        batches.push(batch);
    }
    Ok(Selected { schema, batches })
}
