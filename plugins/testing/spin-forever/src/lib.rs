//! Test plugin: a metric whose compute never returns (the host's deadline must stop it).

use cxhost_plugin_sdk::prelude::*;

struct SpinForever;

impl metric::Guest for SpinForever {
    fn describe() -> PluginInfo {
        info("spin_forever", "0.0.1", "Loops forever; used to test call deadlines.", vec![])
    }

    fn compute(_req: MetricRequest) -> Result<MetricResult, String> {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

export_metric_single!(SpinForever);
