//! Test plugin: a candidate `standard_pay` that pays 10 cents more per handled contact than
//! `per_contact_cents`, for shadow runs of pay models.

use cxhost_pay_sdk::{
    ParamsExt, PayLine, PayRequest, PluginInfo, export_pay_model, info, param_int, pay_model, query, time_range,
};

struct FlatPay;

impl pay_model::Guest for FlatPay {
    fn describe() -> PluginInfo {
        info(
            "standard_pay",
            "2.0.0-flat",
            "Test candidate: (per_contact_cents + 10) per handled contact.",
            vec![param_int("per_contact_cents", 0, "pay per handled contact, in cents")],
        )
    }

    fn compute_pay(req: PayRequest) -> Result<Vec<PayLine>, String> {
        let rate = req.params.int("per_contact_cents")? + 10;
        let t = query(
            "SELECT agent_id, count(*) AS contacts FROM interactions WHERE outcome = 'handled' AND agent_id IS NOT NULL \
             AND offered_at >= ? AND offered_at < ? GROUP BY 1 ORDER BY 1",
            &time_range(&req),
        )?;
        Ok(t.text("agent_id")?
            .into_iter()
            .zip(t.int("contacts")?)
            .filter_map(|(agent, n)| {
                let (agent, n) = (agent?, n?);
                Some(PayLine {
                    agent_id: agent,
                    component: "per_contact".to_string(),
                    quantity: n as f64,
                    rate_cents: rate,
                    amount_cents: n * rate,
                    note: String::new(),
                })
            })
            .collect())
    }
}

export_pay_model!(FlatPay);
