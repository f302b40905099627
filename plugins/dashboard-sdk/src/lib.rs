//! The cxhost dashboard SDK: WIT bindings of the dashboard world (a crate of its own, since a
//! component carries the worlds of every binding linked into it), parameter helpers shared
//! with the metric SDK, and builders for each panel kind's JSON.
//!
//! ```ignore
//! use cxhost_dashboard_sdk::prelude::*;
//! struct Mine;
//! impl dashboard::Guest for Mine {
//!     fn describe() -> PluginInfo { info("mine", "1.0.0", "CSAT at a glance", vec![]) }
//!     fn render(req: DashboardRequest) -> Result<Vec<Panel>, String> {
//!         let csat = metric("csat", &req, GroupBy::Total, &[])?;
//!         Ok(vec![panel::kpi("CSAT", csat.rows.first().and_then(|r| r.value), &csat.unit, "")])
//!     }
//! }
//! export_dashboard!(Mine);
//! ```

pub mod dashboard {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "dashboard",
        pub_export_macro: true,
        export_macro_name: "export_dashboard_world",
        default_bindings_module: "cxhost_dashboard_sdk::dashboard",
    });
}

pub mod panel;
#[path = "../../sdk/src/params.rs"]
mod params;

pub use dashboard::cxhost::plugin::analytics::{
    Coefficient, Correlation, CorrelationRequest, Level, MatrixCell, MatrixRequest, Period, Point, correlate,
    correlate_matrix,
};
pub use dashboard::cxhost::plugin::dashboard_types::{DashboardRequest, Panel, PanelKind};
pub use dashboard::cxhost::plugin::host::{LogLevel, log};
pub use dashboard::cxhost::plugin::metric_types::{GroupBy, MetricResult, MetricRow};
pub use dashboard::cxhost::plugin::types::{Param, ParamSpec, ParamType, ParamValue, PluginInfo, PluginKind};
pub use params::{ParamsExt, param_bool, param_float, param_int, param_text};

/// Everything a dashboard plugin usually needs.
pub mod prelude {
    pub use crate::{
        Coefficient, Correlation, CorrelationRequest, DashboardRequest, GroupBy, Level, MatrixRequest, MetricResult,
        Panel, ParamsExt, Period, PluginInfo, correlate, correlate_matrix, dashboard, export_dashboard, info, metric,
        panel, param_int, param_text,
    };
}

/// Exports `$t` (which implements [`dashboard::Guest`]) as this component's dashboard world.
#[macro_export]
macro_rules! export_dashboard {
    ($t:ident) => {
        $crate::dashboard::export_dashboard_world!($t with_types_in $crate::dashboard);
    };
}

/// Builds a dashboard's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: version.to_string(),
        kind: PluginKind::Dashboard,
        description: description.to_string(),
        params,
    }
}

/// Runs the tenant's metric `name` (or `name[param=value,…]`) over the request's range.
pub fn metric(name: &str, req: &DashboardRequest, group_by: GroupBy, params: &[Param]) -> Result<MetricResult, String> {
    dashboard::cxhost::plugin::analytics::metric(name, req.period_start, req.period_end, group_by, params)
        .map_err(|e| format!("metric `{name}`: {e}"))
}
