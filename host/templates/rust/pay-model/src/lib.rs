//! {{name}}: pay per handled contact — a pay-model plugin (the `pay-model` world of
//! wit/cxhost.wit). Money is in integer cents; the counting happens in SQL.

wit_bindgen::generate!({ path: "wit", world: "pay-model" });

mod common;

use cxhost::plugin::types::{ParamSpec, ParamType, ParamValue, PluginKind, SqlValue};

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: "0.1.0".to_string(),
            kind: PluginKind::PayModel,
            description: "Pays each agent `rate_cents` per contact handled in the period: one line \
                          `handled_contacts` per agent with a handled contact."
                .to_string(),
            params: vec![ParamSpec {
                name: "rate_cents".to_string(),
                type_: ParamType::Integer,
                default: ParamValue::Integer(50),
                description: "Pay per handled contact, in cents.".to_string(),
            }],
        }
    }

    fn compute_pay(request: PayRequest) -> Result<Vec<PayLine>, String> {
        let rate = common::integer_param(&request.params, "rate_cents")?;
        let sql = "SELECT agent_id, count(*) AS handled FROM interactions \
                   WHERE outcome = 'handled' AND agent_id IS NOT NULL AND offered_at >= ? AND offered_at < ? \
                   GROUP BY 1 ORDER BY 1";
        let range = [SqlValue::Timestamp(request.period_start), SqlValue::Timestamp(request.period_end)];
        let batch = common::query(sql, &range)?;
        let agents = common::texts(&batch, "agent_id")?;
        let handled = common::integers(&batch, "handled")?;
        Ok(agents
            .into_iter()
            .zip(handled)
            .map(|(agent_id, n)| PayLine {
                agent_id,
                component: "handled_contacts".to_string(),
                quantity: n as f64,
                rate_cents: rate,
                amount_cents: n * rate,
                note: String::new(),
            })
            .collect())
    }
}

export!(Plugin);
