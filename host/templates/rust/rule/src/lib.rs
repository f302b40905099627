//! {{name}}: a coaching task for agents who handled few contacts — a rule plugin (the `rule`
//! world of wit/cxhost.wit). It judges the seven days before `judged-until`; the host keeps the
//! actions ledger (one live task per agent and cause, tasks closed when no longer proposed).

wit_bindgen::generate!({ path: "wit", world: "rule" });

mod common;

use cxhost::plugin::rule_types::{Action, ActionKind, EvidenceItem};
use cxhost::plugin::types::{ParamSpec, ParamType, ParamValue, PluginKind, SqlValue};

const WEEK_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: "0.1.0".to_string(),
            kind: PluginKind::Rule,
            description: "Opens a coaching task for every agent who handled fewer than `min_contacts` \
                          contacts in the seven days before the judged day."
                .to_string(),
            params: vec![ParamSpec {
                name: "min_contacts".to_string(),
                type_: ParamType::Integer,
                default: ParamValue::Integer(3),
                description: "Fewest handled contacts a week that opens no task.".to_string(),
            }],
        }
    }

    fn evaluate(request: RuleRequest) -> Result<RuleResult, String> {
        let min = common::integer_param(&request.params, "min_contacts")?;
        let (start, end) = (request.judged_until - WEEK_MICROS, request.judged_until);
        let sql = "SELECT a.agent_id, count(i.interaction_id) AS handled FROM agents a \
                   LEFT JOIN interactions i ON i.agent_id = a.agent_id AND i.outcome = 'handled' \
                   AND i.offered_at >= ? AND i.offered_at < ? \
                   GROUP BY 1 HAVING count(i.interaction_id) < ? ORDER BY 1";
        let batch = common::query(sql, &[SqlValue::Timestamp(start), SqlValue::Timestamp(end), SqlValue::Integer(min)])?;
        let agents = common::texts(&batch, "agent_id")?;
        let handled = common::integers(&batch, "handled")?;
        let actions = agents
            .into_iter()
            .zip(handled)
            .map(|(agent, n)| Action {
                kind: ActionKind::CoachingTask,
                title: format!("{agent} handled {n} contacts in a week"),
                agent_id: Some(agent),
                team: None,
                subject: "handled_contacts".to_string(),
                cause: format!("handled-below-{min}"),
                detail: format!("Fewer than {min} handled contacts in the seven days judged."),
                evidence: vec![EvidenceItem {
                    metric: "handled_contacts".to_string(),
                    period_start: start,
                    period_end: end,
                    value: Some(n as f64),
                    threshold: Some(min as f64),
                    sample: None,
                    breach: true,
                }],
                priority: 3,
                due_days: 7,
            })
            .collect();
        Ok(RuleResult { period_start: start, period_end: end, actions })
    }
}

export!(Plugin);
