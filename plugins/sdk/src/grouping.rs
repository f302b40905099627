//! SQL fragments that group a source table by agent, team, site, queue, channel or period —
//! and, for a series, by period as well.

use crate::{Ask, Grain, GroupBy};

/// The canonical table a metric reads its rows from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `interactions i`, timed by `offered_at`.
    Interactions,
    /// `customer_feedback f`, timed by `responded_at`; queue and channel come from its contact.
    Feedback,
    /// `employee_surveys s`, timed by `responded_at`; only people groups and periods apply.
    Surveys,
    /// `agent_states st`, timed by `started_at`; only people groups and periods apply.
    AgentStates,
    /// `qa_evaluations q`, timed by `evaluated_at`; queue and channel come from its contact.
    Qa,
    /// `schedules sh`, timed by `starts_at`; only people groups and periods apply.
    Schedules,
}

/// How to select and group rows of a source.
#[derive(Debug, Clone)]
pub struct Grouping {
    /// Expression giving each row's group; use it as `SELECT {key} AS grp` and group by it.
    /// By day, week or month it is the period's start (a timestamp), and for a series a struct
    /// of the row's period start (µs) and its group: [`ratio_rows`](crate::ratio_rows) turns
    /// both into text once the rows are aggregated.
    pub key: String,
    /// The `FROM` clause with its alias and any join the key needs.
    pub from: String,
    /// `<time column> >= ? AND <time column> < ?`, for the request's two time parameters.
    pub time_filter: String,
    /// The qualified time column, e.g. `i.offered_at`.
    pub time_column: String,
    /// The source table and its alias as `from` names them, e.g. `interactions i`.
    source: String,
}

impl Grouping {
    /// [`from`](Grouping::from) with the source table replaced by `rows`, a `SELECT` of the
    /// same table's rows with any columns added (a window over them, say), under the same
    /// alias: the key, the joins and the time filter work on it unchanged.
    pub fn from_rows(&self, rows: &str) -> String {
        let alias = self.source.rsplit(' ').next().unwrap_or_default();
        self.from.replacen(&self.source, &format!("({rows}) {alias}"), 1)
    }
}

/// The grouping of `source` that `ask` wants, or an error when that grouping means nothing for
/// the source (e.g. employee surveys by queue).
pub fn grouping(source: Source, ask: &Ask) -> Result<Grouping, String> {
    let group_by = ask.group_by;
    let (table, alias, time, agent_col) = match source {
        Source::Interactions => ("interactions", "i", "offered_at", "agent_id"),
        Source::Feedback => ("customer_feedback", "f", "responded_at", "agent_id"),
        Source::Surveys => ("employee_surveys", "s", "responded_at", "agent_id"),
        Source::AgentStates => ("agent_states", "st", "started_at", "agent_id"),
        Source::Qa => ("qa_evaluations", "q", "evaluated_at", "agent_id"),
        Source::Schedules => ("schedules", "sh", "starts_at", "agent_id"),
    };
    let time_column = format!("{alias}.{time}");
    let table_and_alias = format!("{table} {alias}");
    let mut from = table_and_alias.clone();
    let agent_join = format!(" LEFT JOIN agents a ON a.agent_id = {alias}.{agent_col}");
    let key = match group_by {
        GroupBy::Agent => format!("{alias}.{agent_col}"),
        GroupBy::Team | GroupBy::Site => {
            from.push_str(&agent_join);
            if group_by == GroupBy::Team { "a.team".to_string() } else { "a.site".to_string() }
        }
        GroupBy::Queue | GroupBy::Channel => {
            let column = if group_by == GroupBy::Queue { "queue" } else { "channel" };
            match source {
                Source::Interactions => format!("i.{column}"),
                Source::Feedback | Source::Qa => {
                    from.push_str(&format!(" LEFT JOIN interactions i ON i.interaction_id = {alias}.interaction_id"));
                    format!("i.{column}")
                }
                Source::Surveys | Source::AgentStates | Source::Schedules => {
                    return Err(format!(
                        "this metric cannot be grouped by {column}: its rows belong to agents, not contacts"
                    ));
                }
            }
        }
        // The period's start as a timestamp: grouping by it is cheap, and ratio_rows writes it
        // as text once per group rather than once per row.
        GroupBy::Day => format!("date_trunc('day', {time_column})"),
        GroupBy::Week => format!("date_trunc('week', {time_column})"),
        GroupBy::Month => format!("date_trunc('month', {time_column})"),
        GroupBy::Total => "'total'".to_string(),
    };
    let key = match ask.grain {
        None => key,
        Some(grain) => {
            let grain = match grain {
                Grain::Day => "day",
                Grain::Week => "week",
                Grain::Month => "month",
            };
            format!("struct_pack(p := epoch_us(date_trunc('{grain}', {time_column})), g := {key})")
        }
    };
    let time_filter = format!("{time_column} >= ? AND {time_column} < ?");
    Ok(Grouping { key, from, time_filter, time_column, source: table_and_alias })
}

/// `WITH shifts`: the scheduled shifts starting in the range (`shift_id`, `agent_id`,
/// `starts_at`, `ends_at`, `grp` by `g`, a [`Source::Schedules`] grouping) with the first
/// login of each (`first_login`, null when the shift was missed): the earliest `agent_states`
/// interval of its agent starting from `early_minutes` before the shift's start to its end.
/// One ASOF join finds it — the first interval at or after that moment, kept when it starts
/// before the end — so a range of many periods costs no more per shift than one. Takes the
/// range's two time parameters.
pub fn first_logins(g: &Grouping, early_minutes: i64) -> String {
    format!(
        "WITH shifts AS (\
           SELECT sh.shift_id, sh.agent_id, sh.starts_at, sh.ends_at, {key} AS grp, \
           CASE WHEN st.started_at < sh.ends_at THEN st.started_at END AS first_login \
           FROM {from} ASOF LEFT JOIN agent_states st \
             ON st.agent_id = sh.agent_id AND st.started_at >= sh.starts_at - INTERVAL ({early_minutes}) MINUTE \
           WHERE {time})",
        key = g.key,
        from = g.from,
        time = g.time_filter
    )
}
