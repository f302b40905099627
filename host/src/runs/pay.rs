//! The pay ledger as a run target: a pay model's lines, checked (known agents, components,
//! finite quantities, totals that do not overflow) and recorded as statements.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Ledger, RunError};
use crate::config::PluginLimits;
use crate::runtime::CallImports;
use crate::runtime::bindings::{Param, PayRequest, PluginKind};
use crate::runtime::worlds::PayModelWorld;
use crate::runtime::{CallError, Plugin, Runtime};
use crate::store::TenantDb;
use crate::store::pay::{self, Line, RunReport};
use crate::store::runs::RunOf;

pub struct PayLedger;

impl Ledger for PayLedger {
    const KIND: PluginKind = PluginKind::PayModel;
    const UNIT: &'static str = "cents";
    /// Each agent's lines.
    type Output = BTreeMap<String, Vec<Line>>;
    type Report = RunReport;

    fn compute(
        runtime: &Runtime,
        plugin: &Plugin,
        (db, limits): (Arc<TenantDb>, PluginLimits),
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        params: &[Param],
        agents: &HashSet<String>,
    ) -> Result<Self::Output, CallError> {
        let request = PayRequest {
            period_start: from.timestamp_micros(),
            period_end: to.timestamp_micros(),
            params: params.to_vec(),
        };
        let lines: Vec<(String, Line)> = runtime
            .call::<PayModelWorld>(plugin, db, CallImports::none(), limits, &request)?
            .into_iter()
            .map(|l| {
                let line = Line {
                    component: l.component,
                    quantity: l.quantity,
                    rate_cents: l.rate_cents,
                    amount_cents: l.amount_cents,
                    note: l.note,
                };
                (l.agent_id, line)
            })
            .collect();
        pay::check_lines(&lines, |a| agents.contains(a)).map_err(|e| CallError::InvalidResult {
            plugin: plugin.info.name.clone(),
            version: plugin.info.version.clone(),
            detail: e.to_string(),
        })
    }

    fn per_agent(output: &Self::Output) -> Vec<(String, i64)> {
        output.iter().map(|(agent, lines)| (agent.clone(), lines.iter().map(|l| l.amount_cents).sum())).collect()
    }

    fn record(db: &TenantDb, run: &RunOf, output: &Self::Output) -> Result<RunReport, RunError> {
        Ok(pay::record_run(db, run, output)?)
    }
}
