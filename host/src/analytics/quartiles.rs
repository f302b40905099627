//! Quartiles of a fair ranking and the uplift from moving the bottom half up: the ranked agents
//! (tenant-wide or per team) sorted best to worst by raw or adjusted value and split into four
//! groups, each group's boundary and plain mean, and what the population would gain if every
//! agent of the third quartile reached the second's mean and every agent of the fourth the
//! third's — in the numerator's units, as the change of the figure, and in money where the
//! tenant values the metric.

use serde::Serialize;
use utoipa::ToSchema;

use crate::analytics::ranking::{AgentRanking, Ranking};
use crate::params::ParamError;
use crate::store::metric_values::{MetricValue, Per};

/// Which of an agent's values the quartiles sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The agent's own figure.
    Raw,
    /// The tenant's figure plus the agent's shrunk score (the fair ranking's).
    Adjusted,
}

/// Which populations the quartiles are drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// All the tenant's ranked agents together.
    Tenant,
    /// The ranked agents of each team apart.
    Team,
}

/// Reads `basis` (`raw`, the default, or `adjusted`).
pub fn parse_basis(text: Option<&str>) -> Result<Basis, ParamError> {
    match text.map(str::trim) {
        None | Some("raw") => Ok(Basis::Raw),
        Some("adjusted") => Ok(Basis::Adjusted),
        Some(other) => {
            Err(ParamError::BadValue { name: "basis".into(), expected: "raw or adjusted", text: other.to_string() })
        }
    }
}

/// Reads `by` (`tenant`, the default, or `team`).
pub fn parse_by(text: Option<&str>) -> Result<By, ParamError> {
    match text.map(str::trim) {
        None | Some("tenant") => Ok(By::Tenant),
        Some("team") => Ok(By::Team),
        Some(other) => {
            Err(ParamError::BadValue { name: "by".into(), expected: "tenant or team", text: other.to_string() })
        }
    }
}

/// How the answer states its choices.
pub const METHOD: &str = "Population: the ranked agents (at least min_sample records), tenant-wide or per team. \
     Sorted best to worst by the basis value (ties by agent id) and split into four groups as equal as possible, \
     the first groups taking one more agent each when the count is not a multiple of 4. A quartile's boundary is \
     the value of its last (worst) agent; its mean is the plain mean of its agents' values, not weighted by their \
     denominators. Uplift: every agent of Q3 brought to Q2's mean and every agent of Q4 to Q3's mean (before the \
     move), only where that is better than the agent's own value; in the numerator's units it is the sum over \
     those agents of denominator x (target - value) (seconds over all their contacts for handle time, contacts \
     moved into the numerator for a ratio), and as the population's figure (denominator-weighted mean of the \
     values) before and after. Money: cents per unit of that improvement (per record), or cents per point of the \
     figure's change (per point; a point is 0.01 of a ratio, 1 of any other unit), rounded to the cent.";

/// An agent in a quartile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub agent_id: String,
    pub name: Option<String>,
    pub team: Option<String>,
    /// The basis value.
    pub value: f64,
    /// The agent's denominator (contacts, answers, hours…).
    pub denominator: f64,
}

/// One of the four groups.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Quartile {
    /// 1 (best) to 4 (worst).
    pub quartile: u8,
    pub agents: u32,
    /// The value of its first (best) agent.
    pub best: Option<f64>,
    /// The value of its last (worst) agent: where the next quartile starts.
    pub boundary: Option<f64>,
    /// The plain mean of its agents' values.
    pub mean: Option<f64>,
    pub members: Vec<Member>,
}

/// What the tenant gets for the uplift, where it values the metric.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Money {
    pub cents_per_unit: i64,
    pub per: Per,
    /// cents_per_unit × the improvement (per record) or × the points (per point), rounded.
    pub cents: i64,
}

/// The uplift of one population.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Uplift {
    /// Agents of Q3 and Q4 whose value would improve.
    pub agents_moved: u32,
    /// Σ denominator × (target − value): the change of the numerator (negative for a
    /// lower-is-better metric such as handle time).
    pub numerator_change: f64,
    /// The same as an improvement, at least 0: seconds saved, contacts moved into the
    /// numerator…
    pub improvement: f64,
    /// The population's figure: Σ denominator × value / Σ denominator.
    pub figure_before: Option<f64>,
    pub figure_after: Option<f64>,
    /// |figure_after − figure_before| in points.
    pub points: f64,
    /// What one point is: 0.01 for a `ratio`, 1 otherwise.
    pub point: f64,
    /// Money where the tenant valued the metric (`PUT …/metric-values/{metric}`).
    pub money: Option<Money>,
}

/// The quartiles of one population.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuartileGroup {
    /// The team, when by team (none for agents without one, and tenant-wide).
    pub team: Option<String>,
    /// Ranked agents in the population.
    pub agents: u32,
    pub quartiles: Vec<Quartile>,
    pub uplift: Uplift,
}

/// Quartiles of a ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Quartiles {
    pub basis: Basis,
    pub by: By,
    /// Agents listed but not ranked (below min_sample), left out of every population.
    pub unranked: u32,
    pub method: String,
    pub groups: Vec<QuartileGroup>,
}

/// The quartiles of `ranking`'s ranked agents on `basis`, tenant-wide or per team, with the
/// uplift priced at `value` where there is one; `unit` is the metric's.
pub fn quartiles(ranking: &Ranking, unit: &str, basis: Basis, by: By, value: Option<&MetricValue>) -> Quartiles {
    let pick = |a: &AgentRanking| match basis {
        Basis::Raw => a.raw_value,
        Basis::Adjusted => a.adjusted_value,
    };
    let members: Vec<Member> = ranking
        .agents
        .iter()
        .filter(|a| a.ranked)
        .filter_map(|a| {
            pick(a).map(|v| Member {
                agent_id: a.agent_id.clone(),
                name: a.name.clone(),
                team: a.team.clone(),
                value: v,
                denominator: a.denominator,
            })
        })
        .collect();
    let unranked = ranking.agents.iter().filter(|a| !a.ranked).count() as u32;
    let point = if unit == "ratio" { 0.01 } else { 1.0 };
    let populations: Vec<(Option<String>, Vec<Member>)> = match by {
        By::Tenant => vec![(None, members)],
        By::Team => {
            let mut teams: std::collections::BTreeMap<Option<String>, Vec<Member>> = Default::default();
            for m in members {
                teams.entry(m.team.clone()).or_default().push(m);
            }
            teams.into_iter().collect()
        }
    };
    let groups = populations
        .into_iter()
        .map(|(team, population)| group(team, population, ranking.higher_is_better, point, value))
        .collect();
    Quartiles { basis, by, unranked, method: METHOD.to_string(), groups }
}

/// Sizes of the four groups of `m` agents: as equal as possible, the first ones larger.
pub fn sizes(m: usize) -> [usize; 4] {
    let (base, extra) = (m / 4, m % 4);
    std::array::from_fn(|i| base + usize::from(i < extra))
}

fn group(
    team: Option<String>,
    mut population: Vec<Member>,
    higher_is_better: bool,
    point: f64,
    value: Option<&MetricValue>,
) -> QuartileGroup {
    population.sort_by(|a, b| {
        let order = if higher_is_better { b.value.total_cmp(&a.value) } else { a.value.total_cmp(&b.value) };
        order.then_with(|| a.agent_id.cmp(&b.agent_id))
    });
    let agents = population.len() as u32;
    let mut rest = population.into_iter();
    let quartiles: Vec<Quartile> = sizes(agents as usize)
        .into_iter()
        .enumerate()
        .map(|(i, size)| {
            let members: Vec<Member> = rest.by_ref().take(size).collect();
            let mean = (!members.is_empty()).then(|| members.iter().map(|m| m.value).sum::<f64>() / size as f64);
            Quartile {
                quartile: i as u8 + 1,
                agents: size as u32,
                best: members.first().map(|m| m.value),
                boundary: members.last().map(|m| m.value),
                mean,
                members,
            }
        })
        .collect();
    let uplift = uplift(&quartiles, higher_is_better, point, value);
    QuartileGroup { team, agents, quartiles, uplift }
}

fn uplift(quartiles: &[Quartile], higher_is_better: bool, point: f64, value: Option<&MetricValue>) -> Uplift {
    let better = |target: f64, own: f64| if higher_is_better { target > own } else { target < own };
    let (mut moved, mut change) = (0u32, 0.0);
    for (from, to) in [(2, 1), (3, 2)] {
        let Some(target) = quartiles[to].mean else { continue };
        for m in &quartiles[from].members {
            if better(target, m.value) {
                moved += 1;
                change += m.denominator * (target - m.value);
            }
        }
    }
    let all = quartiles.iter().flat_map(|q| &q.members);
    let (weighted, denominator) = all.fold((0.0, 0.0), |(w, d), m| (w + m.denominator * m.value, d + m.denominator));
    let before = (denominator > 0.0).then(|| weighted / denominator);
    let after = (denominator > 0.0).then(|| (weighted + change) / denominator);
    let points = match (before, after) {
        (Some(b), Some(a)) => (a - b).abs() / point,
        _ => 0.0,
    };
    let improvement = change.abs();
    let money = value.map(|v| {
        let quantity = match v.per {
            Per::Record => improvement,
            Per::Point => points,
        };
        Money {
            cents_per_unit: v.cents_per_unit,
            per: v.per,
            cents: (v.cents_per_unit as f64 * quantity).round() as i64,
        }
    });
    Uplift {
        agents_moved: moved,
        numerator_change: change,
        improvement,
        figure_before: before,
        figure_after: after,
        points,
        point,
        money,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, value: f64, denominator: f64) -> Member {
        Member { agent_id: id.into(), name: None, team: None, value, denominator }
    }

    #[test]
    fn groups_as_equal_as_possible_first_ones_larger() {
        assert_eq!(sizes(8), [2, 2, 2, 2]);
        assert_eq!(sizes(9), [3, 2, 2, 2]);
        assert_eq!(sizes(11), [3, 3, 3, 2]);
        assert_eq!(sizes(3), [1, 1, 1, 0]);
    }

    /// Handle time (lower is better), 8 agents of 10 contacts each with AHT 100, 110 | 120,
    /// 130 | 140, 150 | 160, 200: Q2 mean 125, Q3 mean 145. Q3 to 125: (140 − 125 + 150 − 125)
    /// × 10 = 400 s saved; Q4 to 145: (160 − 145 + 200 − 145) × 10 = 700 s; 1,100 s in all over
    /// 80 contacts: the figure from 11,100 / 80 = 138.75 to 10,000 / 80 = 125, 13.75 points (seconds).
    #[test]
    fn uplift_of_the_bottom_half_by_hand() {
        let values = [100.0, 110.0, 120.0, 130.0, 140.0, 150.0, 160.0, 200.0];
        let population = values.iter().enumerate().map(|(i, v)| member(&format!("a{i}"), *v, 10.0)).collect();
        let value = MetricValue {
            metric: "aht".into(),
            cents_per_unit: 3,
            per: Per::Record,
            updated_at: String::new(),
            updated_by: String::new(),
        };
        let g = group(None, population, false, 1.0, Some(&value));
        let means: Vec<f64> = g.quartiles.iter().map(|q| q.mean.unwrap()).collect();
        assert_eq!(means, [105.0, 125.0, 145.0, 180.0]);
        let boundaries: Vec<f64> = g.quartiles.iter().map(|q| q.boundary.unwrap()).collect();
        assert_eq!(boundaries, [110.0, 130.0, 150.0, 200.0]);
        assert_eq!(g.uplift.agents_moved, 4);
        assert_eq!(g.uplift.numerator_change, -1100.0);
        assert_eq!(g.uplift.improvement, 1100.0);
        assert_eq!(g.uplift.figure_before, Some(138.75));
        assert_eq!(g.uplift.figure_after, Some(125.0));
        assert_eq!(g.uplift.points, 13.75);
        assert_eq!(g.uplift.money.as_ref().unwrap().cents, 3300);
    }

    /// A ratio (higher is better), four agents of 100 contacts at 0.9, 0.8, 0.7 and 0.6: 0.7 to
    /// 0.8 and 0.6 to 0.7 move 20 contacts into the numerator; the figure goes from 0.75 to 0.80,
    /// 5 points of 0.01, at 50,000 cents a point 250,000 cents.
    #[test]
    fn a_point_of_a_ratio_is_a_hundredth() {
        let population = [0.9, 0.8, 0.7, 0.6].iter().enumerate().map(|(i, v)| member(&format!("a{i}"), *v, 100.0));
        let value = MetricValue {
            metric: "fcr".into(),
            cents_per_unit: 50_000,
            per: Per::Point,
            updated_at: String::new(),
            updated_by: String::new(),
        };
        let g = group(None, population.collect(), true, 0.01, Some(&value));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(g.uplift.numerator_change, 20.0) && close(g.uplift.improvement, 20.0));
        assert!(close(g.uplift.figure_before.unwrap(), 0.75) && close(g.uplift.figure_after.unwrap(), 0.8));
        assert!(close(g.uplift.points, 5.0));
        assert_eq!(g.uplift.money.unwrap().cents, 250_000);
    }
}
