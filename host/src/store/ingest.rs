//! Ingest: a batch file (CSV, NDJSON, JSON array or Parquet) is read by DuckDB's own readers
//! into a staging table, validated in SQL against the table's spec, and applied in one
//! transaction — all or nothing by default, or valid rows only with the rejects reported.

use std::path::Path;

use duckdb::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{Column, ColumnType, Rule, Table};
use super::tenant::TenantDb;

/// Most row errors listed in a report; the total is always given.
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The error table of a batch that passed every check.
const NO_ERRORS: &str = "SELECT 0::BIGINT AS row, '' AS \"column\", '' AS message WHERE false";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Ndjson,
    Json,
    Parquet,
}

impl Format {
    /// The format a content type names, if any.
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" | "application/csv" => Some(Format::Csv),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/jsonlines" => {
                Some(Format::Ndjson)
            }
            "application/json" => Some(Format::Json),
            "application/vnd.apache.parquet" | "application/x-parquet" | "application/parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The format a file extension names, if any.
    pub fn from_extension(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
            Format::Parquet => "parquet",
        }
    }
}

/// What happens to a batch that has invalid rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValidationMode {
    /// Reject the whole batch; nothing is written.
    #[default]
    AllOrNothing,
    /// Load the valid rows and report the rejected ones.
    LoadValid,
}

/// What happens to a row whose id is already stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Keep the stored row; the re-sent one counts as unchanged.
    #[default]
    Skip,
    /// Replace the stored row with the new one.
    Replace,
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub format: Format,
    pub mode: ValidationMode,
    pub on_conflict: OnConflict,
    /// The tenant's enricher, when it enriches text: the batch's new or changed texts are
    /// marked pending for it in the batch's own transaction.
    pub enricher: Option<String>,
}

/// One problem with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// 1-based record number in the batch (the CSV header is not counted).
    pub row: u64,
    pub column: String,
    pub message: String,
}

/// What an ingest did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IngestReport {
    pub table: String,
    pub rows_received: u64,
    /// New rows written.
    pub inserted: u64,
    /// Stored rows overwritten (with `on_conflict=replace`).
    pub replaced: u64,
    /// Rows whose id was already stored and were left as they were.
    pub unchanged: u64,
    /// Rows not written because they are invalid.
    pub rejected: u64,
    /// Whether anything was written.
    pub committed: bool,
    pub error_count: u64,
    /// The first errors, ordered by row then column.
    pub errors: Vec<RowError>,
    /// Texts of the batch queued for the tenant's enricher; absent when the table carries no
    /// text or the tenant enriches none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrichment: Option<EnrichmentQueued>,
}

/// What an ingest queued for enrichment. The rows are stored already; their texts are scored
/// in the background and retried on failure (`GET /v1/tenants/{tenant}/enrichments`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrichmentQueued {
    /// The enricher that will score them.
    pub enricher: String,
    /// New or changed texts marked pending.
    pub queued: u64,
    /// `queued` (scored in the background) or `none` (nothing new to score).
    pub state: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the batch has columns that `{table}` does not know: {columns:?}; known columns: {known}")]
    UnknownColumns { table: String, columns: Vec<String>, known: String },
    #[error("the batch lacks required columns of `{table}`: {columns:?}")]
    MissingColumns { table: String, columns: Vec<String> },
    #[error("the batch cannot be read as {format:?}: {message}")]
    Unreadable { format: Format, message: String },
    #[error("{} of {} rows are invalid; nothing was written", .0.rejected, .0.rows_received)]
    Rejected(Box<IngestReport>),
    #[error("database error during ingest: {0}")]
    Db(#[from] duckdb::Error),
}

/// Loads the batch at `path` (which must lie in the tenant's staging directory) into `table`.
pub fn ingest_file(
    db: &TenantDb,
    table: &Table,
    path: &Path,
    opts: IngestOptions,
) -> Result<IngestReport, IngestError> {
    let conn = db.connection()?;
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.__source; DROP TABLE IF EXISTS temp.__typed; DROP TABLE IF EXISTS temp.__errors;",
    )?;
    let result = stage_validate_apply(&conn, table, path, opts);
    if result.is_err() {
        // The batch may have failed inside its transaction: never hand this connection out again.
        let _ = conn.execute_batch("ROLLBACK");
        conn.discard();
    }
    let _ = conn.execute_batch(
        "DROP TABLE IF EXISTS temp.__source; DROP TABLE IF EXISTS temp.__typed; DROP TABLE IF EXISTS temp.__errors;",
    );
    result
}

fn stage_validate_apply(
    conn: &Connection,
    table: &Table,
    path: &Path,
    opts: IngestOptions,
) -> Result<IngestReport, IngestError> {
    let file = sql_string(&path.to_string_lossy());
    let present = batch_columns(conn, table, &file, opts.format)?;
    let (checks, problems) = match stage_clean_batch(conn, table, &file, opts.format, &present)? {
        Some(checks) => (checks, false),
        None => {
            stage_typed(conn, table, &file, opts.format, &present)?;
            let checks = row_checks(table, &present, Staging::Text);
            let problems = has_problems(conn, table, &checks)?;
            (checks, problems)
        }
    };
    let errors = if problems { errors_sql(table, &checks) } else { NO_ERRORS.to_string() };
    conn.execute_batch(&format!("CREATE TEMP TABLE __errors AS {errors}"))?;

    let rows_received: u64 = conn.query_row("SELECT count(*) FROM __typed", [], |r| r.get(0))?;
    let error_count: u64 = conn.query_row("SELECT count(*) FROM __errors", [], |r| r.get(0))?;
    let rejected: u64 = conn.query_row("SELECT count(DISTINCT row) FROM __errors", [], |r| r.get(0))?;
    let errors = first_errors(conn)?;
    let mut report = IngestReport {
        table: table.name.to_string(),
        rows_received,
        inserted: 0,
        replaced: 0,
        unchanged: 0,
        rejected,
        committed: false,
        error_count,
        errors,
        enrichment: None,
    };
    if rejected > 0 && opts.mode == ValidationMode::AllOrNothing {
        return Err(IngestError::Rejected(Box::new(report)));
    }

    let key = table.key;
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let column_list = columns.join(", ");
    let valid = if problems {
        "SELECT * FROM __typed WHERE __row NOT IN (SELECT row FROM __errors)"
    } else {
        "SELECT * FROM __typed"
    };
    conn.execute_batch("BEGIN TRANSACTION")?;
    if opts.on_conflict == OnConflict::Replace {
        report.replaced = conn
            .execute(&format!("DELETE FROM {t} WHERE {key} IN (SELECT {key} FROM ({valid}))", t = table.name), [])?
            as u64;
    }
    report.inserted = conn.execute(
        &format!(
            "INSERT INTO {t} ({column_list}) SELECT {column_list} FROM ({valid}) v
             WHERE NOT EXISTS (SELECT 1 FROM {t} s WHERE s.{key} = v.{key})",
            t = table.name
        ),
        [],
    )? as u64;
    if let Some(enricher) = opts.enricher.filter(|_| super::enrichments::source_of(table.name).is_some()) {
        let queued = super::enrichments::mark_pending(conn, table, valid)?;
        let state = if queued > 0 { "queued" } else { "none" }.to_string();
        report.enrichment = Some(EnrichmentQueued { enricher, queued, state });
    }
    conn.execute_batch("COMMIT")?;
    report.inserted -= report.replaced;
    report.unchanged = rows_received - rejected - report.inserted - report.replaced;
    report.committed = true;
    Ok(report)
}

/// The table's columns that the batch carries, checked against the spec.
fn batch_columns<'t>(
    conn: &Connection,
    table: &'t Table,
    file: &str,
    format: Format,
) -> Result<Vec<&'t Column>, IngestError> {
    let reader = match format {
        Format::Csv => format!("read_csv({file}, header = true, all_varchar = true)"),
        Format::Ndjson => format!("read_json({file}, format = 'newline_delimited')"),
        Format::Json => format!("read_json({file}, format = 'array')"),
        Format::Parquet => format!("read_parquet({file})"),
    };
    let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {reader}")).map_err(|e| unreadable(format, e))?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| unreadable(format, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| unreadable(format, e))?;
    let unknown: Vec<String> = names.iter().filter(|n| table.column(n).is_none()).cloned().collect();
    if !unknown.is_empty() {
        let known = table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
        return Err(IngestError::UnknownColumns { table: table.name.to_string(), columns: unknown, known });
    }
    let missing: Vec<String> = table
        .columns
        .iter()
        .filter(|c| c.required && !names.iter().any(|n| n == c.name))
        .map(|c| c.name.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::MissingColumns { table: table.name.to_string(), columns: missing });
    }
    Ok(table.columns.iter().filter(|c| names.iter().any(|n| n == c.name)).collect())
}

/// Reads the batch with DuckDB's reader for its format, every column as text, in file order.
fn source_sql(file: &str, format: Format, present: &[&Column]) -> String {
    let varchar_columns = || {
        let cols: Vec<String> = present.iter().map(|c| format!("'{}': 'VARCHAR'", c.name)).collect();
        format!("{{{}}}", cols.join(", "))
    };
    match format {
        Format::Csv => format!("SELECT * FROM read_csv({file}, header = true, all_varchar = true)"),
        Format::Ndjson => {
            format!("SELECT * FROM read_json({file}, format = 'newline_delimited', columns = {})", varchar_columns())
        }
        Format::Json => format!("SELECT * FROM read_json({file}, format = 'array', columns = {})", varchar_columns()),
        Format::Parquet => {
            let casts: Vec<String> = present.iter().map(|c| format!("CAST({0} AS VARCHAR) AS {0}", c.name)).collect();
            format!("SELECT {} FROM read_parquet({file})", casts.join(", "))
        }
    }
}

/// How `__typed` was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Staging {
    /// By the reader with every column's type: each value parsed, or the read failed.
    Strict,
    /// As text, parsed column by column, keeping the text that did not parse for the report.
    Text,
}

/// The fast path for a clean CSV batch: `__typed` read by DuckDB's reader with every column's
/// type, in one pass, and checked. Returns the checks when the batch passed them all; `None`
/// (with nothing staged) when any value did not parse or any row fails a check, for the text
/// path to read again and report row by row. The two paths store the same values: text is
/// trimmed and empty text is absent in both, and a value the typed reader parses is one
/// `TRY_CAST` of its text parses the same way.
fn stage_clean_batch(
    conn: &Connection,
    table: &Table,
    file: &str,
    format: Format,
    present: &[&Column],
) -> Result<Option<Vec<RowCheck>>, IngestError> {
    if format != Format::Csv {
        return Ok(None);
    }
    let types: Vec<String> = present
        .iter()
        .map(|c| {
            let read_as = if c.ty == ColumnType::Timestamp { "TIMESTAMPTZ" } else { c.ty.sql() };
            format!("'{}': '{read_as}'", c.name)
        })
        .collect();
    let mut select = Vec::new();
    for column in table.columns {
        let is_present = present.iter().any(|c| c.name == column.name);
        let read = match (is_present, column.ty) {
            (false, _) => "NULL".to_string(),
            (true, ColumnType::Text) => format!("nullif(trim({}), '')", column.name),
            (true, _) => column.name.to_string(),
        };
        let value = match column.default {
            Some(default) => format!("coalesce({read}, {default})"),
            None => read.clone(),
        };
        select.push(format!("CAST({value} AS {}) AS {}", column.ty.sql(), column.name));
        if column.required && column.default.is_none() {
            select.push(format!("({read} IS NULL) AS __absent_{}", column.name));
        }
    }
    let staged = conn.execute_batch(&format!(
        "CREATE TEMP TABLE __typed AS SELECT {} FROM read_csv({file}, header = true, types = {{{}}})",
        select.join(", "),
        types.join(", ")
    ));
    if let Err(e) = staged {
        tracing::debug!(error = %e, "the batch is not clean for its typed reader; reading it as text");
        conn.execute_batch("DROP TABLE IF EXISTS temp.__typed")?;
        return Ok(None);
    }
    let checks = row_checks(table, present, Staging::Strict);
    if has_problems(conn, table, &checks)? {
        conn.execute_batch("DROP TABLE temp.__typed")?;
        return Ok(None);
    }
    Ok(Some(checks))
}

/// `__typed` for any batch: read as text in one pass by its reader — the record number, each column parsed
/// to its type with its default, a flag for text that did not parse, and that text (kept only
/// where it did not parse, for the error report).
fn stage_typed(
    conn: &Connection,
    table: &Table,
    file: &str,
    format: Format,
    present: &[&Column],
) -> Result<(), IngestError> {
    let mut select = vec!["rowid + 1 AS __row".to_string()];
    for column in table.columns {
        let is_present = present.iter().any(|c| c.name == column.name);
        let raw = if is_present {
            format!("nullif(trim(__source.{}), '')", column.name)
        } else {
            "NULL::VARCHAR".to_string()
        };
        let parsed = column.ty.try_cast(&raw);
        let value = match column.default {
            Some(default) => format!("coalesce({parsed}, {default})"),
            None => parsed.clone(),
        };
        select.push(format!("CAST({value} AS {}) AS {}", column.ty.sql(), column.name));
        // Only the helper columns some check reads: fewer columns to compute and store.
        if may_not_parse(column, present) {
            let bad = format!("({raw} IS NOT NULL AND {parsed} IS NULL)");
            select.push(format!("{bad} AS __bad_{}", column.name));
            select.push(format!("CASE WHEN {bad} THEN {raw} END AS __raw_{}", column.name));
        }
        if column.required && column.default.is_none() {
            select.push(format!("({raw} IS NULL) AS __absent_{}", column.name));
        }
    }
    let source = source_sql(file, format, present);
    conn.execute_batch(&format!("CREATE TEMP TABLE __source AS {source}")).map_err(|e| unreadable(format, e))?;
    conn.execute_batch(&format!("CREATE TEMP TABLE __typed AS SELECT {} FROM __source", select.join(", ")))
        .map_err(|e| unreadable(format, e))?;
    conn.execute_batch("DROP TABLE __source")?;
    Ok(())
}

/// Whether a column's text can fail to parse: it is in the batch and its type is not text.
fn may_not_parse(column: &Column, present: &[&Column]) -> bool {
    column.ty != ColumnType::Text && present.iter().any(|c| c.name == column.name)
}

/// One check of every row: rows where `condition` holds get `message` for `column`.
struct RowCheck {
    column: String,
    condition: String,
    message: String,
}

impl RowCheck {
    fn select(&self) -> String {
        format!(
            "SELECT __row AS row, '{}' AS \"column\", {} AS message FROM __typed WHERE {}",
            self.column, self.message, self.condition
        )
    }
}

/// Every per-row check of `table` over `__typed`: types, required values, rules, checks.
fn row_checks(table: &Table, present: &[&Column], staging: Staging) -> Vec<RowCheck> {
    let mut checks = Vec::new();
    let mut check = |column: &str, condition: String, message: String| {
        checks.push(RowCheck { column: column.to_string(), condition, message })
    };
    for c in table.columns {
        let name = c.name;
        let parses = staging == Staging::Text && may_not_parse(c, present);
        if parses {
            check(
                name,
                format!("__bad_{name}"),
                format!("'''' || __raw_{name} || ''' is not a valid {}'", sql_escape(c.ty.describe())),
            );
        }
        if c.required && c.default.is_none() {
            let message = if present.iter().any(|p| p.name == name) {
                "'a value is required'"
            } else {
                "'the column is missing'"
            };
            check(name, format!("__absent_{name}"), message.to_string());
        }
        match c.rule {
            Some(Rule::Range(lo, hi)) => check(
                name,
                if parses {
                    format!("NOT __bad_{name} AND {name} NOT BETWEEN {lo} AND {hi}")
                } else {
                    format!("{name} NOT BETWEEN {lo} AND {hi}")
                },
                format!("CAST({name} AS VARCHAR) || ' is outside the allowed range {lo} to {hi}'"),
            ),
            Some(Rule::OneOf(values)) => {
                let list = values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
                check(
                    name,
                    format!("{name} NOT IN ({list})"),
                    format!("'''' || {name} || ''' is not one of {}'", sql_escape(&values.join(", "))),
                );
            }
            Some(Rule::References(other, other_column)) => check(
                name,
                format!("{name} IS NOT NULL AND {name} NOT IN (SELECT {other_column} FROM {other})"),
                format!("'unknown {other_column} ''' || {name} || ''' (not in {other})'"),
            ),
            None => {}
        }
    }
    for rule in table.checks {
        check(rule.column, format!("NOT coalesce(({}), true)", rule.holds), format!("'{}'", sql_escape(rule.message)));
    }
    checks
}

/// A SELECT of the rows whose key appeared earlier in the batch, as (row, column, message).
fn duplicate_keys_sql(table: &Table) -> Option<String> {
    let key = table.key;
    let column = table.column(key)?;
    (column.ty == ColumnType::Text).then(|| {
        format!(
            "SELECT __row AS row, '{key}' AS \"column\", 'duplicate {key} ''' || {key} || ''' (first at row ' || first || ')' AS message
             FROM (SELECT __row, {key}, min(__row) OVER (PARTITION BY {key}) AS first FROM __typed WHERE {key} IS NOT NULL)
             WHERE __row > first"
        )
    })
}

/// Whether any row of `__typed` fails a check, in one scan (plus one aggregate for keys),
/// so that a clean batch skips building the error report.
fn has_problems(conn: &Connection, table: &Table, checks: &[RowCheck]) -> Result<bool, duckdb::Error> {
    let any = checks.iter().map(|c| format!("({})", c.condition)).collect::<Vec<_>>().join(" OR ");
    let bad_rows: bool = !checks.is_empty()
        && conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM __typed WHERE {any})"), [], |r| r.get(0))?;
    if bad_rows {
        return Ok(true);
    }
    if duplicate_keys_sql(table).is_none() {
        return Ok(false);
    }
    let key = table.key;
    conn.query_row(&format!("SELECT count({key}) > count(DISTINCT {key}) FROM __typed"), [], |r| r.get(0))
}

/// One SELECT producing (row, column, message) for every problem in `__typed`.
fn errors_sql(table: &Table, checks: &[RowCheck]) -> String {
    let mut parts: Vec<String> = checks.iter().map(RowCheck::select).collect();
    parts.extend(duplicate_keys_sql(table));
    parts.join("\nUNION ALL\n")
}

fn first_errors(conn: &Connection) -> Result<Vec<RowError>, duckdb::Error> {
    let mut stmt = conn.prepare(&format!(
        "SELECT row, \"column\", message FROM __errors ORDER BY row, \"column\", message LIMIT {MAX_REPORTED_ERRORS}"
    ))?;
    stmt.query_map([], |r| Ok(RowError { row: r.get(0)?, column: r.get(1)?, message: r.get(2)? }))?.collect()
}

fn unreadable(format: Format, e: duckdb::Error) -> IngestError {
    IngestError::Unreadable { format, message: e.to_string() }
}

fn sql_string(s: &str) -> String {
    format!("'{}'", sql_escape(s))
}

fn sql_escape(s: &str) -> String {
    s.replace('\'', "''")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseLimits;
    use crate::store::schema;

    const SMALL: DatabaseLimits = DatabaseLimits { memory_bytes: 100 << 20, temp_bytes: 100 << 20, threads: 1 };

    const AGENTS: &str = "agent_id,employment_type,team,site\nx1,employee,north,berlin\nx2,crowd,south,home\n";

    /// Four contacts: i1 valid, i2 answered before it was offered, i3 of an unknown agent, i4
    /// on an unknown channel with a talk time that is no number.
    const INTERACTIONS: &str = "\
interaction_id,customer_id,agent_id,channel,queue,offered_at,answered_at,ended_at,outcome,talk_seconds
i1,c1,x1,voice,billing,2026-03-02T09:00:00Z,2026-03-02T09:00:20Z,2026-03-02T09:05:00Z,handled,200
i2,c2,x1,voice,billing,2026-03-02T09:10:00Z,2026-03-02T09:09:00Z,2026-03-02T09:15:00Z,handled,100
i3,c3,nobody,chat,billing,2026-03-02T09:20:00Z,2026-03-02T09:20:05Z,2026-03-02T09:25:00Z,handled,100
i4,c4,x2,fax,billing,2026-03-02T09:30:00Z,2026-03-02T09:30:05Z,2026-03-02T09:35:00Z,handled,abc
";

    /// Stages `csv` in the tenant's staging directory and ingests it into `table`.
    fn load(
        db: &TenantDb,
        table: &str,
        csv: &str,
        mode: ValidationMode,
        on_conflict: OnConflict,
    ) -> Result<IngestReport, IngestError> {
        let path = db.staging_dir().join(format!("{table}-{}.csv", crate::auth::new_key()));
        std::fs::write(&path, csv).unwrap();
        let spec = schema::table(table).unwrap();
        ingest_file(db, spec, &path, IngestOptions { format: Format::Csv, mode, on_conflict, enricher: None })
    }

    fn rows(db: &TenantDb, sql: &str) -> Vec<String> {
        let conn = db.connection().unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    fn row_error(row: u64, column: &str, message: &str) -> RowError {
        RowError { row, column: column.into(), message: message.into() }
    }

    fn tenant_with_agents() -> (tempfile::TempDir, TenantDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = TenantDb::open("t", dir.path(), SMALL).unwrap();
        let agents = load(&db, "agents", AGENTS, ValidationMode::AllOrNothing, OnConflict::Skip).unwrap();
        assert_eq!((agents.inserted, agents.rejected, agents.committed), (2, 0, true));
        (dir, db)
    }

    #[test]
    fn a_batch_with_a_bad_row_is_rejected_with_row_column_and_reason_and_writes_nothing() {
        let (_dir, db) = tenant_with_agents();
        let Err(IngestError::Rejected(report)) =
            load(&db, "interactions", INTERACTIONS, ValidationMode::AllOrNothing, OnConflict::Skip)
        else {
            panic!("the batch is rejected");
        };
        assert_eq!(
            (report.rows_received, report.inserted, report.rejected, report.error_count, report.committed),
            (4, 0, 3, 4, false)
        );
        assert_eq!(
            report.errors,
            [
                row_error(2, "answered_at", "answered_at is before offered_at"),
                row_error(3, "agent_id", "unknown agent_id 'nobody' (not in agents)"),
                row_error(4, "channel", "'fax' is not one of voice, chat, email, messaging, self_service"),
                row_error(4, "talk_seconds", "'abc' is not a valid integer"),
            ]
        );
        assert_eq!(IngestError::Rejected(report).to_string(), "3 of 4 rows are invalid; nothing was written");
        assert_eq!(rows(&db, "SELECT interaction_id FROM interactions"), Vec::<String>::new(), "nothing written");
    }

    #[test]
    fn the_valid_rows_mode_loads_the_others_and_reports_the_rejects() {
        let (_dir, db) = tenant_with_agents();
        let report = load(&db, "interactions", INTERACTIONS, ValidationMode::LoadValid, OnConflict::Skip).unwrap();
        assert_eq!(
            (report.rows_received, report.inserted, report.replaced, report.unchanged, report.rejected),
            (4, 1, 0, 0, 3)
        );
        assert_eq!((report.error_count, report.committed), (4, true));
        let rejected: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(rejected, [(2, "answered_at"), (3, "agent_id"), (4, "channel"), (4, "talk_seconds")]);
        assert_eq!(rows(&db, "SELECT interaction_id FROM interactions"), ["i1"]);
        assert_eq!(rows(&db, "SELECT CAST(talk_seconds AS VARCHAR) FROM interactions"), ["200"]);
    }

    #[test]
    fn a_resent_batch_changes_nothing_unless_asked_to_replace() {
        let (_dir, db) = tenant_with_agents();
        let again = load(&db, "agents", AGENTS, ValidationMode::AllOrNothing, OnConflict::Skip).unwrap();
        assert_eq!((again.rows_received, again.inserted, again.replaced, again.unchanged), (2, 0, 0, 2));
        let teams = "SELECT agent_id || ' ' || team FROM agents ORDER BY agent_id";
        assert_eq!(rows(&db, teams), ["x1 north", "x2 south"]);

        let moved = "agent_id,employment_type,team,site\nx1,employee,south,berlin\n";
        let kept = load(&db, "agents", moved, ValidationMode::AllOrNothing, OnConflict::Skip).unwrap();
        assert_eq!((kept.inserted, kept.replaced, kept.unchanged), (0, 0, 1));
        assert_eq!(rows(&db, teams), ["x1 north", "x2 south"], "a stored row is kept by default");
        let replaced = load(&db, "agents", moved, ValidationMode::AllOrNothing, OnConflict::Replace).unwrap();
        assert_eq!((replaced.inserted, replaced.replaced, replaced.unchanged), (0, 1, 0));
        assert_eq!(rows(&db, teams), ["x1 south", "x2 south"]);
    }

    /// Values written in the ways clients write them: spaces around values, offsets, upper-case
    /// and numeric booleans, empty cells, a header in another column order, an absent column.
    const VARIED: &str = "\
channel,interaction_id,customer_id,agent_id,queue,offered_at,answered_at,ended_at,outcome,talk_seconds,transferred,sale,sentiment
voice,v1, c1 ,x1,billing,2026-03-02T10:00:00+01:00,2026-03-02 09:00:20,2026-03-02T09:05:00Z,handled, 200 ,TRUE,0,0.25
chat,v2,c2, ,sales,2026-03-02T09:10:00Z,,2026-03-02T09:15:00.5Z,abandoned,,f,,
email,v3,c3,x2,billing,2026-03-02T09:20:00-02:30,2026-03-02T11:50:05Z,2026-03-02T11:55:00Z,handled,7,1,False,-1
";

    const STORED: &str = "SELECT concat_ws('|', interaction_id, customer_id, agent_id, channel, queue, contact_reason,
        offered_at, answered_at, ended_at, outcome, talk_seconds, hold_seconds, wrap_seconds, transferred,
        sales_eligible, sale, revenue_cents, sentiment) FROM interactions ORDER BY interaction_id";

    #[test]
    fn a_clean_batch_read_by_the_typed_reader_stores_what_the_text_path_stores() {
        let (_dir, db) = tenant_with_agents();
        let clean = load(&db, "interactions", VARIED, ValidationMode::AllOrNothing, OnConflict::Skip).unwrap();
        assert_eq!((clean.rows_received, clean.inserted, clean.rejected), (3, 3, 0));
        let by_typed_reader = rows(&db, STORED);
        assert_eq!(
            by_typed_reader[0],
            "v1|c1|x1|voice|billing|2026-03-02 09:00:00|2026-03-02 09:00:20|2026-03-02 09:05:00|handled|200|0|0|true|false|false|0|0.25"
        );

        // The same rows beside a bad one take the text path, which parses column by column.
        let (_dir2, other) = tenant_with_agents();
        let with_bad_row = format!(
            "{VARIED}fax,v4,c4,x1,billing,2026-03-02T09:30:00Z,,2026-03-02T09:31:00Z,abandoned,abc,false,false,\n"
        );
        let mixed = load(&other, "interactions", &with_bad_row, ValidationMode::LoadValid, OnConflict::Skip).unwrap();
        assert_eq!((mixed.rows_received, mixed.inserted, mixed.rejected), (4, 3, 1));
        assert_eq!(
            mixed.errors,
            [
                row_error(4, "channel", "'fax' is not one of voice, chat, email, messaging, self_service"),
                row_error(4, "talk_seconds", "'abc' is not a valid integer"),
            ]
        );
        assert_eq!(rows(&other, STORED), by_typed_reader);
    }
}
