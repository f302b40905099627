//! Plugin SQL: only a single SELECT may run, over the tenant's own database, naming nothing
//! that shows the host's settings or files; its result is streamed and counted as DuckDB
//! produces it, inside a transaction that is always rolled back.
//!
//! duckdb-rs runs every statement of a multi-statement string except the last when it
//! prepares one, so the text is first parsed by DuckDB's own parser (`json_serialize_sql`,
//! which serializes SELECT statements only) and refused unless it is exactly one SELECT. The
//! parse tree then shows every function and table the statement names.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use duckdb::arrow::datatypes::{DataType, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};

/// Functions and tables whose names start so are DuckDB's own introspection (settings,
/// databases and their paths, extensions, temporary files, secrets, logs).
const REFUSED_PREFIXES: &[&str] = &["duckdb_", "pragma_"];

/// Further names a plugin may not use: settings and variables, SQL given as text (which the
/// parse check could not see), secrets, and the file readers (also blocked by DuckDB's own
/// lockdown; refused here with a clearer message).
const REFUSED_NAMES: &[&str] = &[
    "current_setting",
    "getvariable",
    "getenv",
    "query",
    "query_table",
    "which_secret",
    "glob",
    "read_text",
    "read_blob",
    "read_csv",
    "read_csv_auto",
    "read_json",
    "read_json_auto",
    "read_json_objects",
    "read_ndjson",
    "read_parquet",
    "parquet_scan",
    "parquet_metadata",
    "parquet_schema",
    "sniff_csv",
];

#[derive(Debug, thiserror::Error)]
pub enum ReadOnlyError {
    #[error("only a single SELECT statement may run here: {0}")]
    NotASelect(String),
    #[error(
        "`{0}` is not available to plugins: it shows the server's settings or files; read the tenant's tables \
         (information_schema lists them)"
    )]
    Refused(String),
    #[error("the query returned more than {limit} rows, the limit for this call")]
    TooManyRows { limit: u64 },
    #[error("the query returned more than {limit} bytes, the limit for this call")]
    TooManyBytes { limit: u64 },
    #[error(
        "column `{column}` has type {data_type}, which plugins cannot receive; CAST it to VARCHAR, DOUBLE, \
         BIGINT or TIMESTAMP"
    )]
    UnreceivableType { column: String, data_type: String },
    /// Converting DuckDB's result panicked inside the database driver.
    #[error("the query's result could not be converted: {0}")]
    Panicked(String),
    #[error("{0}")]
    Sql(#[from] duckdb::Error),
}

impl ReadOnlyError {
    /// Whether the statement ran at all: errors before it started leave the connection as it
    /// was.
    pub fn ran(&self) -> bool {
        !matches!(self, ReadOnlyError::NotASelect(_) | ReadOnlyError::Refused(_))
    }
}

/// How much one query may return.
#[derive(Debug, Clone, Copy)]
pub struct ReadBudget {
    pub max_rows: u64,
    pub max_bytes: u64,
    /// The longest text value, in bytes. DuckDB converts its result to Arrow a chunk of up to
    /// 2,048 rows at a time, beyond any interrupt; this keeps one chunk's text within
    /// 2,048 × `max_text_bytes`.
    pub max_text_bytes: u64,
}

/// Statements that passed the checks, by their text, the types of their parameters and the
/// text-size guard, with the statement they run as: a plugin sends the same SQL call after
/// call, and neither the parse check nor the column probe need to be repeated.
#[derive(Default)]
pub struct CheckedStatements {
    entries: Mutex<HashMap<(String, String, u64), Arc<str>>>,
}

/// Statements remembered per tenant database; past this the memory starts again.
const MAX_CHECKED: usize = 512;

impl CheckedStatements {
    fn key(sql: &str, params: &[Value], max_text_bytes: u64) -> (String, String, u64) {
        let kinds = params.iter().map(|p| format!("{:?}", p.data_type())).collect::<Vec<_>>().join(",");
        (sql.to_string(), kinds, max_text_bytes)
    }

    fn get(&self, key: &(String, String, u64)) -> Option<Arc<str>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    fn insert(&self, key: (String, String, u64), runnable: Arc<str>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_CHECKED {
            entries.clear();
        }
        entries.insert(key, runnable);
    }
}

/// A SELECT's result: its columns (known even when no row came back) and its batches.
pub struct Selected {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// Bytes of Arrow memory the batches hold.
    pub bytes: u64,
}

/// The longest statement a plugin may send; DuckDB's parser is not interruptible.
pub const MAX_SQL_BYTES: usize = 256 << 10;

/// Refuses anything but exactly one SELECT statement, and any that names a refused function
/// or table.
pub fn check_plugin_select(conn: &Connection, sql: &str) -> Result<(), ReadOnlyError> {
    if sql.len() > MAX_SQL_BYTES {
        return Err(ReadOnlyError::NotASelect(format!(
            "the statement has {} bytes, more than the limit of {MAX_SQL_BYTES}",
            sql.len()
        )));
    }
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
    match first_refused_name(&parsed) {
        Some(name) => Err(ReadOnlyError::Refused(name)),
        None => Ok(()),
    }
}

/// The first function or table in a serialized parse tree that plugins may not use.
fn first_refused_name(node: &serde_json::Value) -> Option<String> {
    let refused = |name: &str| {
        let lower = name.to_ascii_lowercase();
        (REFUSED_PREFIXES.iter().any(|p| lower.starts_with(p)) || REFUSED_NAMES.contains(&lower.as_str()))
            .then(|| name.to_string())
    };
    match node {
        serde_json::Value::Object(fields) => {
            if let Some(name) = fields.get("function_name").and_then(|n| n.as_str()).and_then(refused) {
                return Some(name);
            }
            if fields.get("type").and_then(|t| t.as_str()) == Some("BASE_TABLE")
                && let Some(name) = fields.get("table_name").and_then(|n| n.as_str()).and_then(refused)
            {
                return Some(name);
            }
            fields.values().find_map(first_refused_name)
        }
        serde_json::Value::Array(items) => items.iter().find_map(first_refused_name),
        _ => None,
    }
}

/// Runs one checked SELECT and collects its result as DuckDB streams it, stopping as soon as
/// more rows or bytes arrive than `budget` allows. The query runs inside a transaction that is
/// always rolled back, so whatever a SELECT could change (through a data-modifying CTE, say) is
/// undone. A panic in the driver while converting the result becomes an error. After any
/// error that [`ReadOnlyError::ran`], the caller must not reuse the connection.
pub fn run_select(
    conn: &Connection,
    sql: &str,
    params: Vec<Value>,
    budget: ReadBudget,
    checked: &CheckedStatements,
) -> Result<Selected, ReadOnlyError> {
    let key = CheckedStatements::key(sql, &params, budget.max_text_bytes);
    let known = checked.get(&key);
    if known.is_none() {
        check_plugin_select(conn, sql)?;
    }
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let runnable = match &known {
            Some(runnable) => runnable.clone(),
            None => {
                let runnable: Arc<str> = guarded(conn, sql, &params, budget.max_text_bytes)?.into();
                checked.insert(key, runnable.clone());
                runnable
            }
        };
        collect(conn, &runnable, params, budget)
    }))
    .unwrap_or_else(|panic| Err(ReadOnlyError::Panicked(panic_text(&panic))));
    let rolled_back = conn.execute_batch("ROLLBACK");
    let selected = result?;
    rolled_back?;
    Ok(selected)
}

/// The statement to run for `sql`: the plugin's own when it returns no text, otherwise the
/// same wrapped so that DuckDB itself stops any text value longer than the budget allows, before
/// the driver converts a chunk. Its columns are learnt from the statement under `LIMIT 0`,
/// which DuckDB answers without running it.
fn guarded(conn: &Connection, sql: &str, params: &[Value], max_text_bytes: u64) -> Result<String, ReadOnlyError> {
    let body = sql.trim_end().trim_end_matches([';', ' ', '\n', '\r', '\t']);
    let probe = |body: &str| -> Result<SchemaRef, duckdb::Error> {
        let mut stmt = conn.prepare(&format!("SELECT * FROM (\n{body}\n) LIMIT 0"))?;
        let arrow = stmt.query_arrow(params_from_iter(params.iter()))?;
        Ok(arrow.get_schema())
    };
    // A comment after a final `;` would swallow the wrapper's end: fall back to DuckDB's own
    // rendering of the statement, which has neither.
    let (body, schema) = match probe(body) {
        Ok(schema) => (body.to_string(), schema),
        Err(first) if first.to_string().contains("Parser Error") => {
            // The failed statement ended the transaction's usefulness: start it again.
            conn.execute_batch("ROLLBACK; BEGIN TRANSACTION")?;
            let canonical: String =
                conn.query_row("SELECT json_deserialize_sql(json_serialize_sql(?::VARCHAR))", [sql], |r| r.get(0))?;
            (canonical.clone(), probe(&canonical).map_err(|_| first)?)
        }
        Err(first) => return Err(first.into()),
    };
    let mut has_text = false;
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (index, field) in schema.fields().iter().enumerate() {
        let name = field.name();
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let position = index + 1;
        match field.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                has_text = true;
                let message = format!(
                    "column `{}`: a text value is longer than {max_text_bytes} bytes, the limit for plugins",
                    name.replace('\'', "''")
                );
                columns.push(format!(
                    "CASE WHEN strlen(#{position}) > {max_text_bytes} THEN error('{message}') ELSE #{position} END AS {quoted}"
                ));
            }
            other if receivable(other) => columns.push(format!("#{position} AS {quoted}")),
            other => {
                return Err(ReadOnlyError::UnreceivableType { column: name.clone(), data_type: other.to_string() });
            }
        }
    }
    if !has_text {
        return Ok(body);
    }
    Ok(format!("SELECT {} FROM (\n{body}\n)", columns.join(", ")))
}

/// Column types a plugin can receive (see `runtime::host::to_batch`).
fn receivable(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Decimal256(..)
            | DataType::Boolean
            | DataType::Timestamp(..)
            | DataType::Date32
            | DataType::Date64
            | DataType::Null
    )
}

fn collect(conn: &Connection, sql: &str, params: Vec<Value>, budget: ReadBudget) -> Result<Selected, ReadOnlyError> {
    let mut stmt = conn.prepare(sql)?;
    let (mut rows, mut bytes) = (0u64, 0u64);
    let mut batches = Vec::new();
    let stream = stmt.stream_arrow(params_from_iter(params))?;
    let schema = stream.get_schema();
    for batch in stream {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        if rows > budget.max_rows {
            return Err(ReadOnlyError::TooManyRows { limit: budget.max_rows });
        }
        bytes += batch.get_array_memory_size() as u64;
        if bytes > budget.max_bytes {
            return Err(ReadOnlyError::TooManyBytes { limit: budget.max_bytes });
        }
        batches.push(batch);
    }
    Ok(Selected { schema, batches, bytes })
}

/// The message a panic carried, for the log.
pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE agents (agent_id VARCHAR); INSERT INTO agents VALUES ('a1'), ('a2');")
            .unwrap();
        conn
    }

    fn run_select_once(
        conn: &Connection,
        sql: &str,
        params: Vec<Value>,
        budget: ReadBudget,
    ) -> Result<Selected, ReadOnlyError> {
        run_select(conn, sql, params, budget, &CheckedStatements::default())
    }

    const BUDGET: ReadBudget = ReadBudget { max_rows: 1_000, max_bytes: 1 << 20, max_text_bytes: 1 << 16 };

    #[test]
    fn introspection_of_settings_and_files_is_refused_wherever_it_hides() {
        let conn = conn();
        for (sql, name) in [
            ("SELECT current_setting('temp_directory')", "current_setting"),
            ("SELECT path FROM duckdb_databases()", "duckdb_databases"),
            ("SELECT path FROM duckdb_databases", "duckdb_databases"),
            ("SELECT * FROM system.main.pragma_database_list", "pragma_database_list"),
            ("SELECT * FROM agents WHERE agent_id IN (SELECT name FROM DUCKDB_SETTINGS())", "duckdb_settings"),
            ("WITH s AS (SELECT * FROM duckdb_extensions()) SELECT * FROM s", "duckdb_extensions"),
            ("SELECT * FROM query('SELECT * FROM duckdb_settings()')", "query"),
            ("SELECT \"getvariable\"('x')", "getvariable"),
        ] {
            match check_plugin_select(&conn, sql) {
                Err(ReadOnlyError::Refused(found)) => assert_eq!(found, name, "{sql}"),
                other => panic!("{sql}: expected a refusal, got {other:?}"),
            }
        }
        check_plugin_select(&conn, "SELECT * FROM information_schema.tables").unwrap();
        check_plugin_select(&conn, "SELECT count(*) FROM agents a JOIN range(3) r ON true").unwrap();
    }

    #[test]
    fn results_are_counted_while_they_stream() {
        let conn = conn();
        let many = run_select_once(&conn, "SELECT * FROM range(5000)", vec![], BUDGET);
        assert!(matches!(many, Err(ReadOnlyError::TooManyRows { limit: 1_000 })), "{:?}", many.err());
        let wide = run_select_once(&conn, "SELECT repeat('x', 4096) FROM range(500)", vec![], BUDGET);
        assert!(matches!(wide, Err(ReadOnlyError::TooManyBytes { .. })), "{:?}", wide.err());
        assert!(conn.is_autocommit(), "the transaction was rolled back");
        let fine = run_select_once(&conn, "SELECT agent_id FROM agents ORDER BY 1", vec![], BUDGET).unwrap();
        assert_eq!(fine.batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    }

    #[test]
    fn a_text_value_too_long_is_stopped_inside_duckdb_before_any_conversion() {
        let conn = conn();
        let started = std::time::Instant::now();
        // 1,100 copies of a 2 MiB string: one chunk of 2.3 GiB once converted.
        let huge = run_select_once(&conn, "SELECT repeat('x', 1 << 21) AS s FROM range(1100)", vec![], BUDGET);
        match huge {
            Err(ReadOnlyError::Sql(e)) => {
                assert!(e.to_string().contains("column `s`: a text value is longer than 65536 bytes"), "{e}")
            }
            other => panic!("expected the text guard, got {:?}", other.err()),
        }
        assert!(started.elapsed().as_millis() < 500, "stopped before building the batch: {:?}", started.elapsed());
        assert!(conn.is_autocommit());
        let fine = run_select_once(&conn, "SELECT count(*) FROM agents", vec![], BUDGET).unwrap();
        assert_eq!(fine.batches[0].num_rows(), 1);
    }

    #[test]
    fn the_guard_keeps_names_order_parameters_and_types() {
        let conn = conn();
        let sql = "SELECT agent_id AS \"the \"\"id\"\"\", 7 AS n, agent_id FROM agents WHERE agent_id <> ? ORDER BY 1 DESC; -- last";
        let selected = run_select_once(&conn, sql, vec![Value::Text("zz".into())], BUDGET).unwrap();
        let names: Vec<&str> = selected.schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["the \"id\"", "n", "agent_id"]);
        let first = selected.batches[0].column(0).as_any().downcast_ref::<duckdb::arrow::array::StringArray>().unwrap();
        assert_eq!((first.value(0), first.value(1)), ("a2", "a1"));
        let nested = run_select_once(&conn, "SELECT [1, 2] AS l", vec![], BUDGET);
        assert!(matches!(nested, Err(ReadOnlyError::UnreceivableType { .. })), "{:?}", nested.err());
    }

    #[test]
    fn a_statement_is_checked_once_per_text_and_parameter_types() {
        let conn = conn();
        let checked = CheckedStatements::default();
        let sql = "SELECT agent_id FROM agents WHERE agent_id <> ?";
        for _ in 0..3 {
            let selected = run_select(&conn, sql, vec![Value::Text("a1".into())], BUDGET, &checked).unwrap();
            assert_eq!(selected.batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
        }
        run_select(&conn, sql, vec![Value::Null], BUDGET, &checked).unwrap();
        assert_eq!(checked.entries.lock().unwrap().len(), 2, "one entry per text and parameter types");
        let refused = run_select(&conn, "SELECT * FROM duckdb_settings()", vec![], BUDGET, &checked);
        assert!(matches!(refused, Err(ReadOnlyError::Refused(_))));
        assert_eq!(checked.entries.lock().unwrap().len(), 2, "a refused statement is not remembered");
    }

    #[test]
    fn writes_in_a_cte_are_rolled_back() {
        let conn = conn();
        let _ =
            run_select_once(&conn, "WITH d AS (DELETE FROM agents RETURNING *) SELECT count(*) FROM d", vec![], BUDGET);
        let left: i64 = conn.query_row("SELECT count(*) FROM agents", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 2);
    }
}
