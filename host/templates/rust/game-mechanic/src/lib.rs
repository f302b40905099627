//! {{name}}: points per handled contact — a game-mechanic plugin (the `game-mechanic` world of
//! wit/cxhost.wit). The host keeps the points ledger and the leaderboards.

wit_bindgen::generate!({ path: "wit", world: "game-mechanic" });

mod common;

use cxhost::plugin::game_types::{Award, AwardKind};
use cxhost::plugin::types::{ParamSpec, ParamType, ParamValue, PluginKind, SqlValue};

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: "0.1.0".to_string(),
            kind: PluginKind::GameMechanic,
            description: "Awards each agent `points_per_contact` points per contact handled in the period."
                .to_string(),
            params: vec![ParamSpec {
                name: "points_per_contact".to_string(),
                type_: ParamType::Integer,
                default: ParamValue::Integer(1),
                description: "Points per handled contact.".to_string(),
            }],
        }
    }

    fn award(request: AwardRequest) -> Result<AwardResult, String> {
        let per_contact = common::integer_param(&request.params, "points_per_contact")?;
        let sql = "SELECT agent_id, count(*) AS handled FROM interactions \
                   WHERE outcome = 'handled' AND agent_id IS NOT NULL AND offered_at >= ? AND offered_at < ? \
                   GROUP BY 1 ORDER BY 1";
        let range = [SqlValue::Timestamp(request.period_start), SqlValue::Timestamp(request.period_end)];
        let batch = common::query(sql, &range)?;
        let agents = common::texts(&batch, "agent_id")?;
        let handled = common::integers(&batch, "handled")?;
        let awards = agents
            .into_iter()
            .zip(handled)
            .map(|(agent_id, n)| Award {
                agent_id,
                kind: AwardKind::Points,
                amount: n * per_contact,
                code: String::new(),
                reason: format!("{n} handled contacts"),
            })
            .collect();
        Ok(AwardResult { awards, flags: vec![] })
    }
}

export!(Plugin);
