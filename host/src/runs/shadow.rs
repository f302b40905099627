//! On-demand shadow runs: a candidate version and the serving one compute the same past
//! period, and the report lists how their outputs differ — per group for metrics, per agent
//! (statement totals, points) for pay models and game mechanics, reduced by each ledger's
//! `per_agent`, and the actions one proposes and the other does not for rules (judging the
//! periods finished at the period's end). Nothing is served or written.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::awards::PointsLedger;
use super::pay::PayLedger;
use super::{Ledger, RunError};
use crate::app::Services;
use crate::config::PluginLimits;
use crate::deploy::PlanError;
use crate::deploy::shadow::{ShadowReport, totals_per_agent};
use crate::params::plugin_params;
use crate::runtime::CallImports;
use crate::runtime::bindings::{GroupBy, MetricRequest, MetricResult, PluginKind};
use crate::runtime::worlds::MetricWorld;
use crate::runtime::{Plugin, kind_name};
use crate::store::TenantDb;

/// What a shadow run compares.
pub struct ShadowRun<'a> {
    pub tenant: &'a str,
    pub name: &'a str,
    /// The candidate's hash, or a unique prefix of it.
    pub candidate: &'a str,
    /// Parameters as texts; each version takes the ones it declares.
    pub params: HashMap<String, String>,
    /// The period compared; a rule judges the periods finished at its end.
    pub period: (DateTime<Utc>, DateTime<Utc>),
    /// How metrics are grouped (`agent`, `team`, …); ledgers compare per agent.
    pub group_by: (GroupBy, &'a str),
}

impl ShadowRun<'_> {
    /// Runs both versions and compares them. Blocking: it runs plugins.
    pub fn run(&self, state: &Arc<Services>, limits: PluginLimits) -> Result<ShadowReport, RunError> {
        let hash = state.registry.find_version(&state.system, self.tenant, self.name, self.candidate)?;
        let candidate = state.registry.version(self.tenant, &hash)?;
        let serving = state.deployments.serving(&state.registry, self.tenant, self.name).ok_or_else(|| {
            PlanError::NoSuchPlugin {
                tenant: self.tenant.to_string(),
                name: self.name.to_string(),
                kind: candidate.kind(),
            }
        })?;
        if candidate.kind() != serving.kind() {
            return Err(RunError::KindMismatch {
                candidate: self.candidate.to_string(),
                candidate_kind: kind_name(candidate.kind()),
                serving_kind: kind_name(serving.kind()),
            });
        }
        let mut report =
            ShadowReport::new((&candidate.hash, &candidate.info.version), (&serving.hash, &serving.info.version));
        if serving.kind() == PluginKind::Rule {
            let tenant = state.tenant(self.tenant).map_err(RunError::Access)?;
            let (served, compared) =
                super::rules::compare(state, &tenant, (&serving, &candidate), (self.period.1, &self.params), limits)?;
            match compared {
                Ok(candidate) => report.add_actions(&served, &candidate),
                Err(e) => report.add_candidate_error(e.to_string()),
            }
            return Ok(report);
        }
        let db = state.tenants.get(self.tenant)?;
        let served = self.comparable(state, &serving, (db.clone(), limits))?;
        let compared_by = if serving.kind() == PluginKind::Metric { self.group_by.1 } else { "agent" };
        match self.comparable(state, &candidate, (db, limits)) {
            Ok(result) => report.add(compared_by, &served, &result),
            Err(e) => report.add_candidate_error(e.to_string()),
        }
        Ok(report)
    }

    /// `plugin`'s output over the period as rows a shadow report compares.
    fn comparable(
        &self,
        state: &Services,
        plugin: &Plugin,
        (db, limits): (Arc<TenantDb>, PluginLimits),
    ) -> Result<MetricResult, RunError> {
        let (params, _) = plugin_params(&plugin.info, self.params.clone(), "(its own only)")?;
        let runtime = state.registry.runtime();
        let (from, to) = self.period;
        let per_agent = |unit, totals| Ok(totals_per_agent(unit, totals));
        match plugin.kind() {
            PluginKind::Metric => {
                let request = MetricRequest {
                    period_start: from.timestamp_micros(),
                    period_end: to.timestamp_micros(),
                    group_by: self.group_by.0,
                    params,
                };
                Ok(runtime.call::<MetricWorld>(plugin, db, CallImports::none(), limits, &request)?)
            }
            PluginKind::PayModel => {
                let agents = crate::store::overview::agent_ids(&db).map_err(RunError::Agents)?;
                let output = PayLedger::compute(runtime, plugin, (db, limits), self.period, &params, &agents)?;
                per_agent(PayLedger::UNIT, PayLedger::per_agent(&output))
            }
            PluginKind::GameMechanic => {
                let agents = crate::store::overview::agent_ids(&db).map_err(RunError::Agents)?;
                let output = PointsLedger::compute(runtime, plugin, (db, limits), self.period, &params, &agents)?;
                per_agent(PointsLedger::UNIT, PointsLedger::per_agent(&output))
            }
            other => Err(RunError::NotComparable(kind_name(other))),
        }
    }
}
