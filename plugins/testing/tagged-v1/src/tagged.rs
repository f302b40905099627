// The body shared by the `tagged` test plugins: contacts per agent in the period, times
// `FACTOR`, so two versions differ in a known way on every agent.

use cxhost_plugin_sdk::prelude::*;

struct Tagged;

impl metric::Guest for Tagged {
    fn describe() -> PluginInfo {
        info(
            "tagged",
            VERSION,
            "Contacts offered per agent in the period times a factor fixed by the version; used to test deployments.",
            vec![],
        )
    }

    fn compute(req: MetricRequest) -> Result<MetricResult, String> {
        let table = query(
            "SELECT agent_id, count(*) AS n FROM interactions
             WHERE agent_id IS NOT NULL AND offered_at >= ? AND offered_at < ? GROUP BY 1 ORDER BY 1",
            &time_range(&req),
        )?;
        let agents = table.text("agent_id")?;
        let counts = table.int("n")?;
        let rows = agents
            .into_iter()
            .zip(counts)
            .map(|(agent, n)| MetricRow {
                group: agent.unwrap_or_default(),
                value: Some(n.unwrap_or(0) as f64 * FACTOR),
                numerator: None,
                denominator: None,
            })
            .collect();
        Ok(MetricResult { unit: "contacts".to_string(), rows })
    }
}

export_metric_single!(Tagged);
