//! The cxhost game-mechanic SDK: WIT bindings of the game-mechanic world (a crate of its own,
//! since a component carries the worlds of every binding linked into it) on top of the shared
//! core (`cxhost-sdk-core`), which holds the SQL, column and parameter helpers.

/// Bindings of the game-mechanic world; `types` and `host` are the core's.
pub mod game_mechanic {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "game-mechanic",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
        },
        pub_export_macro: true,
        export_macro_name: "export_game_mechanic_world",
        default_bindings_module: "cxhost_game_sdk::game_mechanic",
    });
}

pub use cxhost_sdk_core::{
    Batch, Column, ColumnValues, LogLevel, Param, ParamSpec, ParamType, ParamValue, ParamsExt, PluginInfo, PluginKind,
    SqlValue, Table, TimeRange, certifications, log, param_bool, param_float, param_int, param_text, query, time_range,
};
pub use game_mechanic::cxhost::plugin::game_types::{Award, AwardKind, AwardRequest, AwardResult, Flag};

/// Exports `$t` (which implements [`game_mechanic::Guest`]) as this component's game-mechanic world.
#[macro_export]
macro_rules! export_game_mechanic {
    ($t:ident) => {
        $crate::game_mechanic::export_game_mechanic_world!($t with_types_in $crate::game_mechanic);
    };
}

/// Builds a game mechanic's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    cxhost_sdk_core::info(name, version, PluginKind::GameMechanic, description, params)
}

impl TimeRange for AwardRequest {
    fn period(&self) -> (i64, i64) {
        (self.period_start, self.period_end)
    }
}
