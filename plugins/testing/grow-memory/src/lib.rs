//! Test plugin: a metric that allocates without end (the host's memory cap must stop it).

use cxhost_plugin_sdk::prelude::*;

struct GrowMemory;

impl metric::Guest for GrowMemory {
    fn describe() -> PluginInfo {
        info("grow_memory", "0.0.1", "Allocates 1 MiB blocks forever; used to test memory caps.", vec![])
    }

    fn compute(_req: MetricRequest) -> Result<MetricResult, String> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
        }
    }
}

export_metric_single!(GrowMemory);
