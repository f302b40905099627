//! Period runs of the plugins that keep books: a pay model or a game mechanic computes a period
//! in one of the tenant's places, its output is checked against the tenant's agents and
//! recorded in its ledger, and a shadow candidate, if any, is compared per agent. One generic
//! run serves every [`Ledger`]; each ledger says only how to call its world, check and total
//! its output, and record it. Rule runs (`rules`, with their scheduler in `schedule`) keep the
//! actions ledger, whose reconciling is not a period's books.

pub mod awards;
pub mod pay;
pub mod rules;
pub mod schedule;
pub mod shadow;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::app::Services;
use crate::config::PluginLimits;
use crate::deploy::shadow::totals_per_agent;
use crate::deploy::{CallPlan, PlanError, ServedAs};
use crate::params::{self, ParamError};
use crate::runtime::bindings::{Param, PluginKind};
use crate::runtime::{CallError, Plugin, Runtime};
use crate::store::runs::RunOf;
use crate::store::system::Tenant;
use crate::store::tenant::TenantDbError;
use crate::store::{TenantDb, awards::AwardsError, pay::PayError};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Database(#[from] TenantDbError),
    #[error("cannot read the tenant's agents: {0}")]
    Agents(#[source] duckdb::Error),
    #[error(transparent)]
    PayLedger(#[from] PayError),
    #[error(transparent)]
    PointsLedger(#[from] AwardsError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error("version {candidate} is a {candidate_kind} plugin, the serving one a {serving_kind}")]
    KindMismatch { candidate: String, candidate_kind: &'static str, serving_kind: &'static str },
    #[error("shadow runs compare metrics, pay models, game mechanics and rules, not {0} plugins")]
    NotComparable(&'static str),
    #[error(transparent)]
    Rule(#[from] rules::RuleError),
    #[error(transparent)]
    Access(crate::auth::AccessError),
}

/// A ledger that period runs of one plugin kind write to.
pub trait Ledger {
    /// The plugin kind that computes it.
    const KIND: PluginKind;
    /// What per-agent totals count, in shadow reports.
    const UNIT: &'static str;
    /// The plugin's output, checked.
    type Output;
    /// What recording an output did.
    type Report;

    /// Runs `plugin` for `[from, to)` with `params` and checks its output against the tenant's
    /// `agents`. Blocking.
    fn compute(
        runtime: &Runtime,
        plugin: &Plugin,
        tenant: (Arc<TenantDb>, PluginLimits),
        period: (DateTime<Utc>, DateTime<Utc>),
        params: &[Param],
        agents: &HashSet<String>,
    ) -> Result<Self::Output, CallError>;

    /// Each agent's total of an output, for comparing two versions.
    fn per_agent(output: &Self::Output) -> Vec<(String, i64)>;

    /// Records an output of the version and period `run` names.
    fn record(db: &TenantDb, run: &RunOf, output: &Self::Output) -> Result<Self::Report, RunError>;
}

/// A run resolved and read, ready to execute.
pub struct PeriodRun {
    pub plan: CallPlan,
    pub params: Vec<Param>,
    /// Every parameter the plugin runs with, as JSON.
    pub echoed: BTreeMap<String, Value>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub limits: PluginLimits,
}

/// What a run did: the version that served it, in which role, and the ledger's report.
pub struct Executed<R> {
    pub served_by: Arc<Plugin>,
    pub served_as: ServedAs,
    pub report: R,
}

impl PeriodRun {
    /// Resolves `plugin` (of the ledger's kind) for `tenant` and reads the period and the
    /// plugin's parameters (given as JSON, the rest default).
    pub fn prepare<L: Ledger>(
        state: &Services,
        tenant: &Tenant,
        (plugin, subject): (&str, &str),
        (from, to): (&str, &str),
        params: &serde_json::Map<String, Value>,
    ) -> Result<PeriodRun, RunError> {
        let plan = state.deployments.plan_of_kind(&state.registry, (&tenant.id, plugin, subject), L::KIND)?;
        let (from, to) = params::parse_range(from, to)?;
        let given: HashMap<String, String> = params::texts_of(params);
        let (params, echoed) = params::plugin_params(&plan.serve.info, given, "(none besides its own)")?;
        Ok(PeriodRun { plan, params, echoed, from, to, limits: state.limits_of(tenant) })
    }

    /// Runs the plugin by the plan, records its checked output in the ledger, and compares the
    /// shadow candidate's per-agent totals. Blocking: it runs plugins.
    pub fn execute<L: Ledger>(&self, state: &Services, tenant: &str) -> Result<Executed<L::Report>, RunError> {
        let db = state.tenants.get(tenant)?;
        let agents = crate::store::overview::agent_ids(&db).map_err(RunError::Agents)?;
        let runtime = state.registry.runtime();
        let period = (self.from, self.to);
        let compute =
            |plugin: &Plugin| L::compute(runtime, plugin, (db.clone(), self.limits), period, &self.params, &agents);
        let context = state.call_context(tenant, &self.plan.serve.info.name, db.clone(), self.limits);
        let answer = context.answer_with(&self.plan, compute)?;
        let served = &answer.served_by;
        let run = RunOf {
            plugin: &served.info.name,
            hash: &served.hash,
            version: &served.info.version,
            period_start: self.from,
            period_end: self.to,
        };
        let report = L::record(&db, &run, &answer.result)?;
        if let Some(candidate) = self.plan.shadow.as_ref().filter(|_| answer.served_as != ServedAs::Fallback) {
            // The candidate computes the same period; its totals are compared, never kept.
            let served = totals_per_agent(L::UNIT, L::per_agent(&answer.result));
            let compared =
                context.candidate(candidate, compute).map(|output| totals_per_agent(L::UNIT, L::per_agent(&output)));
            state.deployments.shadows.update(tenant, &candidate.info.name, &candidate.hash, |shadow| match compared {
                Ok(totals) => shadow.add("agent", &served, &totals),
                Err(e) => shadow.add_candidate_error(e.to_string()),
            });
        }
        Ok(Executed { served_by: answer.served_by.clone(), served_as: answer.served_as, report })
    }
}
