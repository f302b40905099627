//! Drill-down: the records behind a metric's figures, as the SQL the host runs (see
//! `records-query` in `wit/cxhost.wit` for the columns), and [`RowRatio`], a ratio declared
//! once per row from which both its figures and its records are built — so the records of a
//! group add up to its numerator and denominator by construction.

use crate::{Ask, GroupBy, MetricResult, RecordsQuery, Source, SqlValue, grouping, ratio_result, time_range};

/// A metric that opens its figures to their records; export it with
/// `export_metric!(Type, records)`.
pub trait MetricRecords: crate::Metric {
    /// The SQL of the records behind the figures `compute` gives for `ask` (never a series):
    /// every record the figure looked at in the range, counted or not, whose `num` and `den`
    /// add up over a group to `compute`'s numerator and denominator. `ask.group` and
    /// `ask.counted_only` say what the host will keep, so the query may read less.
    fn records(ask: &Ask) -> Result<RecordsQuery, String>;
}

/// What a source's records are called and where their columns are.
struct SourceColumns {
    table: &'static str,
    alias: &'static str,
    id: &'static str,
    time: &'static str,
    /// The contact a record belongs to, for sources that are not contacts themselves.
    interaction_id: Option<&'static str>,
}

fn columns_of(source: Source) -> SourceColumns {
    let (table, alias, id, time, interaction_id) = match source {
        Source::Interactions => ("interactions", "i", "interaction_id", "offered_at", None),
        Source::Feedback => ("customer_feedback", "f", "feedback_id", "responded_at", Some("interaction_id")),
        Source::Surveys => ("employee_surveys", "s", "response_id", "responded_at", None),
        Source::AgentStates => ("agent_states", "st", "state_id", "started_at", None),
        Source::Qa => ("qa_evaluations", "q", "evaluation_id", "evaluated_at", Some("interaction_id")),
        Source::Schedules => ("schedules", "sh", "shift_id", "starts_at", None),
    };
    SourceColumns { table, alias, id, time, interaction_id }
}

/// The SQL expression that names a row's group as `compute` does for `ask` (not a series):
/// periods as `YYYY-MM-DD` (months `YYYY-MM`), anything else as text, `(none)` for none.
pub fn group_text(key: &str, group_by: GroupBy) -> String {
    match group_by {
        GroupBy::Day | GroupBy::Week => format!("strftime({key}, '%Y-%m-%d')"),
        GroupBy::Month => format!("strftime({key}, '%Y-%m')"),
        _ => format!("coalesce(CAST({key} AS VARCHAR), '(none)')"),
    }
}

/// The record columns every records query starts with for `source` grouped as `ask` asks:
/// `source, record_id, grp, occurred_at, agent_id, queue, contact_reason, channel`, and the `FROM`
/// clause (with `rows` in place of the source table when given, as
/// [`Grouping::from_rows`](crate::Grouping::from_rows)) that they read. The caller adds `num`,
/// `den`, `reason` and `related_id` and the `WHERE`, whose first two placeholders are the
/// range (`time_filter`).
pub fn record_select(source: Source, ask: &Ask, rows: Option<&str>) -> Result<(String, String, String), String> {
    let g = grouping(source, ask)?;
    let c = columns_of(source);
    let alias = c.alias;
    let mut from = match rows {
        Some(rows) => g.from_rows(rows),
        None => g.from.clone(),
    };
    let cells = match (source, c.interaction_id) {
        (Source::Interactions, _) => "i.queue, i.contact_reason, i.channel".to_string(),
        (_, Some(link)) => {
            from.push_str(&format!(" LEFT JOIN interactions ci ON ci.interaction_id = {alias}.{link}"));
            "ci.queue, ci.contact_reason, ci.channel".to_string()
        }
        (_, None) => "CAST(NULL AS VARCHAR) AS queue, CAST(NULL AS VARCHAR) AS contact_reason, \
                      CAST(NULL AS VARCHAR) AS channel"
            .to_string(),
    };
    let select = format!(
        "SELECT '{table}' AS source, CAST({alias}.{id} AS VARCHAR) AS record_id, {grp} AS grp, \
         {alias}.{time} AS occurred_at, {alias}.agent_id AS agent_id, {cells}",
        table = c.table,
        id = c.id,
        grp = group_text(&g.key, ask.group_by),
        time = c.time,
    );
    Ok((select, from, g.time_filter))
}

/// A ratio metric declared per row of one source: every row of the source in the range is a
/// record; rows where `counted` holds add `num` to the numerator and `den` to the denominator,
/// the others are excluded with `excluded_reason`. `compute` and `records` are built from the
/// same parts.
#[derive(Debug, Clone, Copy)]
///
/// ```ignore
/// const CSAT: RowRatio = RowRatio {
///     source: Source::Feedback,
///     num: "CASE WHEN f.csat >= 4 THEN 1 ELSE 0 END",
///     den: "1",
///     counted: "f.csat IS NOT NULL",
///     excluded_reason: "'no csat answer'",
///     denominator_reason: "'csat under 4'",
///     unit: "ratio",
///     higher_is_better: true,
/// };
/// // In `Metric::compute`: CSAT.compute(ask); in `MetricRecords::records`: CSAT.records(ask).
/// ```
pub struct RowRatio<'a> {
    /// The table the rows come from; `num`, `den`, `counted` and the reasons refer to its
    /// columns through its alias (see [`Source`]).
    pub source: Source,
    /// The row's part of the numerator, an SQL expression over the source's alias (e.g.
    /// `CASE WHEN f.csat >= 4 THEN 1 ELSE 0 END`).
    pub num: &'a str,
    /// The row's part of the denominator (usually `1`).
    pub den: &'a str,
    /// Whether the row counts at all (a null counts as false).
    pub counted: &'a str,
    /// An SQL expression saying why a row that does not count is excluded (e.g.
    /// `'no csat answer'`).
    pub excluded_reason: &'a str,
    /// Why a counted row with no part in the numerator counts in the denominator only, or
    /// `NULL`.
    pub denominator_reason: &'a str,
    /// Unit of the figures, e.g. `ratio`.
    pub unit: &'a str,
    /// Whether a higher value is better (CSAT) or worse (transfer rate); rankings use it.
    pub higher_is_better: bool,
}

impl RowRatio<'_> {
    /// The figures: per group, the sums of `num` and `den` over counted rows.
    pub fn compute(&self, ask: &Ask) -> Result<MetricResult, String> {
        let g = grouping(self.source, ask)?;
        let sql = format!(
            "SELECT {key} AS grp, CAST(sum({num}) AS DOUBLE) AS num, CAST(sum({den}) AS DOUBLE) AS den \
             FROM {from} WHERE coalesce(({counted}), FALSE) AND {time} GROUP BY 1 ORDER BY 1",
            key = g.key,
            num = self.num,
            den = self.den,
            counted = self.counted,
            from = g.from,
            time = g.time_filter
        );
        ratio_result(self.unit, &sql, ask)
    }

    /// The records: every row of the source in the range, with its part.
    pub fn records(&self, ask: &Ask) -> Result<RecordsQuery, String> {
        let (select, from, time) = record_select(self.source, ask, None)?;
        let sql = format!(
            "{select}, \
             CASE WHEN coalesce(({counted}), FALSE) THEN CAST({num} AS DOUBLE) ELSE 0 END AS num, \
             CASE WHEN coalesce(({counted}), FALSE) THEN CAST({den} AS DOUBLE) ELSE 0 END AS den, \
             CASE WHEN NOT coalesce(({counted}), FALSE) THEN CAST({excluded} AS VARCHAR) \
                  WHEN CAST({num} AS DOUBLE) = 0 THEN CAST({in_den} AS VARCHAR) END AS reason, \
             CAST(NULL AS VARCHAR) AS related_id \
             FROM {from} WHERE {time}{only_counted}",
            only_counted =
                if ask.counted_only { format!(" AND coalesce(({}), FALSE)", self.counted) } else { String::new() },
            counted = self.counted,
            num = self.num,
            den = self.den,
            excluded = self.excluded_reason,
            in_den = self.denominator_reason,
        );
        Ok(records_query(sql, time_range(ask).to_vec(), self.unit, self.higher_is_better))
    }
}

/// A records answer: `sql` (one read-only SELECT with the columns `records-query` lists in
/// `wit/cxhost.wit`), the values of its `?` placeholders in order, the figures' `unit` and
/// whether higher is better.
pub fn records_query(sql: String, params: Vec<SqlValue>, unit: &str, higher_is_better: bool) -> RecordsQuery {
    RecordsQuery { sql, params, unit: unit.to_string(), higher_is_better }
}
