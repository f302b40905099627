//! Drill-down: the records behind a metric's figures. The version of the metric that serves
//! the caller gives the SQL of its records (`records` of the `metric-records` world); the host
//! runs it in the plugins' sandbox under the plugin's limits — wrapped to filter one group,
//! total it and page it — and holds employee answers to the privacy floor. Rankings and
//! quartiles read the same records ([`RecordsSource`]).

use std::sync::Arc;
use std::time::Instant;

use duckdb::types::Value;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::Services;
use crate::config::PluginLimits;
use crate::metric_calls::MetricCall;
use crate::runtime::CallImports;
use crate::runtime::bindings::{Batch, ColumnValues, GroupBy, RecordsQuery, RecordsRequest};
use crate::runtime::host::{HostStop, QueryFailure, to_batch, to_duck_value};
use crate::runtime::worlds::MetricRecordsWorld;
use crate::runtime::{CallError, Plugin};
use crate::store::{TenantDb, readonly};

/// The source whose records are employees' own answers: never shown below the privacy floor,
/// never with who answered or when.
pub const SURVEY_SOURCE: &str = "employee_surveys";

/// The most records one page may hold.
pub const MAX_PAGE: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error(
        "metric `{metric}` (version {version}) does not open to its records: its plugin has no `records` export \
         (see docs/PLUGINS.md, the metric-records world)"
    )]
    NotSupported { metric: String, version: String },
    #[error(
        "group `{group}` holds {answers} employee answers, fewer than this tenant's minimum group size of {floor}: \
         its records are not shown"
    )]
    BelowFloor { group: String, answers: u64, floor: u32 },
    #[error("employee answers cannot be listed by agent: an agent's own answers would be revealed")]
    SurveysByAgent,
    #[error(transparent)]
    Call(#[from] CallError),
}

/// The SQL of a metric's records as the serving version gave it, with what is needed to run it.
pub struct RecordsSource {
    pub plugin: Arc<Plugin>,
    pub query: RecordsQuery,
    db: Arc<TenantDb>,
    limits: PluginLimits,
    deadline: Instant,
}

impl RecordsSource {
    /// Asks the version serving `call` for the SQL of its records — of one `group`, when the
    /// caller will keep only that one, else of every group; with `counted_only`, the caller
    /// uses only records with a part in the figure (hints the plugin may use to read less).
    /// Blocking: it runs the plugin.
    pub fn ask(
        state: &Services,
        call: &MetricCall,
        (group, counted_only): (Option<&str>, bool),
        db: Arc<TenantDb>,
        limits: PluginLimits,
    ) -> Result<RecordsSource, RecordsError> {
        let plugin = call.plan.serve.clone();
        if !plugin.answers_records() {
            return Err(RecordsError::NotSupported { metric: call.name.clone(), version: plugin.info.version.clone() });
        }
        let deadline = Instant::now() + std::time::Duration::from_millis(limits.deadline_ms);
        let request = RecordsRequest {
            period_start: call.request.period_start,
            period_end: call.request.period_end,
            group_by: call.request.group_by,
            params: call.request.params.clone(),
            group: group.map(str::to_string),
            counted_only,
        };
        let query = state.registry.runtime().call::<MetricRecordsWorld>(
            &plugin,
            db.clone(),
            CallImports::none(),
            limits,
            &request,
        )?;
        Ok(RecordsSource { plugin, query, db, limits, deadline })
    }

    /// Runs `outer`, a SELECT over the plugin's records named `records` (`WITH records AS
    /// (…) <outer>`), with `params` bound after the plugin's own, in the plugins' sandbox and
    /// under the plugin's deadline and read limits. A failure is the plugin's: its SQL did not
    /// run or did not return the columns of a records query.
    pub fn select(&self, state: &Services, outer: &str, params: Vec<Value>) -> Result<Batch, CallError> {
        let body = self.query.sql.trim_end().trim_end_matches([';', ' ', '\n', '\r', '\t']);
        let sql = format!("WITH records AS (\n{body}\n)\n{outer}");
        let mut bound: Vec<Value> = self.query.params.iter().cloned().map(to_duck_value).collect();
        bound.extend(params);
        let budget = readonly::ReadBudget {
            max_rows: self.limits.max_rows_read,
            max_bytes: self.limits.max_bytes_read,
            max_text_bytes: self.limits.max_text_bytes,
        };
        let (name, version) = (self.plugin.info.name.clone(), self.plugin.info.version.clone());
        let run = state.registry.runtime().plugin_sql(&self.limits, self.deadline);
        let selected =
            run.select(&self.db, (&name, &version), &sql, bound, budget).map_err(|failure| match failure {
                QueryFailure::Stop(HostStop::QueryDeadline(deadline_ms)) => {
                    CallError::Timeout { plugin: name.clone(), version: version.clone(), deadline_ms }
                }
                QueryFailure::Stop(stop) => {
                    CallError::Limit { plugin: name.clone(), version: version.clone(), detail: stop.to_string() }
                }
                QueryFailure::Failed(message) => CallError::Plugin {
                    plugin: name.clone(),
                    version: version.clone(),
                    message: format!("its records query failed: {message}"),
                },
            })?;
        to_batch(&selected).map_err(|detail| CallError::InvalidResult { plugin: name, version, detail })
    }
}

/// How a record takes part in its group's figure, from its parts (SQL over `records`).
pub const ROLE_SQL: &str = "CASE WHEN coalesce(CAST(num AS DOUBLE), 0) <> 0 THEN 'numerator' \
     WHEN coalesce(CAST(den AS DOUBLE), 0) <> 0 THEN 'denominator' ELSE 'excluded' END";

/// What one page asks for.
#[derive(Debug, Clone)]
pub struct PageAsk {
    pub group: String,
    /// Only records of this role (`numerator`, `denominator`, `excluded`).
    pub role: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

/// A group's records counted and summed: the figure they make.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Totals {
    /// Every record the figure looked at.
    pub records: u64,
    /// Records with a part in the numerator (and, usually, the denominator).
    pub in_numerator: u64,
    /// Records counted in the denominator only.
    pub denominator_only: u64,
    /// Records that do not count, each with its reason.
    pub excluded: u64,
    /// Sum of the records' numerator parts: the metric's numerator.
    pub numerator: f64,
    /// Sum of the records' denominator parts: the metric's denominator.
    pub denominator: f64,
    /// numerator / denominator; none when the denominator is 0.
    pub value: Option<f64>,
}

/// One record and its part in the figure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordOut {
    /// The table it comes from.
    pub source: String,
    /// Its id in that table; none for employee answers.
    pub record_id: Option<String>,
    /// When it happened (RFC 3339); none for employee answers.
    pub occurred_at: Option<String>,
    /// The agent it counts for; none for employee answers.
    pub agent_id: Option<String>,
    pub queue: Option<String>,
    pub contact_reason: Option<String>,
    pub channel: Option<String>,
    /// `numerator`, `denominator` (in the denominator only) or `excluded`.
    pub role: String,
    pub numerator: f64,
    pub denominator: f64,
    /// Why it is excluded or in the denominator only.
    pub reason: Option<String>,
    /// The record it was judged against (the repeat contact, say).
    pub related_id: Option<String>,
}

/// One page of a group's records with the group's totals.
pub struct RecordsPage {
    pub totals: Totals,
    pub records: Vec<RecordOut>,
    /// Where the next page starts; none on the last.
    pub next_offset: Option<u32>,
}

/// One page of `ask.group`'s records, with the group's totals; employee answers only for
/// groups of at least `floor` answers and never by agent. Blocking.
pub fn page(
    state: &Services,
    source: &RecordsSource,
    group_by: GroupBy,
    floor: u32,
    ask: &PageAsk,
) -> Result<RecordsPage, RecordsError> {
    let totals_sql = format!(
        "SELECT count(*) AS records, \
         count(*) FILTER (WHERE role = 'numerator') AS in_numerator, \
         count(*) FILTER (WHERE role = 'denominator') AS denominator_only, \
         count(*) FILTER (WHERE role = 'excluded') AS excluded, \
         coalesce(sum(CAST(num AS DOUBLE)), 0) AS numerator, coalesce(sum(CAST(den AS DOUBLE)), 0) AS denominator, \
         count(*) FILTER (WHERE source = '{SURVEY_SOURCE}' AND role <> 'excluded') AS answers, \
         count(*) FILTER (WHERE source = '{SURVEY_SOURCE}') AS survey_rows \
         FROM (SELECT *, {ROLE_SQL} AS role FROM records WHERE grp = ?)"
    );
    let totals = source.select(state, &totals_sql, vec![Value::Text(ask.group.clone())])?;
    let read = Read(&totals);
    let count = |name: &str| read.float(name, 0).unwrap_or(0.0) as u64;
    let (numerator, denominator) =
        (read.float("numerator", 0).unwrap_or(0.0), read.float("denominator", 0).unwrap_or(0.0));
    let totals_out = Totals {
        records: count("records"),
        in_numerator: count("in_numerator"),
        denominator_only: count("denominator_only"),
        excluded: count("excluded"),
        numerator,
        denominator,
        value: (denominator != 0.0).then(|| numerator / denominator),
    };
    if count("survey_rows") > 0 {
        if group_by == GroupBy::Agent {
            return Err(RecordsError::SurveysByAgent);
        }
        let answers = count("answers");
        if answers < u64::from(floor) {
            return Err(RecordsError::BelowFloor { group: ask.group.clone(), answers, floor });
        }
    }
    let mut params = vec![Value::Text(ask.group.clone())];
    let role_filter = match &ask.role {
        Some(role) => {
            params.push(Value::Text(role.clone()));
            " AND role = ?"
        }
        None => "",
    };
    params.push(Value::BigInt(i64::from(ask.limit) + 1));
    params.push(Value::BigInt(i64::from(ask.offset)));
    // Employee answers in the order of their values (and a hash), never of their times.
    let page_sql = format!(
        "SELECT CAST(source AS VARCHAR) AS source, \
         CASE WHEN source = '{SURVEY_SOURCE}' THEN NULL ELSE CAST(record_id AS VARCHAR) END AS record_id, \
         CASE WHEN source = '{SURVEY_SOURCE}' THEN NULL ELSE CAST(occurred_at AS TIMESTAMP) END AS occurred_at, \
         CASE WHEN source = '{SURVEY_SOURCE}' THEN NULL ELSE CAST(agent_id AS VARCHAR) END AS agent_id, \
         CAST(queue AS VARCHAR) AS queue, CAST(contact_reason AS VARCHAR) AS contact_reason, \
         CAST(channel AS VARCHAR) AS channel, role, \
         coalesce(CAST(num AS DOUBLE), 0) AS num, coalesce(CAST(den AS DOUBLE), 0) AS den, \
         CAST(reason AS VARCHAR) AS reason, \
         CASE WHEN source = '{SURVEY_SOURCE}' THEN NULL ELSE CAST(related_id AS VARCHAR) END AS related_id \
         FROM (SELECT *, {ROLE_SQL} AS role FROM records WHERE grp = ?) WHERE TRUE{role_filter} \
         ORDER BY CASE WHEN source = '{SURVEY_SOURCE}' THEN NULL ELSE occurred_at END NULLS LAST, \
         CASE WHEN source = '{SURVEY_SOURCE}' THEN num END, \
         CASE WHEN source = '{SURVEY_SOURCE}' THEN hash(record_id) END, record_id \
         LIMIT ? OFFSET ?"
    );
    let batch = source.select(state, &page_sql, params)?;
    let read = Read(&batch);
    let rows = batch.row_count as usize;
    let shown = rows.min(ask.limit as usize);
    let records = (0..shown)
        .map(|i| RecordOut {
            source: read.text("source", i).unwrap_or_default(),
            record_id: read.text("record_id", i),
            occurred_at: read.timestamp("occurred_at", i).map(rfc3339_micros),
            agent_id: read.text("agent_id", i),
            queue: read.text("queue", i),
            contact_reason: read.text("contact_reason", i),
            channel: read.text("channel", i),
            role: read.text("role", i).unwrap_or_default(),
            numerator: read.float("num", i).unwrap_or(0.0),
            denominator: read.float("den", i).unwrap_or(0.0),
            reason: read.text("reason", i),
            related_id: read.text("related_id", i),
        })
        .collect();
    let next_offset = (rows > shown).then(|| ask.offset.saturating_add(ask.limit));
    Ok(RecordsPage { totals: totals_out, records, next_offset })
}

/// One page of one group's records: asks the version serving `call` for that group's records
/// and pages them, held to `floor` (see [`floor_of`]). Blocking: it runs the plugin.
pub fn open(
    state: &Services,
    call: &MetricCall,
    (floor, ask): (u32, &PageAsk),
    db: Arc<TenantDb>,
    limits: PluginLimits,
) -> Result<(RecordsSource, RecordsPage), RecordsError> {
    let source = RecordsSource::ask(state, call, (Some(&ask.group), false), db, limits)?;
    let page = page(state, &source, call.request.group_by, floor, ask)?;
    Ok((source, page))
}

/// The privacy floor a call's employee answers are held to: the tenant's minimum group size,
/// or the call's `min_responses` where that is higher.
pub fn floor_of(call: &MetricCall, tenant_floor: u32) -> u32 {
    let asked = call
        .params
        .get(crate::privacy::MIN_RESPONSES)
        .and_then(serde_json::Value::as_i64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0);
    tenant_floor.max(asked)
}

/// A timestamp in µs since the epoch as RFC 3339 (UTC, seconds unless finer is needed).
pub fn rfc3339_micros(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// Reads a WIT batch by column name and row.
pub struct Read<'a>(pub &'a Batch);

impl Read<'_> {
    fn column(&self, name: &str, row: usize) -> Option<&ColumnValues> {
        let column = self.0.columns.iter().find(|c| c.name == name)?;
        if column.nulls.get(row).copied().unwrap_or(false) {
            return None;
        }
        Some(&column.values)
    }

    pub fn text(&self, name: &str, row: usize) -> Option<String> {
        match self.column(name, row)? {
            ColumnValues::Text(values) => values.get(row).cloned(),
            _ => None,
        }
    }

    pub fn float(&self, name: &str, row: usize) -> Option<f64> {
        match self.column(name, row)? {
            ColumnValues::Float(values) => values.get(row).copied(),
            ColumnValues::Integer(values) => values.get(row).map(|v| *v as f64),
            _ => None,
        }
    }

    pub fn timestamp(&self, name: &str, row: usize) -> Option<i64> {
        match self.column(name, row)? {
            ColumnValues::Timestamp(values) | ColumnValues::Integer(values) => values.get(row).copied(),
            _ => None,
        }
    }
}
