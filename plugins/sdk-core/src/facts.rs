//! Facts about agents that several plugin kinds read the same way.

use std::collections::BTreeMap;

use crate::{SqlValue, query};

/// Codes of the certifications each agent completed in `[start, end)` (µs since the Unix epoch,
/// UTC), from the tenant's `certifications` table: agent id → codes in code order. Agents who
/// completed none are absent.
pub fn certifications(start: i64, end: i64) -> Result<BTreeMap<String, Vec<String>>, String> {
    let t = query(
        "SELECT agent_id, certification FROM certifications WHERE completed_at >= ? AND completed_at < ? ORDER BY 1, 2",
        &[SqlValue::Timestamp(start), SqlValue::Timestamp(end)],
    )?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (agent, code) in t.text("agent_id")?.into_iter().zip(t.text("certification")?) {
        if let (Some(agent), Some(code)) = (agent, code) {
            out.entry(agent).or_default().push(code);
        }
    }
    Ok(out)
}
