//! Running a plugin call by its plan: the serving version under the tenant's limits, the
//! fallback version when the policy allows and the serving one fails, figures per version,
//! and the shadow candidate on the same request.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use utoipa::ToSchema;

use super::{CallPlan, Deployments, Outcome, ServedAs};
use crate::config::PluginLimits;
use crate::runtime::CallImports;
use crate::runtime::bindings::{MetricRequest, MetricResult};
use crate::runtime::worlds::MetricWorld;
use crate::runtime::{CallError, Plugin, Runtime};
use crate::store::TenantDb;

/// Why an answer came from the fallback version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FallbackNote {
    /// The version that failed.
    pub failed_hash: String,
    pub failed_version: String,
    /// Its error.
    pub reason: String,
}

/// What a call answered, which version answered and in which role.
pub struct Answer<T = MetricResult> {
    pub result: T,
    pub served_by: Arc<Plugin>,
    pub served_as: ServedAs,
    pub fallback: Option<FallbackNote>,
}

/// What one call needs besides its plan.
pub struct CallContext<'a> {
    pub runtime: &'a Runtime,
    pub deployments: &'a Deployments,
    pub tenant: &'a str,
    pub name: &'a str,
    pub db: Arc<TenantDb>,
    pub limits: PluginLimits,
}

impl CallContext<'_> {
    fn timed<T>(
        &self,
        plugin: &Plugin,
        call: &impl Fn(&Plugin) -> Result<T, CallError>,
    ) -> (Result<T, CallError>, f64) {
        let started = Instant::now();
        let result = call(plugin);
        (result, started.elapsed().as_secs_f64() * 1000.0)
    }

    fn record(&self, plugin: &Plugin, outcome: Outcome, ms: f64) {
        self.deployments.stats.record(self.tenant, self.name, &plugin.hash, &plugin.info.version, outcome, ms);
        let outcome_label = match outcome {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::FellBack => "fell_back",
        };
        crate::telemetry::plugin_call(self.tenant, self.name, &plugin.info.version, outcome_label, ms / 1000.0);
    }

    /// Runs a metric call by the plan.
    pub fn answer(&self, plan: &CallPlan, request: &MetricRequest) -> Result<Answer, CallError> {
        self.answer_with(plan, |plugin| {
            self.runtime.call::<MetricWorld>(plugin, self.db.clone(), CallImports::none(), self.limits, request)
        })
    }

    /// Runs the plan with `call`: the serving version, then the fallback if it failed and one
    /// is allowed; figures are recorded per version.
    pub fn answer_with<T>(
        &self,
        plan: &CallPlan,
        call: impl Fn(&Plugin) -> Result<T, CallError>,
    ) -> Result<Answer<T>, CallError> {
        let (result, ms) = self.timed(&plan.serve, &call);
        let error = match result {
            Ok(result) => {
                self.record(&plan.serve, Outcome::Ok, ms);
                return Ok(Answer { result, served_by: plan.serve.clone(), served_as: plan.served_as, fallback: None });
            }
            Err(error) => error,
        };
        let Some(fallback) = &plan.fallback else {
            self.record(&plan.serve, Outcome::Failed, ms);
            return Err(error);
        };
        self.record(&plan.serve, Outcome::FellBack, ms);
        tracing::warn!(tenant = self.tenant, plugin = self.name, %error, fallback = %fallback.info.version, "falling back");
        let (result, ms) = self.timed(fallback, &call);
        self.record(fallback, if result.is_ok() { Outcome::Ok } else { Outcome::Failed }, ms);
        Ok(Answer {
            result: result?,
            served_by: fallback.clone(),
            served_as: ServedAs::Fallback,
            fallback: Some(FallbackNote {
                failed_hash: plan.serve.hash.clone(),
                failed_version: plan.serve.info.version.clone(),
                reason: error.to_string(),
            }),
        })
    }

    /// Runs a shadow candidate with `call`, recording its figures; its result is compared,
    /// never served.
    pub fn candidate<T>(
        &self,
        candidate: &Plugin,
        call: impl Fn(&Plugin) -> Result<T, CallError>,
    ) -> Result<T, CallError> {
        let (result, ms) = self.timed(candidate, &call);
        self.record(candidate, if result.is_ok() { Outcome::Ok } else { Outcome::Failed }, ms);
        result
    }

    /// Runs the shadow candidate on the request the serving version answered and adds the
    /// comparison to the shadow report.
    pub fn shadow(&self, candidate: &Plugin, group_by: &str, request: &MetricRequest, served: &MetricResult) {
        let result = self.candidate(candidate, |plugin| {
            self.runtime.call::<MetricWorld>(plugin, self.db.clone(), CallImports::none(), self.limits, request)
        });
        self.deployments.shadows.update(self.tenant, self.name, &candidate.hash, |report| match &result {
            Ok(candidate_result) => report.add(group_by, served, candidate_result),
            Err(e) => report.add_candidate_error(e.to_string()),
        });
    }
}
