//! Test plugin `tagged` 3.0.0-broken: a release of `tagged` that crashes on every call, to
//! test failure policies and fallback.

use cxhost_plugin_sdk::prelude::*;

struct Broken;

impl metric::Guest for Broken {
    fn describe() -> PluginInfo {
        info("tagged", "3.0.0-broken", "A `tagged` release that traps on every call.", vec![])
    }

    fn compute(_req: MetricRequest) -> Result<MetricResult, String> {
        std::process::abort()
    }
}

export_metric_single!(Broken);
