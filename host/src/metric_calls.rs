//! Metric calls: resolve the version of a tenant's metric that serves a caller, read the
//! range, grouping and parameters against its `describe()`, run it by the plan (fallback,
//! per-version figures) and, afterwards, compare its shadow candidate on the same request.
//! The metric route, the pages and the plugins' own `analytics` import call metrics here.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::app::Services;
use crate::config::PluginLimits;
use crate::deploy::call::Answer;
use crate::deploy::{CallPlan, PlanError, ServedAs};
use crate::params::{self, ParamError};
use crate::privacy::{BelowFloor, MIN_RESPONSES, hold_to_floor};
use crate::runtime::CallError;
use crate::runtime::bindings::{MetricRequest, MetricResult, PluginKind};
use crate::store::TenantDb;
use crate::store::system::Tenant;

#[derive(Debug, thiserror::Error)]
pub enum MetricError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    BelowPrivacyFloor(#[from] BelowFloor),
}

/// A metric call, resolved and read, ready to run.
pub struct MetricCall {
    pub tenant: String,
    pub name: String,
    pub plan: CallPlan,
    pub request: MetricRequest,
    /// The grouping as asked (`total` when not given).
    pub group_by: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Every parameter the plugin runs with, given or default, as JSON.
    pub params: BTreeMap<String, Value>,
}

impl MetricCall {
    /// Resolves `name` for `tenant` and reads `query`: `from`, `to`, `group_by`, `subject` (who
    /// the canary share is decided for; `caller` when absent) and the plugin's parameters, held
    /// to the tenant's privacy floor.
    pub fn prepare(
        state: &Services,
        tenant: &Tenant,
        name: &str,
        caller: &str,
        query: HashMap<String, String>,
    ) -> Result<MetricCall, MetricError> {
        MetricCall::prepare_with(state, tenant, name, caller, query, "from, to, group_by")
    }

    /// [`prepare`](MetricCall::prepare) for a route that takes query parameters of its own
    /// besides the metric's (already taken out of `query`), which `accepted` names for errors.
    pub fn prepare_with(
        state: &Services,
        tenant: &Tenant,
        name: &str,
        caller: &str,
        mut query: HashMap<String, String>,
        accepted: &str,
    ) -> Result<MetricCall, MetricError> {
        let subject = query.remove("subject").unwrap_or_else(|| caller.to_string());
        let plan = state.deployments.plan_of_kind(&state.registry, (&tenant.id, name, &subject), PluginKind::Metric)?;
        let (from, to) = params::take_range(&mut query)?;
        let group_by = query.remove("group_by").unwrap_or_else(|| "total".to_string());
        let grouping = params::parse_group_by(&group_by)?;
        let asked_floor = query.contains_key(MIN_RESPONSES);
        let (mut plugin_params, mut echoed) = params::plugin_params(&plan.serve.info, query, accepted)?;
        hold_to_floor(&mut plugin_params, asked_floor, tenant.min_group_size)?;
        for param in &plugin_params {
            echoed.insert(param.name.clone(), params::value_json(&param.value));
        }
        let request = MetricRequest {
            period_start: from.timestamp_micros(),
            period_end: to.timestamp_micros(),
            group_by: grouping,
            params: plugin_params,
        };
        Ok(MetricCall {
            tenant: tenant.id.clone(),
            name: name.to_string(),
            plan,
            request,
            group_by,
            from,
            to,
            params: echoed,
        })
    }

    /// Runs the call by its plan under `limits`. Blocking: it runs the plugin.
    pub fn answer(&self, state: &Services, db: Arc<TenantDb>, limits: PluginLimits) -> Result<Answer, CallError> {
        state.call_context(&self.tenant, &self.name, db, limits).answer(&self.plan, &self.request)
    }

    /// Whether a shadow candidate should run beside `answer`: there is one, and the answer did
    /// not come from the fallback.
    pub fn wants_shadow(&self, answer: &Answer) -> bool {
        self.plan.shadow.is_some() && answer.served_as != ServedAs::Fallback
    }

    /// Runs the shadow candidate on the same request and adds the comparison with `served` to
    /// its report; its result is never served. Blocking.
    pub fn shadow(&self, state: &Services, db: Arc<TenantDb>, limits: PluginLimits, served: &MetricResult) {
        if let Some(candidate) = &self.plan.shadow {
            state.call_context(&self.tenant, &self.name, db, limits).shadow(
                candidate,
                &self.group_by,
                &self.request,
                served,
            );
        }
    }
}
