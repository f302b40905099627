//! The cxhost game-mechanic SDK: WIT bindings of the game-mechanic world (a crate of its own,
//! since a component carries the worlds of every binding linked into it) with the metric SDK's
//! parameter and column helpers.

pub mod game_mechanic {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "game-mechanic",
        pub_export_macro: true,
        export_macro_name: "export_game_mechanic_world",
        default_bindings_module: "cxhost_game_sdk::game_mechanic",
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
pub use game_mechanic::cxhost::plugin::game_types::{Award, AwardKind, AwardRequest, AwardResult, Flag};
pub use game_mechanic::cxhost::plugin::host::{LogLevel, log};
pub use game_mechanic::cxhost::plugin::types::{
    Batch, Column, ColumnValues, Param, ParamSpec, ParamType, ParamValue, PluginInfo, PluginKind, SqlValue,
};
pub use params::{ParamsExt, param_bool, param_float, param_int, param_text};

/// Exports `$t` (which implements [`game_mechanic::Guest`]) as this component's game-mechanic world.
#[macro_export]
macro_rules! export_game_mechanic {
    ($t:ident) => {
        $crate::game_mechanic::export_game_mechanic_world!($t with_types_in $crate::game_mechanic);
    };
}

/// Builds a game mechanic's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: version.to_string(),
        kind: PluginKind::GameMechanic,
        description: description.to_string(),
        params,
    }
}

/// Runs one read-only SELECT over the tenant's tables.
pub fn query(sql: &str, params: &[SqlValue]) -> Result<Table, String> {
    game_mechanic::cxhost::plugin::host::query(sql, params).map(Table::new)
}
