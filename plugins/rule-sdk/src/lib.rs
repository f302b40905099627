//! The cxhost rule SDK: WIT bindings of the rule world (a crate of its own, since a component
//! carries the worlds of every binding linked into it) on top of the shared core
//! (`cxhost-sdk-core`), the host's analytics, the finished periods a run may judge, and the
//! pieces most conditions are made of — a metric per group and period, "X of the last Y
//! periods", a percentile within the team, and builders for tasks and alerts.
//!
//! ```ignore
//! use cxhost_rule_sdk::prelude::*;
//! struct FcrWatch;
//! impl rule::Guest for FcrWatch {
//!     fn describe() -> PluginInfo { info("fcr_watch", "1.0.0", "FCR under 0.70 in 3 of the last 4 weeks", vec![]) }
//!     fn evaluate(req: RuleRequest) -> Result<RuleResult, String> {
//!         let window = Window::last_finished(&req, Grain::Week, 4);
//!         let figures = Figures::of(&series("fcr", &window, GroupBy::Agent)?, &window);
//!         let below = Condition::Below(0.70);
//!         let actions = figures
//!             .iter()
//!             .filter_map(|(agent, cells)| {
//!                 let evidence = x_of_last_y(cells, &window, "fcr", below, 3, 10.0)?;
//!                 Some(task(agent, "fcr", "fcr-below-0.7", "FCR under 0.70 in 3 of 4 weeks", evidence))
//!             })
//!             .collect();
//!         Ok(window.result(actions))
//!     }
//! }
//! export_rule!(FcrWatch);
//! ```

/// Bindings of the rule world; `types` and `host` are the core's.
pub mod rule {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "rule",
        with: {
            "cxhost:plugin/types@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::types,
            "cxhost:plugin/host@0.1.0": cxhost_sdk_core::bindings::cxhost::plugin::host,
        },
        pub_export_macro: true,
        export_macro_name: "export_rule_world",
        default_bindings_module: "cxhost_rule_sdk::rule",
    });
}

mod conditions;
mod window;

pub use conditions::{Cell, Condition, Figures, percentile, x_of_last_y};
pub use cxhost_sdk_core::{
    Batch, Column, ColumnValues, LogLevel, Param, ParamSpec, ParamType, ParamValue, ParamsExt, PluginInfo, PluginKind,
    SqlValue, Table, certifications, log, param_bool, param_float, param_int, param_text, query,
};
pub use rule::cxhost::plugin::analytics::{self as analytics};
pub use rule::cxhost::plugin::metric_types::{
    Grain, GroupBy, MetricResult, MetricRow, SeriesRequest, SeriesResult, SeriesRow,
};
pub use rule::cxhost::plugin::rule_types::{Action, ActionKind, EvidenceItem, RuleRequest, RuleResult};
pub use window::Window;

/// Everything a rule plugin usually needs.
pub mod prelude {
    pub use crate::{
        Action, ActionKind, Cell, Condition, EvidenceItem, Figures, Grain, GroupBy, ParamsExt, PluginInfo, RuleRequest,
        RuleResult, SqlValue, Table, Window, agent_teams, alert, export_rule, info, metric, param_bool, param_float,
        param_int, param_text, percentile, query, rule, series, task, x_of_last_y,
    };
}

/// Exports `$t` (which implements [`rule::Guest`]) as this component's rule world.
#[macro_export]
macro_rules! export_rule {
    ($t:ident) => {
        $crate::rule::export_rule_world!($t with_types_in $crate::rule);
    };
}

/// Builds a rule's `describe()` answer.
pub fn info(name: &str, version: &str, description: &str, params: Vec<ParamSpec>) -> PluginInfo {
    cxhost_sdk_core::info(name, version, PluginKind::Rule, description, params)
}

/// The tenant's metric `name` (or `name[param=value,…]`) over the whole window, per group.
pub fn metric(name: &str, window: &Window, group_by: GroupBy) -> Result<MetricResult, String> {
    analytics::metric(name, window.start, window.end, group_by, &[]).map_err(|e| format!("metric `{name}`: {e}"))
}

/// The tenant's metric `name` for every period of the window, per group (agent, team, site,
/// queue, channel or total), in one host call.
pub fn series(name: &str, window: &Window, group_by: GroupBy) -> Result<SeriesResult, String> {
    let request = SeriesRequest {
        period_start: window.start,
        period_end: window.end,
        grain: window.grain,
        group_by,
        params: Vec::new(),
    };
    analytics::metric_series(name, &request).map_err(|e| format!("metric `{name}`: {e}"))
}

/// Every agent's team, from the tenant's `agents` table.
pub fn agent_teams() -> Result<std::collections::BTreeMap<String, String>, String> {
    let table = query("SELECT agent_id, team FROM agents ORDER BY agent_id", &[])?;
    Ok(table.text("agent_id")?.into_iter().zip(table.text("team")?).filter_map(|(a, t)| Some((a?, t?))).collect())
}

/// A coaching task for `agent` on `subject`, at priority 1 and due in 14 days (change the
/// fields for others); `detail` and the team are left empty (the host records the agent's team).
pub fn task(agent: &str, subject: &str, cause: &str, title: &str, evidence: Vec<EvidenceItem>) -> Action {
    Action {
        kind: ActionKind::CoachingTask,
        agent_id: Some(agent.to_string()),
        team: None,
        subject: subject.to_string(),
        cause: cause.to_string(),
        title: title.to_string(),
        detail: String::new(),
        evidence,
        priority: 1,
        due_days: 14,
    }
}

/// An alert about `team` (none: the whole tenant) on `subject`, at priority 1 and due in 7 days.
pub fn alert(team: Option<&str>, subject: &str, cause: &str, title: &str, evidence: Vec<EvidenceItem>) -> Action {
    Action {
        kind: ActionKind::Alert,
        agent_id: None,
        team: team.map(str::to_string),
        subject: subject.to_string(),
        cause: cause.to_string(),
        title: title.to_string(),
        detail: String::new(),
        evidence,
        priority: 1,
        due_days: 7,
    }
}
