//! The points ledger as a run target: a game mechanic's awards and gaming flags, checked
//! (known agents, codes, amounts that fit their kind, texts of bounded size) and appended.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Ledger, RunError};
use crate::config::PluginLimits;
use crate::runtime::CallImports;
use crate::runtime::bindings::{AwardKind, AwardRequest, Param, PluginKind};
use crate::runtime::worlds::GameMechanicWorld;
use crate::runtime::{CallError, Plugin, Runtime};
use crate::store::TenantDb;
use crate::store::awards::{self as points, AwardEntry, AwardReport, FlagEntry};
use crate::store::runs::RunOf;

pub struct PointsLedger;

/// An award kind as the ledger stores it.
fn kind_text(kind: AwardKind) -> &'static str {
    match kind {
        AwardKind::Points => "points",
        AwardKind::Badge => "badge",
        AwardKind::Level => "level",
        AwardKind::ChallengeProgress => "challenge_progress",
    }
}

impl Ledger for PointsLedger {
    const KIND: PluginKind = PluginKind::GameMechanic;
    const UNIT: &'static str = "points";
    type Output = (Vec<AwardEntry>, Vec<FlagEntry>);
    type Report = AwardReport;

    fn compute(
        runtime: &Runtime,
        plugin: &Plugin,
        (db, limits): (Arc<TenantDb>, PluginLimits),
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        params: &[Param],
        agents: &HashSet<String>,
    ) -> Result<Self::Output, CallError> {
        let request = AwardRequest {
            period_start: from.timestamp_micros(),
            period_end: to.timestamp_micros(),
            params: params.to_vec(),
        };
        let result = runtime.call::<GameMechanicWorld>(plugin, db, CallImports::none(), limits, &request)?;
        let awards: Vec<AwardEntry> = result
            .awards
            .into_iter()
            .map(|a| AwardEntry {
                agent_id: a.agent_id,
                kind: kind_text(a.kind).to_string(),
                amount: a.amount,
                code: a.code,
                reason: a.reason,
            })
            .collect();
        let flags: Vec<FlagEntry> = result
            .flags
            .into_iter()
            .map(|f| FlagEntry { agent_id: f.agent_id, pattern: f.pattern, detail: f.detail })
            .collect();
        points::check_awards(&awards, &flags, |a| agents.contains(a)).map_err(|e| CallError::InvalidResult {
            plugin: plugin.info.name.clone(),
            version: plugin.info.version.clone(),
            detail: e.to_string(),
        })?;
        Ok((awards, flags))
    }

    fn per_agent((awards, _): &Self::Output) -> Vec<(String, i64)> {
        awards.iter().filter(|a| a.kind == "points").map(|a| (a.agent_id.clone(), a.amount)).collect()
    }

    fn record(db: &TenantDb, run: &RunOf, (awards, flags): &Self::Output) -> Result<AwardReport, RunError> {
        Ok(points::record_awards(db, run, awards, flags)?)
    }
}
