//! The cxhost pay-model SDK: WIT bindings of the pay-model world (a crate of its own, since a
//! component carries the worlds of every binding linked into it) on top of the shared core
//! (`cxhost-sdk-core`), and integer-cent arithmetic that rounds half away from zero.

/// Bindings of the pay-model world; `types` and `host` are the core's.
pub mod pay_model {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "pay-model",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
        },
        pub_export_macro: true,
        export_macro_name: "export_pay_model_world",
        default_bindings_module: "cxhost_pay_sdk::pay_model",
    });
}

pub use cxhost_sdk_core::{
    Batch, Column, ColumnValues, LogLevel, Param, ParamSpec, ParamType, ParamValue, ParamsExt, PluginInfo, PluginKind,
    SqlValue, Table, TimeRange, certifications, log, param_bool, param_float, param_int, param_text, query, time_range,
};
pub use pay_model::cxhost::plugin::pay_types::{PayLine, PayRequest};

/// Exports `$t` (which implements [`pay_model::Guest`]) as this component's pay-model world.
#[macro_export]
macro_rules! export_pay_model {
    ($t:ident) => {
        $crate::pay_model::export_pay_model_world!($t with_types_in $crate::pay_model);
    };
}

/// Builds a pay model's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    cxhost_sdk_core::info(name, version, PluginKind::PayModel, description, params)
}

impl TimeRange for PayRequest {
    fn period(&self) -> (i64, i64) {
        (self.period_start, self.period_end)
    }
}

/// `numerator / denominator` rounded to the nearest integer, halves away from zero; exact for
/// every i64 input (computed in i128).
pub fn div_round(numerator: i128, denominator: i128) -> i64 {
    let (q, r) = (numerator / denominator, numerator % denominator);
    let away = 2 * r.abs() >= denominator.abs();
    let q = if away { q + numerator.signum() * denominator.signum() } else { q };
    q as i64
}
