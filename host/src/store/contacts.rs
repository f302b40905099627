//! One contact as a drill-down ends on it: its own columns, the feedback about it, and the
//! customer's other contacts on the same reason (what a repeat-contact figure judges it by).

use duckdb::params;
use serde::Serialize;
use utoipa::ToSchema;

use super::TenantDb;

/// The most same-reason contacts one answer lists.
pub const MAX_SAME_REASON: u32 = 200;

/// A contact's columns as the drill-down shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactRow {
    pub interaction_id: String,
    pub customer_id: String,
    pub agent_id: Option<String>,
    pub channel: String,
    pub queue: String,
    pub contact_reason: Option<String>,
    /// RFC 3339, UTC.
    pub offered_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    pub outcome: String,
    pub talk_seconds: i32,
    pub hold_seconds: i32,
    pub wrap_seconds: i32,
    pub transferred: bool,
    pub sentiment: Option<f64>,
}

/// Feedback a customer gave about a contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackRow {
    pub feedback_id: String,
    pub responded_at: String,
    pub csat: Option<i64>,
    pub nps: Option<i64>,
    pub ces: Option<i64>,
    pub comment: Option<String>,
}

/// A contact with what surrounds it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    pub contact: ContactRow,
    pub feedback: Vec<FeedbackRow>,
    /// The customer's other contacts on the same reason (an empty reason matches only an empty
    /// reason), oldest first, at most [`MAX_SAME_REASON`].
    pub same_reason: Vec<ContactRow>,
    /// Whether there were more than listed.
    pub same_reason_truncated: bool,
}

const CONTACT_COLUMNS: &str = "interaction_id, customer_id, agent_id, channel, queue, contact_reason, \
     strftime(offered_at, '%Y-%m-%dT%H:%M:%SZ'), strftime(answered_at, '%Y-%m-%dT%H:%M:%SZ'), \
     strftime(ended_at, '%Y-%m-%dT%H:%M:%SZ'), outcome, coalesce(talk_seconds, 0), coalesce(hold_seconds, 0), \
     coalesce(wrap_seconds, 0), coalesce(transferred, false), sentiment";

fn contact_row(r: &duckdb::Row<'_>) -> Result<ContactRow, duckdb::Error> {
    Ok(ContactRow {
        interaction_id: r.get(0)?,
        customer_id: r.get(1)?,
        agent_id: r.get(2)?,
        channel: r.get(3)?,
        queue: r.get(4)?,
        contact_reason: r.get(5)?,
        offered_at: r.get(6)?,
        answered_at: r.get(7)?,
        ended_at: r.get(8)?,
        outcome: r.get(9)?,
        talk_seconds: r.get(10)?,
        hold_seconds: r.get(11)?,
        wrap_seconds: r.get(12)?,
        transferred: r.get(13)?,
        sentiment: r.get(14)?,
    })
}

/// The contact `interaction_id` with its feedback and the customer's other contacts on the same
/// reason; none when there is no such contact.
pub fn contact(db: &TenantDb, interaction_id: &str) -> Result<Option<ContactView>, duckdb::Error> {
    let conn = db.connection()?;
    let mut stmt = conn.prepare(&format!("SELECT {CONTACT_COLUMNS} FROM interactions WHERE interaction_id = ?"))?;
    let Some(contact) = stmt.query_map(params![interaction_id], contact_row)?.next().transpose()? else {
        return Ok(None);
    };
    let mut stmt = conn.prepare(
        "SELECT feedback_id, strftime(responded_at, '%Y-%m-%dT%H:%M:%SZ'), csat, nps, ces, comment \
         FROM customer_feedback WHERE interaction_id = ? ORDER BY responded_at, feedback_id",
    )?;
    let feedback = stmt
        .query_map(params![interaction_id], |r| {
            Ok(FeedbackRow {
                feedback_id: r.get(0)?,
                responded_at: r.get(1)?,
                csat: r.get(2)?,
                nps: r.get(3)?,
                ces: r.get(4)?,
                comment: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {CONTACT_COLUMNS} FROM interactions \
         WHERE customer_id = ? AND coalesce(contact_reason, '') = coalesce(?, '') AND interaction_id <> ? \
         ORDER BY offered_at, interaction_id LIMIT ?"
    ))?;
    let mut same_reason = stmt
        .query_map(
            params![contact.customer_id, contact.contact_reason, interaction_id, i64::from(MAX_SAME_REASON) + 1],
            contact_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let same_reason_truncated = same_reason.len() > MAX_SAME_REASON as usize;
    same_reason.truncate(MAX_SAME_REASON as usize);
    Ok(Some(ContactView { contact, feedback, same_reason, same_reason_truncated }))
}
