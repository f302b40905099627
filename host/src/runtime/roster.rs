//! The roster a router reads on the live path: one tenant's snapshot of its agents' recent
//! figures, indexed so that `roster.agents` answers by pool, skill, availability and order
//! without SQL (a few microseconds for any tenant size). Built by the routing service in the
//! background; immutable once built, shared by `Arc` with every call that reads it.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::bindings::{AgentFigures, AgentOrder, Pool, SnapshotInfo};

/// Most agents one `roster.agents` call returns.
pub const MAX_AGENTS_PER_ASK: u32 = 50;

const ORDERS: [AgentOrder; 4] = [AgentOrder::Quality, AgentOrder::Csat, AgentOrder::Fcr, AgentOrder::Aht];

/// Agent positions best first, one list per order.
type Ranked = [Vec<u32>; 4];

pub struct Roster {
    info: SnapshotInfo,
    agents: Vec<AgentFigures>,
    by_id: HashMap<String, u32>,
    /// Every agent, best first per order.
    everyone: Ranked,
    /// The agents holding each skill, best first per order.
    by_skill: HashMap<String, Ranked>,
}

impl Roster {
    /// Indexes `agents`, taken at `taken_at` (µs since the epoch) over `window_days`.
    pub fn new(taken_at: i64, window_days: u32, agents: Vec<AgentFigures>) -> Roster {
        let by_id = agents.iter().enumerate().map(|(i, a)| (a.agent_id.clone(), i as u32)).collect();
        let mut members: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, agent) in agents.iter().enumerate() {
            for skill in &agent.skills {
                members.entry(skill.clone()).or_default().push(i as u32);
            }
        }
        let everyone = rank(&agents, (0..agents.len() as u32).collect());
        let by_skill = members.into_iter().map(|(skill, ids)| (skill, rank(&agents, ids))).collect();
        let info = SnapshotInfo { taken_at, window_days, agents: agents.len() as u32 };
        Roster { info, agents, by_id, everyone, by_skill }
    }

    /// A roster with no agents, for a tenant whose first snapshot is still being built.
    pub fn empty() -> Roster {
        Roster::new(0, 0, Vec::new())
    }

    pub fn info(&self) -> SnapshotInfo {
        self.info
    }

    /// Agents with each figure: quality, CSAT, FCR, AHT.
    pub fn figure_counts(&self) -> [u32; 4] {
        ORDERS.map(|order| self.agents.iter().filter(|a| figure(a, order).is_some()).count() as u32)
    }

    pub fn agent(&self, agent_id: &str) -> Option<&AgentFigures> {
        self.by_id.get(agent_id).map(|&i| &self.agents[i as usize])
    }

    /// Agents of `pool` (none: both) holding `skill` (empty: any), only available ones if
    /// asked, best first by `order`, at most `limit` (capped at [`MAX_AGENTS_PER_ASK`]).
    pub fn agents(
        &self,
        pool: Option<Pool>,
        skill: &str,
        available_only: bool,
        order: AgentOrder,
        limit: u32,
    ) -> Vec<AgentFigures> {
        let ranked = if skill.is_empty() { Some(&self.everyone) } else { self.by_skill.get(skill) };
        let Some(ranked) = ranked else { return Vec::new() };
        let slot = ORDERS.iter().position(|o| *o == order).unwrap_or(0);
        ranked[slot]
            .iter()
            .map(|&i| &self.agents[i as usize])
            .filter(|a| pool.is_none_or(|p| a.pool == p))
            .filter(|a| !available_only || a.state == "available")
            .take(limit.min(MAX_AGENTS_PER_ASK) as usize)
            .cloned()
            .collect()
    }
}

/// `ids` sorted best first under each order; agents without the figure last, ties by id.
fn rank(agents: &[AgentFigures], ids: Vec<u32>) -> Ranked {
    ORDERS.map(|order| {
        let mut sorted = ids.clone();
        sorted.sort_by(|&a, &b| {
            let (a, b) = (&agents[a as usize], &agents[b as usize]);
            compare(figure(a, order), figure(b, order), order == AgentOrder::Aht)
                .then_with(|| a.agent_id.cmp(&b.agent_id))
        });
        sorted
    })
}

fn figure(agent: &AgentFigures, order: AgentOrder) -> Option<f64> {
    match order {
        AgentOrder::Quality => agent.quality,
        AgentOrder::Csat => agent.csat,
        AgentOrder::Fcr => agent.fcr,
        AgentOrder::Aht => agent.aht_seconds,
    }
    .filter(|v| v.is_finite())
}

fn compare(a: Option<f64>, b: Option<f64>, lower_is_better: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) if lower_is_better => a.total_cmp(&b),
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(
        id: &str,
        pool: Pool,
        skills: &[&str],
        state: &str,
        quality: Option<f64>,
        aht: Option<f64>,
    ) -> AgentFigures {
        AgentFigures {
            agent_id: id.into(),
            pool,
            team: "t".into(),
            skills: skills.iter().map(|s| s.to_string()).collect(),
            certifications: vec![],
            state: state.into(),
            quality,
            csat: None,
            fcr: None,
            aht_seconds: aht,
            contacts: 10,
        }
    }

    #[test]
    fn agents_come_best_first_within_pool_skill_and_state() {
        let roster = Roster::new(
            1,
            28,
            vec![
                agent("a1", Pool::InHouse, &["billing"], "available", Some(70.0), Some(300.0)),
                agent("a2", Pool::InHouse, &["billing", "sales"], "available", Some(90.0), Some(500.0)),
                agent("a3", Pool::Crowd, &["billing"], "available", Some(95.0), None),
                agent("a4", Pool::InHouse, &["billing"], "unavailable", Some(99.0), Some(200.0)),
                agent("a5", Pool::InHouse, &["billing"], "available", None, Some(100.0)),
            ],
        );
        let ids = |v: Vec<AgentFigures>| v.into_iter().map(|a| a.agent_id).collect::<Vec<_>>();
        assert_eq!(
            ids(roster.agents(Some(Pool::InHouse), "billing", true, AgentOrder::Quality, 10)),
            ["a2", "a1", "a5"]
        );
        assert_eq!(ids(roster.agents(None, "billing", false, AgentOrder::Quality, 2)), ["a4", "a3"]);
        assert_eq!(ids(roster.agents(None, "", false, AgentOrder::Aht, 3)), ["a5", "a4", "a1"]);
        assert_eq!(ids(roster.agents(None, "sales", false, AgentOrder::Quality, 10)), ["a2"]);
        assert!(roster.agents(None, "spanish", false, AgentOrder::Quality, 10).is_empty());
        assert_eq!(roster.agents(None, "", false, AgentOrder::Quality, 1000).len(), 5);
        assert_eq!(roster.agent("a3").map(|a| a.pool), Some(Pool::Crowd));
        assert_eq!(roster.info().agents, 5);
    }
}
