//! What pay runs and award runs share: the request body, and resolving it to the tenant's
//! plugin of the right kind, its parameters, the period and the limits.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::metrics::{params_from_query, parse_range};
use super::{ApiError, Caller, Services};
use crate::auth::Action;
use crate::config::PluginLimits;
use crate::deploy::CallPlan;
use crate::runtime::bindings::{Param, PluginKind};
use crate::runtime::kind_name;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RunRequest {
    /// The plugin, e.g. `standard_pay` or `standard_game`.
    pub plugin: String,
    /// Start of the period (inclusive), RFC 3339 or YYYY-MM-DD.
    pub from: String,
    /// End (exclusive).
    pub to: String,
    /// The plugin's parameters; the others take their defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, Value>,
}

/// A run resolved and checked, ready to execute.
pub struct PeriodRun {
    pub tenant: crate::store::system::Tenant,
    pub plan: CallPlan,
    pub params: Vec<Param>,
    /// Every parameter the plugin runs with, as JSON.
    pub echoed: BTreeMap<String, Value>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub limits: PluginLimits,
}

/// Checks the caller may run plugins on the tenant and resolves `body` to a plugin of `kind`.
pub fn prepare(
    state: &Services,
    caller: &Caller,
    tenant_id: &str,
    body: &RunRequest,
    kind: PluginKind,
) -> Result<PeriodRun, ApiError> {
    let tenant = caller.require(state, Action::ManagePlugins, tenant_id)?;
    let name = &body.plugin;
    let plan = state
        .deployments
        .plan(&state.registry, tenant_id, name, &caller.0.actor())
        .filter(|plan| plan.serve.kind() == kind)
        .ok_or_else(|| {
            let code = match kind {
                PluginKind::PayModel => "pay_model_not_found",
                _ => "game_mechanic_not_found",
            };
            let what = kind_name(kind).replace('_', " ");
            ApiError::not_found(code, format!("tenant `{tenant_id}` has no {what} `{name}`")).with_field("plugin")
        })?;
    let (from, to) = parse_range(&body.from, &body.to)?;
    let given: HashMap<String, String> = body
        .params
        .iter()
        .map(|(k, v)| (k.clone(), if let Value::String(s) = v { s.clone() } else { v.to_string() }))
        .collect();
    let (params, echoed) = params_from_query(&plan.serve.info, given, "(none besides its own)")?;
    let limits = state.limits_of(&tenant);
    Ok(PeriodRun { tenant, plan, params, echoed, from, to, limits })
}
