//! The enrichments of a tenant's free text, in its database beside the rows they describe:
//! one row per (source table, row id) — pending, done or failed — with the sentiment, topics,
//! tags and language an enricher gave and the enricher's name and version. Ingest marks rows
//! pending in its own transaction (so an acknowledged row is never without its mark), the
//! enrichment worker takes pending rows in batches and records what came back.

use duckdb::types::{TimeUnit, Value};
use duckdb::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::Table;

pub const CREATE_SQL: &str = "
CREATE TABLE IF NOT EXISTS enrichments (
    source VARCHAR NOT NULL,
    row_id VARCHAR NOT NULL,
    text_hash UBIGINT NOT NULL,
    state VARCHAR NOT NULL,
    enricher VARCHAR,
    version VARCHAR,
    sentiment DOUBLE,
    language VARCHAR,
    topics VARCHAR[],
    tags VARCHAR[],
    attempts INTEGER NOT NULL,
    last_error VARCHAR,
    queued_at TIMESTAMP NOT NULL,
    retry_at TIMESTAMP,
    enriched_at TIMESTAMP,
    PRIMARY KEY (source, row_id)
);
";

/// A table whose rows carry free text, and how to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextSource {
    /// The table, as `enrichments.source` names it.
    pub table: &'static str,
    pub key: &'static str,
    pub text: &'static str,
    /// The column that places a row in time (for recomputing a range).
    pub time: &'static str,
}

/// Every table whose text is enriched.
pub const SOURCES: [TextSource; 3] = [
    TextSource { table: "customer_feedback", key: "feedback_id", text: "comment", time: "responded_at" },
    TextSource { table: "employee_surveys", key: "response_id", text: "comment", time: "responded_at" },
    TextSource { table: "interactions", key: "interaction_id", text: "notes", time: "offered_at" },
];

pub fn source_of(table: &str) -> Option<TextSource> {
    SOURCES.into_iter().find(|s| s.table == table)
}

/// Marks pending, inside the caller's transaction, the stored rows of `table` whose keys are in
/// the batch `valid` (a SELECT over the staged rows) and whose text is new or changed since it
/// was last enriched. Returns how many were marked.
pub fn mark_pending(conn: &Connection, table: &Table, valid: &str) -> Result<u64, duckdb::Error> {
    let Some(source) = source_of(table.name) else { return Ok(0) };
    let TextSource { table: t, key, text, .. } = source;
    let marked = conn.execute(
        &format!(
            "INSERT INTO enrichments (source, row_id, text_hash, state, attempts, queued_at)
             SELECT '{t}', s.{key}, hash(s.{text}), 'pending', 0, now()::TIMESTAMP FROM {t} s
             WHERE s.{key} IN (SELECT {key} FROM ({valid})) AND s.{text} IS NOT NULL AND trim(s.{text}) <> ''
             ON CONFLICT (source, row_id) DO UPDATE SET
                 text_hash = excluded.text_hash, state = 'pending', attempts = 0, last_error = NULL,
                 queued_at = excluded.queued_at, retry_at = NULL
             WHERE enrichments.text_hash <> excluded.text_hash OR enrichments.state = 'failed'"
        ),
        [],
    )?;
    Ok(marked as u64)
}

/// One pending text, as the worker hands it to an enricher.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingText {
    pub source: TextSource,
    pub row_id: String,
    pub text: String,
    pub text_hash: u64,
    pub attempts: u32,
    /// When it was queued (µs): a text queued again meanwhile is not recorded by this attempt.
    pub queued_at: i64,
}

/// Up to `limit` pending texts due now, oldest first, with their current text.
pub fn take_pending(conn: &Connection, limit: u32) -> Result<Vec<PendingText>, duckdb::Error> {
    let mut out = Vec::new();
    for source in SOURCES {
        let remaining = limit as usize - out.len();
        if remaining == 0 {
            break;
        }
        let TextSource { table: t, key, text, .. } = source;
        let mut stmt = conn.prepare(&format!(
            "SELECT e.row_id, s.{text}, e.text_hash, e.attempts, epoch_us(e.queued_at) FROM enrichments e JOIN {t} s ON s.{key} = e.row_id
             WHERE e.source = '{t}' AND e.state = 'pending' AND (e.retry_at IS NULL OR e.retry_at <= now()::TIMESTAMP)
             ORDER BY e.queued_at, e.row_id LIMIT ?"
        ))?;
        let rows = stmt.query_map(params![remaining as u64], |r| {
            Ok(PendingText {
                source,
                row_id: r.get(0)?,
                text: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                text_hash: r.get(2)?,
                attempts: r.get(3)?,
                queued_at: r.get(4)?,
            })
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// What an enricher said of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrichedText {
    pub source: &'static str,
    pub row_id: String,
    /// The hash of the text that was enriched: a text changed meanwhile stays pending.
    pub text_hash: u64,
    /// When the text enriched was queued: one queued again meanwhile stays pending.
    pub queued_at: i64,
    pub sentiment: Option<f64>,
    pub language: String,
    pub topics: Vec<String>,
    pub tags: Vec<String>,
}

/// Records enrichments by `enricher` `version`: the results are appended to a temporary table
/// of the connection and written by one `UPDATE … FROM` (a `VALUES` list of a batch's results
/// cost DuckDB more to plan than the update itself).
pub fn record_done(
    conn: &Connection,
    (enricher, version): (&str, &str),
    done: &[EnrichedText],
) -> Result<u64, duckdb::Error> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS enrichment_results (source VARCHAR, row_id VARCHAR,
             text_hash UBIGINT, queued_at TIMESTAMP, sentiment DOUBLE, language VARCHAR, topics VARCHAR,
             tags VARCHAR);
         DELETE FROM temp.enrichment_results;",
    )?;
    {
        let mut appender = conn.appender_to_catalog_and_db("enrichment_results", "temp", "main")?;
        for e in done {
            appender.append_row(params![
                e.source,
                e.row_id,
                e.text_hash,
                Value::Timestamp(TimeUnit::Microsecond, e.queued_at),
                e.sentiment,
                e.language,
                joined(&e.topics),
                joined(&e.tags),
            ])?;
        }
        appender.flush()?;
    }
    let recorded = conn.execute(
        "UPDATE enrichments e SET state = 'done', enricher = ?, version = ?, sentiment = n.sentiment,
             language = n.language,
             topics = list_filter(string_split(n.topics, chr(31)), lambda x: x <> ''),
             tags = list_filter(string_split(n.tags, chr(31)), lambda x: x <> ''),
             last_error = NULL, retry_at = NULL, enriched_at = now()::TIMESTAMP
         FROM temp.enrichment_results n
         WHERE e.source = n.source AND e.row_id = n.row_id AND e.text_hash = n.text_hash
           AND e.queued_at = n.queued_at AND e.state = 'pending'",
        params![enricher, version],
    )? as u64;
    conn.execute_batch("DELETE FROM temp.enrichment_results")?;
    Ok(recorded)
}

/// Records a failed attempt at `texts`: they stay pending, retried after a back-off that
/// doubles per attempt (from 2 s up to 10 minutes), and are marked failed after
/// `max_attempts` (a later change of their text, or a recompute, queues them again).
pub fn record_failure(
    conn: &Connection,
    texts: &[(&'static str, String)],
    error: &str,
    max_attempts: u32,
) -> Result<(), duckdb::Error> {
    for chunk in texts.chunks(1000) {
        let rows = vec!["(?::VARCHAR, ?::VARCHAR)"; chunk.len()].join(", ");
        let mut values: Vec<Value> = vec![Value::Text(error.to_string()), Value::UInt(max_attempts)];
        for (source, row_id) in chunk {
            values.extend([Value::Text(source.to_string()), Value::Text(row_id.clone())]);
        }
        conn.execute(
            &format!(
                "UPDATE enrichments e SET attempts = e.attempts + 1, last_error = ?,
                     state = CASE WHEN e.attempts + 1 >= ? THEN 'failed' ELSE 'pending' END,
                     retry_at = now()::TIMESTAMP + to_seconds(least(600, 2 * pow(2, e.attempts)::BIGINT))
                 FROM (VALUES {rows}) f(source, row_id)
                 WHERE e.source = f.source AND e.row_id = f.row_id AND e.state = 'pending'"
            ),
            duckdb::params_from_iter(values),
        )?;
    }
    Ok(())
}

/// Marks pending again every enriched or failed text of `sources` placed in `[from, to)` (µs),
/// so the serving enricher scores it anew. Returns how many were queued.
pub fn queue_range(conn: &Connection, sources: &[TextSource], (from, to): (i64, i64)) -> Result<u64, duckdb::Error> {
    let (from, to) = (Value::Timestamp(TimeUnit::Microsecond, from), Value::Timestamp(TimeUnit::Microsecond, to));
    let mut queued = 0;
    for TextSource { table: t, key, text, time } in sources {
        queued += conn.execute(
            &format!(
                "INSERT INTO enrichments (source, row_id, text_hash, state, attempts, queued_at)
                 SELECT '{t}', s.{key}, hash(s.{text}), 'pending', 0, now()::TIMESTAMP FROM {t} s
                 WHERE s.{time} >= ? AND s.{time} < ? AND s.{text} IS NOT NULL AND trim(s.{text}) <> ''
                 ON CONFLICT (source, row_id) DO UPDATE SET
                     text_hash = excluded.text_hash, state = 'pending', attempts = 0, last_error = NULL,
                     queued_at = excluded.queued_at, retry_at = NULL"
            ),
            params![from.clone(), to.clone()],
        )? as u64;
    }
    Ok(queued)
}

/// How far a tenant's enrichment has come, per source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct EnrichmentCounts {
    /// The table the texts come from.
    pub source: String,
    pub pending: u64,
    pub done: u64,
    pub failed: u64,
    /// The latest error of a pending or failed text, if any.
    pub last_error: Option<String>,
    /// Enricher versions that scored the done texts, as `name@version`, most used first.
    pub versions: Vec<String>,
}

pub fn counts(conn: &Connection) -> Result<Vec<EnrichmentCounts>, duckdb::Error> {
    let mut out = Vec::new();
    for source in SOURCES {
        let t = source.table;
        let (pending, done, failed): (u64, u64, u64) = conn.query_row(
            "SELECT count(*) FILTER (state = 'pending'), count(*) FILTER (state = 'done'),
                    count(*) FILTER (state = 'failed') FROM enrichments WHERE source = ?",
            [t],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let last_error: Option<String> = conn.query_row(
            "SELECT max_by(last_error, queued_at) FROM enrichments WHERE source = ? AND last_error IS NOT NULL",
            [t],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare(
            "SELECT enricher || '@' || version FROM enrichments WHERE source = ? AND state = 'done'
             GROUP BY 1 ORDER BY count(*) DESC, 1",
        )?;
        let versions = stmt.query_map([t], |r| r.get(0))?.collect::<Result<_, _>>()?;
        out.push(EnrichmentCounts { source: t.to_string(), pending, done, failed, last_error, versions });
    }
    Ok(out)
}

/// Pending texts whose retry is due now, over all sources.
pub fn due_count(conn: &Connection) -> Result<u64, duckdb::Error> {
    conn.query_row(
        "SELECT count(*) FROM enrichments WHERE state = 'pending' AND (retry_at IS NULL OR retry_at <= now()::TIMESTAMP)",
        [],
        |r| r.get(0),
    )
}

/// One stored enrichment, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredEnrichment {
    pub source: String,
    pub row_id: String,
    /// `pending`, `done` or `failed`.
    pub state: String,
    pub enricher: Option<String>,
    pub version: Option<String>,
    pub sentiment: Option<f64>,
    pub language: Option<String>,
    pub topics: Vec<String>,
    pub tags: Vec<String>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// The enrichments of `source` for `row_ids` (those that have one), in the order asked.
pub fn of_rows(conn: &Connection, source: &str, row_ids: &[String]) -> Result<Vec<StoredEnrichment>, duckdb::Error> {
    let mut stmt = conn.prepare(
        "SELECT source, row_id, state, enricher, version, sentiment, language, coalesce(topics, []),
                coalesce(tags, []), attempts, last_error
         FROM enrichments WHERE source = ? AND row_id = ?",
    )?;
    let mut out = Vec::new();
    for id in row_ids {
        let row = stmt.query_row(params![source, id], |r| {
            Ok(StoredEnrichment {
                source: r.get(0)?,
                row_id: r.get(1)?,
                state: r.get(2)?,
                enricher: r.get(3)?,
                version: r.get(4)?,
                sentiment: r.get(5)?,
                language: r.get(6)?,
                topics: list_of(r.get(7)?),
                tags: list_of(r.get(8)?),
                attempts: r.get(9)?,
                last_error: r.get(10)?,
            })
        });
        match row {
            Ok(e) => out.push(e),
            Err(duckdb::Error::QueryReturnedNoRows) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Labels joined by the unit separator (which no label may hold: enrichers' labels are
/// checked for control characters), split again in SQL.
fn joined(items: &[String]) -> String {
    items.join("\u{1f}")
}

fn list_of(value: Value) -> Vec<String> {
    match value {
        Value::List(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Text(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
