//! The cxhost pay-model SDK: WIT bindings of the pay-model world (a crate of its own, since a
//! component carries the worlds of every binding linked into it) with the metric SDK's
//! parameter and column helpers, and integer-cent arithmetic that rounds half away from zero.

pub mod pay_model {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "pay-model",
        pub_export_macro: true,
        export_macro_name: "export_pay_model_world",
        default_bindings_module: "cxhost_pay_sdk::pay_model",
    });
}

#[path = "../../sdk/src/columns.rs"]
mod columns;
#[path = "../../sdk/src/facts.rs"]
mod facts;
#[path = "../../sdk/src/params.rs"]
mod params;

pub use columns::Table;
pub use facts::certifications;
pub use params::{ParamsExt, param_bool, param_float, param_int, param_text};
pub use pay_model::cxhost::plugin::host::{LogLevel, log};
pub use pay_model::cxhost::plugin::pay_types::{PayLine, PayRequest};
pub use pay_model::cxhost::plugin::types::{
    Batch, Column, ColumnValues, Param, ParamSpec, ParamType, ParamValue, PluginInfo, PluginKind, SqlValue,
};

/// Exports `$t` (which implements [`pay_model::Guest`]) as this component's pay-model world.
#[macro_export]
macro_rules! export_pay_model {
    ($t:ident) => {
        $crate::pay_model::export_pay_model_world!($t with_types_in $crate::pay_model);
    };
}

/// Builds a pay model's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: version.to_string(),
        kind: PluginKind::PayModel,
        description: description.to_string(),
        params,
    }
}

/// Runs one read-only SELECT over the tenant's tables.
pub fn query(sql: &str, params: &[SqlValue]) -> Result<Table, String> {
    pay_model::cxhost::plugin::host::query(sql, params).map(Table::new)
}

/// `numerator / denominator` rounded to the nearest integer, halves away from zero; exact for
/// every i64 input (computed in i128).
pub fn div_round(numerator: i128, denominator: i128) -> i64 {
    let (q, r) = (numerator / denominator, numerator % denominator);
    let away = 2 * r.abs() >= denominator.abs();
    let q = if away { q + numerator.signum() * denominator.signum() } else { q };
    q as i64
}
