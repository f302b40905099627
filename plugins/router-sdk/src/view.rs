//! The roster as a router reads it: a trait over the host's `roster` import, so that the same
//! decision runs inside the component ([`LiveRoster`]) and in a native unit test
//! ([`MemoryRoster`], which answers as the host's snapshot does).

use std::cmp::Ordering;

use crate::{AgentFigures, AgentOrder, MAX_AGENTS, MAX_ASK, Pool, SnapshotInfo, roster};

/// The agents' recent figures as a router reads them.
pub trait Roster {
    /// Agents of `pool` (none: both) that hold `skill` (empty: any), only available ones if
    /// asked, best first by `order` (agents without the figure last, ties by id), at most
    /// `limit` (at most 50).
    fn agents(
        &self,
        pool: Option<Pool>,
        skill: &str,
        available_only: bool,
        order: AgentOrder,
        limit: u32,
    ) -> Vec<AgentFigures>;

    /// One agent's figures.
    fn agent(&self, agent_id: &str) -> Option<AgentFigures>;

    /// Whether any agent of `pool` (none: either) holds `skill`, available or not; an empty
    /// skill is held by nobody.
    fn holds(&self, pool: Option<Pool>, skill: &str) -> bool {
        !skill.is_empty() && !self.agents(pool, skill, false, AgentOrder::Quality, 1).is_empty()
    }

    /// The ids of the best `n` agents of `pool` holding `skill` (empty: any), best first by
    /// `order`, only available ones if asked; `n` is capped at ten, as a route takes.
    fn preferred(&self, pool: Pool, skill: &str, available_only: bool, order: AgentOrder, n: usize) -> Vec<String> {
        if n == 0 {
            return Vec::new();
        }
        let limit = n.min(MAX_AGENTS) as u32;
        self.agents(Some(pool), skill, available_only, order, limit).into_iter().map(|a| a.agent_id).collect()
    }
}

/// The host's snapshot of the tenant's agents, through the `roster` import (inside the
/// component only: natively the import is not there).
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveRoster;

impl LiveRoster {
    /// When the snapshot was taken, its window and how many agents it holds.
    pub fn info(&self) -> SnapshotInfo {
        roster::info()
    }
}

impl Roster for LiveRoster {
    fn agents(
        &self,
        pool: Option<Pool>,
        skill: &str,
        available_only: bool,
        order: AgentOrder,
        limit: u32,
    ) -> Vec<AgentFigures> {
        roster::agents(pool, skill, available_only, order, limit)
    }

    fn agent(&self, agent_id: &str) -> Option<AgentFigures> {
        roster::agent(agent_id)
    }
}

/// A roster held in memory that answers as the host's snapshot does; for native tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryRoster {
    /// Every agent of the roster, in any order.
    pub agents: Vec<AgentFigures>,
}

impl MemoryRoster {
    /// A roster of `agents`; build them with [`agent_figures`].
    ///
    /// ```ignore
    /// let roster = MemoryRoster::new(vec![
    ///     AgentFigures { quality: Some(90.0), ..agent_figures("a1", Pool::InHouse, &["billing"]) },
    ///     agent_figures("a2", Pool::Crowd, &["billing"]),
    /// ]);
    /// assert_eq!(roster.preferred(Pool::InHouse, "billing", true, AgentOrder::Quality, 5), ["a1"]);
    /// ```
    pub fn new(agents: Vec<AgentFigures>) -> MemoryRoster {
        MemoryRoster { agents }
    }
}

impl Roster for MemoryRoster {
    fn agents(
        &self,
        pool: Option<Pool>,
        skill: &str,
        available_only: bool,
        order: AgentOrder,
        limit: u32,
    ) -> Vec<AgentFigures> {
        let mut found: Vec<&AgentFigures> = self
            .agents
            .iter()
            .filter(|a| pool.is_none_or(|p| a.pool == p))
            .filter(|a| skill.is_empty() || a.skills.iter().any(|s| s == skill))
            .filter(|a| !available_only || a.state == "available")
            .collect();
        found.sort_by(|a, b| {
            compare(figure(a, order), figure(b, order), order == AgentOrder::Aht)
                .then_with(|| a.agent_id.cmp(&b.agent_id))
        });
        found.into_iter().take(limit.min(MAX_ASK) as usize).cloned().collect()
    }

    fn agent(&self, agent_id: &str) -> Option<AgentFigures> {
        self.agents.iter().find(|a| a.agent_id == agent_id).cloned()
    }
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

/// An available agent of `pool` holding `skills`, without team, certifications, figures or
/// contacts; set the fields a test needs with struct update syntax.
pub fn agent_figures(agent_id: &str, pool: Pool, skills: &[&str]) -> AgentFigures {
    AgentFigures {
        agent_id: agent_id.to_string(),
        pool,
        team: String::new(),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        certifications: Vec::new(),
        state: "available".to_string(),
        quality: None,
        csat: None,
        fcr: None,
        aht_seconds: None,
        contacts: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_roster_answers_as_the_host() {
        let roster = MemoryRoster::new(vec![
            AgentFigures { quality: Some(80.0), aht_seconds: Some(300.0), ..agent_figures("b", Pool::InHouse, &["x"]) },
            AgentFigures { quality: Some(90.0), aht_seconds: Some(500.0), ..agent_figures("a", Pool::InHouse, &["x"]) },
            agent_figures("c", Pool::InHouse, &["x"]),
            AgentFigures { quality: Some(80.0), ..agent_figures("a2", Pool::InHouse, &["x", "y"]) },
            AgentFigures { state: "unavailable".into(), ..agent_figures("d", Pool::InHouse, &["x"]) },
            agent_figures("e", Pool::Crowd, &["x"]),
        ]);
        let ids = |v: Vec<AgentFigures>| v.into_iter().map(|a| a.agent_id).collect::<Vec<_>>();
        let in_house = Some(Pool::InHouse);
        assert_eq!(ids(roster.agents(in_house, "x", true, AgentOrder::Quality, 10)), ["a", "a2", "b", "c"]);
        assert_eq!(ids(roster.agents(in_house, "x", true, AgentOrder::Aht, 2)), ["b", "a"]);
        assert_eq!(ids(roster.agents(None, "", false, AgentOrder::Quality, 99)).len(), 6);
        assert_eq!(roster.preferred(Pool::InHouse, "y", true, AgentOrder::Quality, 5), ["a2"]);
        assert!(roster.preferred(Pool::Crowd, "x", true, AgentOrder::Quality, 0).is_empty());
        assert!(roster.holds(Some(Pool::Crowd), "x"));
        assert!(!roster.holds(Some(Pool::Crowd), "y"));
        assert!(!roster.holds(None, ""));
        assert_eq!(roster.agent("d").map(|a| a.state), Some("unavailable".to_string()));
    }
}
