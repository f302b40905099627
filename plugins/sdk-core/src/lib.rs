//! The core every cxhost world SDK shares: bindings of the two interfaces every world imports
//! (`cxhost:plugin/types` and `cxhost:plugin/host`) and the helpers built on them — running
//! tenant SQL, reading its columns, declaring and reading parameters, a request's time range,
//! facts about agents and a plugin's `describe()` answer.
//!
//! The world SDKs (metric, dashboard, pay model, game mechanic) each generate their own world
//! and map these two interfaces onto [`bindings`] with wit-bindgen's `with:` option, so a
//! `PluginInfo` or `SqlValue` of any world SDK is this crate's type:
//!
//! ```ignore
//! wit_bindgen::generate!({
//!     path: "../../wit",
//!     world: "metric",
//!     with: {
//!         "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
//!         "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
//!     },
//!     ...
//! });
//! ```
//!
//! This crate exports nothing. A component carries the worlds of every binding linked into
//! it, and the world generated here only imports `host`, so linking it adds no exports to a
//! plugin and no imports beyond what every world grants (unused ones are dropped).

/// Bindings of `cxhost:plugin/types` and `cxhost:plugin/host`, generated from a world that
/// only imports `host`. The world is declared inline rather than in `wit/cxhost.wit`, which
/// keeps to the worlds a plugin can be.
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        inline: "
            package cxhost:sdk-core;

            world host-only {
                import cxhost:plugin/host@0.1.0;
            }
        ",
        with: {
            "cxhost:plugin/types@0.1.0": generate,
            "cxhost:plugin/host@0.1.0": generate,
        },
    });
}

mod columns;
mod facts;
mod params;

pub use bindings::cxhost::plugin::host::{LogLevel, log};
pub use bindings::cxhost::plugin::types::{
    Batch, Column, ColumnValues, Param, ParamSpec, ParamType, ParamValue, PluginInfo, PluginKind, SqlValue,
};
pub use columns::Table;
pub use facts::certifications;
pub use params::{ParamsExt, param_bool, param_float, param_int, param_text};

/// Builds a plugin's `describe()` answer; each world SDK's `info()` fills in its kind.
pub fn info(name: &str, version: &str, kind: PluginKind, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: version.to_string(),
        kind,
        description: description.to_string(),
        params,
    }
}

/// Runs one read-only SELECT over the tenant's tables.
pub fn query(sql: &str, params: &[SqlValue]) -> Result<Table, String> {
    bindings::cxhost::plugin::host::query(sql, params).map(Table::new)
}

/// A request over the half-open time range `[period_start, period_end)`, in microseconds since
/// the Unix epoch (UTC). Each world SDK implements it for its request type.
pub trait TimeRange {
    /// `(period_start, period_end)`.
    fn period(&self) -> (i64, i64);
}

/// The request's time range as the two `?` parameters `[from, to)`.
pub fn time_range(req: &impl TimeRange) -> [SqlValue; 2] {
    let (start, end) = req.period();
    [SqlValue::Timestamp(start), SqlValue::Timestamp(end)]
}
