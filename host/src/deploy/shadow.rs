//! Shadow runs: a candidate version computes beside the serving one, its output is never
//! served, and the differences are summed up per plugin — calls compared, groups that differ,
//! the largest differences and the agents most affected; for rules, the tasks and alerts the
//! candidate would open or close that the serving version does not; for routers, how often
//! and for which contacts the candidate would route differently.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::Serialize;
use utoipa::ToSchema;

use crate::runtime::bindings::MetricResult;

/// Largest differences kept in a report.
const LARGEST: usize = 20;

/// One group whose output differs between the serving version and the candidate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupDiff {
    pub group_by: String,
    pub group: String,
    pub active: Option<f64>,
    pub candidate: Option<f64>,
    /// |candidate − active|; a group missing on one side counts its whole value.
    pub abs_diff: f64,
}

/// How the candidate's outputs differ from the serving version's.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ShadowReport {
    pub candidate_hash: String,
    pub candidate_version: String,
    pub active_hash: String,
    pub active_version: String,
    pub started_at: String,
    pub calls_compared: u64,
    pub calls_differing: u64,
    /// Calls where the candidate failed while the serving version answered.
    pub candidate_errors: u64,
    pub last_candidate_error: Option<String>,
    pub groups_compared: u64,
    pub groups_differing: u64,
    /// The largest differences seen, largest first.
    pub largest: Vec<GroupDiff>,
    /// Agents whose rows differed (calls grouped by agent), most affected first.
    pub agents_most_affected: Vec<AgentImpact>,
    /// Rules: actions the serving version and the candidate proposed, over every run compared.
    pub actions_compared: u64,
    /// Rules: actions only one of them proposed.
    pub actions_differing: u64,
    /// Rules: the actions the candidate would open or close that the serving version does not
    /// (the first hundred, newest run first).
    pub action_differences: Vec<ActionDiff>,
    /// Routers: per field (`pool`, `skill`, `priority`, `agents`), the decisions where the
    /// candidate's differs from the serving version's.
    pub route_fields_differing: BTreeMap<String, u64>,
    /// Routers: where the candidate routes differently — per queue, reason and the two
    /// decisions' pools and skills, how many contacts (most first; the first hundred kinds).
    pub route_differences: Vec<RouteDiff>,
}

/// A kind of contact a router's candidate routes differently, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RouteDiff {
    pub queue: String,
    pub contact_reason: String,
    pub active_pool: String,
    pub candidate_pool: String,
    pub active_skill: String,
    pub candidate_skill: String,
    pub contacts: u64,
}

/// One routing decision as the shadow report compares it.
pub struct RouteSeen<'a> {
    pub pool: &'a str,
    pub skill: &'a str,
    pub priority: u8,
    pub agents: &'a [String],
}

/// What a rule's candidate would do differently with one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionChange {
    /// The candidate proposes it and the serving version does not: it would open.
    WouldOpen,
    /// The serving version proposes it and the candidate does not: a live one would close
    /// (resolved by itself) under the candidate, a new one would not open.
    WouldClose,
}

/// An action one version proposes and the other does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActionDiff {
    pub change: ActionChange,
    pub agent_id: Option<String>,
    pub team: Option<String>,
    pub subject: String,
    pub cause: String,
    pub title: String,
}

/// Most action differences a report keeps.
const MAX_ACTION_DIFFS: usize = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentImpact {
    pub agent: String,
    pub rows_differing: u64,
    pub total_abs_diff: f64,
}

/// Differences between two results, group by group (groups on one side only included).
pub fn compare(group_by: &str, active: &MetricResult, candidate: &MetricResult) -> (u64, Vec<GroupDiff>) {
    let mut groups: BTreeMap<&str, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for row in &active.rows {
        groups.entry(row.group.as_str()).or_default().0 = row.value;
    }
    for row in &candidate.rows {
        groups.entry(row.group.as_str()).or_default().1 = row.value;
    }
    let compared = groups.len() as u64;
    let diffs = groups
        .into_iter()
        .filter_map(|(group, (a, c))| {
            let abs_diff = match (a, c) {
                (Some(a), Some(c)) => (c - a).abs(),
                (Some(v), None) | (None, Some(v)) => v.abs(),
                (None, None) => 0.0,
            };
            let differs = a.is_some() != c.is_some() || abs_diff > 1e-9 * a.unwrap_or(0.0).abs().max(1.0);
            differs.then(|| GroupDiff {
                group_by: group_by.to_string(),
                group: group.to_string(),
                active: a,
                candidate: c,
                abs_diff,
            })
        })
        .collect();
    (compared, diffs)
}

impl ShadowReport {
    pub fn new(candidate: (&str, &str), active: (&str, &str)) -> Self {
        ShadowReport {
            candidate_hash: candidate.0.to_string(),
            candidate_version: candidate.1.to_string(),
            active_hash: active.0.to_string(),
            active_version: active.1.to_string(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ..ShadowReport::default()
        }
    }

    /// Adds one compared call.
    pub fn add(&mut self, group_by: &str, active: &MetricResult, candidate: &MetricResult) {
        let (compared, diffs) = compare(group_by, active, candidate);
        self.calls_compared += 1;
        self.groups_compared += compared;
        self.groups_differing += diffs.len() as u64;
        if diffs.is_empty() {
            return;
        }
        self.calls_differing += 1;
        if group_by == "agent" {
            let mut impact: HashMap<String, AgentImpact> =
                self.agents_most_affected.drain(..).map(|a| (a.agent.clone(), a)).collect();
            for d in &diffs {
                let entry = impact.entry(d.group.clone()).or_insert_with(|| AgentImpact {
                    agent: d.group.clone(),
                    rows_differing: 0,
                    total_abs_diff: 0.0,
                });
                entry.rows_differing += 1;
                entry.total_abs_diff += d.abs_diff;
            }
            self.agents_most_affected = impact.into_values().collect();
            self.agents_most_affected
                .sort_by(|a, b| b.total_abs_diff.total_cmp(&a.total_abs_diff).then_with(|| a.agent.cmp(&b.agent)));
            self.agents_most_affected.truncate(LARGEST);
        }
        self.largest.extend(diffs);
        self.largest.sort_by(|a, b| {
            b.abs_diff.total_cmp(&a.abs_diff).then_with(|| (&a.group_by, &a.group).cmp(&(&b.group_by, &b.group)))
        });
        self.largest.dedup_by(|a, b| a.group_by == b.group_by && a.group == b.group && a.abs_diff == b.abs_diff);
        self.largest.truncate(LARGEST);
    }

    /// Adds one compared rule run: the actions each version proposed, keyed by agent (or team)
    /// and cause.
    pub fn add_actions(&mut self, served: &[ActionDiff], candidate: &[ActionDiff]) {
        let key = |a: &ActionDiff| {
            (a.agent_id.clone(), if a.agent_id.is_some() { None } else { a.team.clone() }, a.cause.clone())
        };
        let served_keys: std::collections::HashSet<_> = served.iter().map(key).collect();
        let candidate_keys: std::collections::HashSet<_> = candidate.iter().map(key).collect();
        let mut diffs: Vec<ActionDiff> = candidate
            .iter()
            .filter(|a| !served_keys.contains(&key(a)))
            .map(|a| ActionDiff { change: ActionChange::WouldOpen, ..a.clone() })
            .chain(
                served
                    .iter()
                    .filter(|a| !candidate_keys.contains(&key(a)))
                    .map(|a| ActionDiff { change: ActionChange::WouldClose, ..a.clone() }),
            )
            .collect();
        self.calls_compared += 1;
        self.actions_compared += (served_keys.len() + candidate_keys.len()) as u64;
        self.actions_differing += diffs.len() as u64;
        if !diffs.is_empty() {
            self.calls_differing += 1;
        }
        diffs.truncate(MAX_ACTION_DIFFS);
        diffs.append(&mut self.action_differences);
        diffs.truncate(MAX_ACTION_DIFFS);
        self.action_differences = diffs;
    }

    /// Adds one compared routing decision of a contact on `queue` for `reason`.
    pub fn add_route(&mut self, (queue, reason): (&str, &str), active: RouteSeen, candidate: RouteSeen) {
        self.calls_compared += 1;
        let fields = [
            ("pool", active.pool != candidate.pool),
            ("skill", active.skill != candidate.skill),
            ("priority", active.priority != candidate.priority),
            ("agents", active.agents != candidate.agents),
        ];
        if !fields.iter().any(|(_, differs)| *differs) {
            return;
        }
        self.calls_differing += 1;
        for (field, differs) in fields {
            if differs {
                *self.route_fields_differing.entry(field.to_string()).or_default() += 1;
            }
        }
        let seen = RouteDiff {
            queue: queue.to_string(),
            contact_reason: reason.to_string(),
            active_pool: active.pool.to_string(),
            candidate_pool: candidate.pool.to_string(),
            active_skill: active.skill.to_string(),
            candidate_skill: candidate.skill.to_string(),
            contacts: 1,
        };
        let same_kind = |d: &RouteDiff| RouteDiff { contacts: 1, ..d.clone() } == seen;
        if let Some(kind) = self.route_differences.iter_mut().find(|d| same_kind(d)) {
            kind.contacts += 1;
        } else if self.route_differences.len() < MAX_ACTION_DIFFS {
            self.route_differences.push(seen);
        }
        self.route_differences.sort_by_key(|d| std::cmp::Reverse(d.contacts));
    }

    pub fn add_candidate_error(&mut self, error: String) {
        self.calls_compared += 1;
        self.candidate_errors += 1;
        self.last_candidate_error = Some(error);
    }
}

/// The running shadow report of each (tenant, plugin).
#[derive(Default)]
pub struct ShadowBoard {
    reports: Mutex<HashMap<(String, String), ShadowReport>>,
}

impl ShadowBoard {
    /// Starts a fresh report (replacing any earlier one).
    pub fn start(&self, tenant: &str, name: &str, report: ShadowReport) {
        self.reports.lock().unwrap_or_else(|e| e.into_inner()).insert((tenant.to_string(), name.to_string()), report);
    }

    pub fn update(&self, tenant: &str, name: &str, candidate_hash: &str, f: impl FnOnce(&mut ShadowReport)) {
        let mut reports = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(report) = reports.get_mut(&(tenant.to_string(), name.to_string()))
            && report.candidate_hash == candidate_hash
        {
            f(report);
        }
    }

    pub fn report(&self, tenant: &str, name: &str) -> Option<ShadowReport> {
        self.reports.lock().unwrap_or_else(|e| e.into_inner()).get(&(tenant.to_string(), name.to_string())).cloned()
    }
}

/// Per-agent totals of `amounts` (pay cents, points) as rows a shadow report compares.
pub fn totals_per_agent(unit: &str, amounts: impl IntoIterator<Item = (String, i64)>) -> MetricResult {
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for (agent, amount) in amounts {
        *totals.entry(agent).or_default() += amount as f64;
    }
    let rows = totals
        .into_iter()
        .map(|(group, v)| crate::runtime::bindings::MetricRow {
            group,
            value: Some(v),
            numerator: Some(v),
            denominator: Some(1.0),
        })
        .collect();
    MetricResult { unit: unit.to_string(), rows }
}
