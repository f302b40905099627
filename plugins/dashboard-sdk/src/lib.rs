//! The cxhost dashboard SDK: WIT bindings of the dashboard world (a crate of its own, since a
//! component carries the worlds of every binding linked into it) on top of the shared core
//! (`cxhost-sdk-core`), the host's analytics and builders for each panel kind's JSON.
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

/// Bindings of the dashboard world; `types` and `host` are the core's.
pub mod dashboard {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "dashboard",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
        },
        pub_export_macro: true,
        export_macro_name: "export_dashboard_world",
        default_bindings_module: "cxhost_dashboard_sdk::dashboard",
    });
}

pub mod panel;

pub use cxhost_sdk_core::{
    Batch, Column, ColumnValues, LogLevel, Param, ParamSpec, ParamType, ParamValue, ParamsExt, PluginInfo, PluginKind,
    SqlValue, Table, TimeRange, certifications, log, param_bool, param_float, param_int, param_text, query, time_range,
};
pub use dashboard::cxhost::plugin::analytics::{
    Coefficient, Correlation, CorrelationRequest, Level, MatrixCell, MatrixRequest, Period, Point, correlate,
    correlate_matrix,
};
pub use dashboard::cxhost::plugin::dashboard_types::{DashboardRequest, Panel, PanelKind};
pub use dashboard::cxhost::plugin::metric_types::{
    Grain, GroupBy, MetricResult, MetricRow, SeriesRequest, SeriesResult, SeriesRow,
};

/// Everything a dashboard plugin usually needs.
pub mod prelude {
    pub use crate::panel::MetricLinks;
    pub use crate::{
        Coefficient, Correlation, CorrelationRequest, DashboardRequest, GroupBy, Level, MatrixRequest, MetricResult,
        Panel, ParamsExt, Period, PluginInfo, SqlValue, Table, correlate, correlate_matrix, dashboard,
        export_dashboard, info, metric, panel, param_int, param_text, query, time_range,
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
    cxhost_sdk_core::info(name, version, PluginKind::Dashboard, description, params)
}

impl TimeRange for DashboardRequest {
    fn period(&self) -> (i64, i64) {
        (self.period_start, self.period_end)
    }
}

/// Runs the tenant's metric `name` (or `name[param=value,…]`) over the request's range.
pub fn metric(name: &str, req: &DashboardRequest, group_by: GroupBy, params: &[Param]) -> Result<MetricResult, String> {
    dashboard::cxhost::plugin::analytics::metric(name, req.period_start, req.period_end, group_by, params)
        .map_err(|e| format!("metric `{name}`: {e}"))
}
