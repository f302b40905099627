//! Test plugin: a trivial metric that returns one constant row without touching data; it
//! measures the cost of a plugin call itself.

use cxhost_plugin_sdk::prelude::*;

struct Constant;

impl metric::Guest for Constant {
    fn describe() -> PluginInfo {
        info("constant", "0.0.1", "Returns 1 for the group `total`; used to measure call overhead.", vec![])
    }

    fn compute(_req: MetricRequest) -> Result<MetricResult, String> {
        Ok(MetricResult {
            unit: "count".to_string(),
            rows: vec![MetricRow { group: "total".to_string(), value: Some(1.0), numerator: None, denominator: None }],
        })
    }
}

export_metric_single!(Constant);
