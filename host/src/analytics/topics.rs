//! Comment topics: a tenant's keyword taxonomy, and counts of customer comments
//! (`customer_feedback.comment`) next to counts of employee comments
//! (`employee_surveys.comment`) per topic, for the same groups and period. A comment the
//! tenant's enricher scored counts once for every topic the enricher found in it (in any
//! language); one not enriched (yet) counts once for every topic one of whose keywords it
//! contains as a whole word, in any case.
//! Employee counts of a group are withheld when fewer people than the tenant's minimum group
//! size answered the survey in the period.

use std::collections::BTreeMap;

use duckdb::{Connection, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Topic name → keywords.
pub type Taxonomy = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    #[error("topic `{0}`: names are 1–40 lowercase letters, digits or `_`")]
    BadTopic(String),
    #[error(
        "topic `{topic}`: keyword `{keyword}` may hold only letters, digits, spaces, `-` and `'` (1–60 characters)"
    )]
    BadKeyword { topic: String, keyword: String },
    #[error("topic `{0}` has no keywords")]
    NoKeywords(String),
    #[error("a taxonomy holds 1 to 200 topics, got {0}")]
    Size(usize),
    #[error("{0}")]
    Db(#[from] duckdb::Error),
}

/// Checks a taxonomy; keywords are kept lowercased and trimmed.
pub fn validate(taxonomy: Taxonomy) -> Result<Taxonomy, TopicError> {
    if taxonomy.is_empty() || taxonomy.len() > 200 {
        return Err(TopicError::Size(taxonomy.len()));
    }
    let mut clean = Taxonomy::new();
    for (topic, keywords) in taxonomy {
        let name_ok = !topic.is_empty()
            && topic.len() <= 40
            && topic.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(TopicError::BadTopic(topic));
        }
        if keywords.is_empty() {
            return Err(TopicError::NoKeywords(topic));
        }
        let mut words = Vec::new();
        for keyword in keywords {
            let word = keyword.trim().to_lowercase();
            let ok = !word.is_empty()
                && word.chars().count() <= 60
                && word.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '\'');
            if !ok {
                return Err(TopicError::BadKeyword { topic, keyword });
            }
            words.push(word);
        }
        clean.insert(topic, words);
    }
    Ok(clean)
}

/// Which people a row of counts belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopicLevel {
    Team,
    Site,
    Total,
}

impl TopicLevel {
    fn key(self) -> &'static str {
        match self {
            TopicLevel::Team => "a.team",
            TopicLevel::Site => "a.site",
            TopicLevel::Total => "'total'",
        }
    }
}

/// One group's topic counts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupTopics {
    pub group: String,
    /// Customer comments in the period, and per topic how many mention it.
    pub customer_comments: u64,
    pub customer: BTreeMap<String, u64>,
    /// People who answered the employee survey in the period.
    pub employee_respondents: u64,
    /// Employee comments per topic; `None` when withheld for privacy.
    pub employee_comments: Option<u64>,
    pub employee: Option<BTreeMap<String, u64>>,
}

/// Topic counts per group over `[from, to)` (timestamps in µs since the epoch, UTC).
pub fn side_by_side(
    conn: &Connection,
    taxonomy: &Taxonomy,
    level: TopicLevel,
    (from, to): (i64, i64),
    min_group: u32,
) -> Result<Vec<GroupTopics>, TopicError> {
    let patterns: Vec<String> = taxonomy
        .iter()
        .map(|(topic, words)| {
            let alternatives: Vec<String> = words.iter().map(|w| w.replace('\'', "''").replace('-', "\\-")).collect();
            format!("('{topic}', '\\b({})\\b')", alternatives.join("|"))
        })
        .collect();
    let topics_cte = format!("topics(topic, pattern) AS (VALUES {})", patterns.join(", "));
    let key = level.key();
    let from_ts = duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Microsecond, from);
    let to_ts = duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Microsecond, to);
    let mut groups: BTreeMap<String, GroupTopics> = BTreeMap::new();
    // Per source: comments per group, and mentions per (group, topic).
    for (source, id, time) in
        [("customer_feedback", "feedback_id", "responded_at"), ("employee_surveys", "response_id", "responded_at")]
    {
        let base = format!(
            "SELECT coalesce({key}, '(none)') AS grp, lower(c.comment) AS text, e.topics AS enriched FROM {source} c
             LEFT JOIN agents a ON a.agent_id = c.agent_id
             LEFT JOIN enrichments e ON e.source = '{source}' AND e.row_id = c.{id} AND e.state = 'done'
             WHERE c.comment IS NOT NULL AND trim(c.comment) <> '' AND c.{time} >= ? AND c.{time} < ?"
        );
        let mut stmt = conn.prepare(&format!("SELECT grp, count(*) FROM ({base}) GROUP BY 1"))?;
        let totals = stmt
            .query_map(params![from_ts, to_ts], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = conn.prepare(&format!(
            "WITH {topics_cte}, comments AS ({base})
             SELECT grp, topic, count(*) FROM comments, topics
             WHERE CASE WHEN enriched IS NOT NULL THEN list_contains(enriched, topic) ELSE regexp_matches(text, pattern) END
             GROUP BY 1, 2"
        ))?;
        let mentions = stmt
            .query_map(params![from_ts, to_ts], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u64>(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let customer = source == "customer_feedback";
        for (group, n) in totals {
            let g = entry(&mut groups, taxonomy, group);
            if customer {
                g.customer_comments = n;
            } else {
                g.employee_comments = Some(n);
            }
        }
        for (group, topic, n) in mentions {
            let g = entry(&mut groups, taxonomy, group);
            let counts = if customer { Some(&mut g.customer) } else { g.employee.as_mut() };
            if let Some(counts) = counts {
                counts.insert(topic, n);
            }
        }
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT coalesce({key}, '(none)'), count(DISTINCT s.agent_id) FROM employee_surveys s
         LEFT JOIN agents a ON a.agent_id = s.agent_id WHERE s.responded_at >= ? AND s.responded_at < ? GROUP BY 1"
    ))?;
    let respondents: BTreeMap<String, u64> = stmt
        .query_map(params![from_ts, to_ts], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut out: Vec<GroupTopics> = groups.into_values().collect();
    for g in &mut out {
        g.employee_respondents = respondents.get(&g.group).copied().unwrap_or(0);
        if g.employee_respondents < u64::from(min_group) {
            g.employee_comments = None;
            g.employee = None;
        }
    }
    Ok(out)
}

/// The counts of `group`, created zeroed on first use.
fn entry<'a>(groups: &'a mut BTreeMap<String, GroupTopics>, taxonomy: &Taxonomy, group: String) -> &'a mut GroupTopics {
    groups.entry(group.clone()).or_insert_with(|| GroupTopics {
        group,
        customer_comments: 0,
        customer: taxonomy.keys().map(|t| (t.clone(), 0)).collect(),
        employee_respondents: 0,
        employee_comments: Some(0),
        employee: Some(taxonomy.keys().map(|t| (t.clone(), 0)).collect()),
    })
}
