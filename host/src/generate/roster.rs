//! The roster: who the agents are (employment type, site, time zone, tenure, skills, usual
//! shift, name), their latent traits (skill, CX effect, monthly engagement), their teams, and
//! the rows of the `agents` table.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::fields::fmt_id;
use super::random::{TAG_AGENTS, TAG_ENGAGEMENT, TAG_TEAMS, normal, pick, sub_rng};
use super::table_out::TableOut;
use super::vocabulary::{HOURLY, Q_BILLING, Q_GENERAL, Q_SALES, Q_TECH, QUEUES};
use super::world::World;
use super::{GenerateError, PlantedEffects, SampleSpec};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    Employee,
    Contractor,
    Crowd,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Employee => "employee",
            Kind::Contractor => "contractor",
            Kind::Crowd => "crowd",
        }
    }
}

pub(super) const SITES: [&str; 3] = ["berlin", "manila", "home"];
const HOME_ZONES: [(&str, i64, f64); 6] = [
    ("Europe/Berlin", 1, 0.35),
    ("Europe/London", 0, 0.2),
    ("Europe/Madrid", 1, 0.15),
    ("Europe/Warsaw", 1, 0.1),
    ("Europe/Lisbon", 0, 0.1),
    ("Europe/Athens", 2, 0.1),
];

const FIRST_NAMES: [&str; 32] = [
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannah", "Ivan", "Jana", "Karl", "Lena", "Maria",
    "Noah", "Olga", "Paul", "Rosa", "Sven", "Tina", "Jose", "Angelica", "Mark", "Kristine", "Joshua", "Aiza", "Ramon",
    "Liza", "Miguel", "Sofia", "Tomas", "Amira", "Lucas",
];
const LAST_NAMES: [&str; 32] = [
    "Schmidt",
    "Mueller",
    "Weber",
    "Fischer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Santos",
    "Reyes",
    "Cruz",
    "Bautista",
    "Garcia",
    "Mendoza",
    "Torres",
    "Villanueva",
    "Ramos",
    "Castillo",
    "Smith",
    "Jones",
    "Novak",
    "Kowalski",
    "Silva",
    "Costa",
    "Papadopoulos",
    "Martin",
    "Dubois",
    "Jensen",
];

pub(super) struct Agent {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) kind: Kind,
    pub(super) site: usize,
    pub(super) team: u32,
    pub(super) timezone: &'static str,
    pub(super) tz_offset_h: i64,
    pub(super) hired_days: i64,
    pub(super) skill: f64,
    pub(super) cx_effect: f64,
    /// Bit q set when the agent has skill q.
    pub(super) skills: u8,
    pub(super) queue_weights: [f64; 4],
    pub(super) usual_start_h: i64,
    pub(super) usual_len_h: i64,
    pub(super) p_work_weekday: f64,
    pub(super) p_work_weekend: f64,
    pub(super) qa_prob: f64,
    /// Latent engagement per month; index 0 is the month before `start`.
    pub(super) engagement: Vec<f64>,
}

impl Agent {
    /// How much of the day's contact arrivals fall into the agent's usual shift.
    pub(super) fn usual_shift_weight(&self) -> f64 {
        (self.usual_start_h..self.usual_start_h + self.usual_len_h).map(|h| HOURLY[h as usize]).sum::<f64>()
    }
}

/// Hires the agents of `spec` and puts them in teams. `start_days` is the first day of
/// contacts; engagement is drawn for `n_months` months from the month before it.
pub(super) fn hire_agents(spec: &SampleSpec, p: &PlantedEffects, start_days: i64, n_months: usize) -> Vec<Agent> {
    let n = spec.agents as usize;
    let mut rng = sub_rng(spec.seed, TAG_AGENTS, 0, 0);

    // Employment types by quota, in random order.
    let n_contractor = ((n as f64 * 0.25).round() as usize).min(n);
    let n_crowd = ((n as f64 * 0.15).round() as usize).min(n - n_contractor);
    let mut kinds: Vec<Kind> = std::iter::repeat_n(Kind::Employee, n - n_contractor - n_crowd)
        .chain(std::iter::repeat_n(Kind::Contractor, n_contractor))
        .chain(std::iter::repeat_n(Kind::Crowd, n_crowd))
        .collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        kinds.swap(i, j);
    }

    let agent_width = 4.max(n.to_string().len());
    let mut agents = Vec::with_capacity(n);
    for (i, &kind) in kinds.iter().enumerate() {
        let (site, timezone, tz_offset_h) = draw_site(&mut rng, kind);
        // Tenure: up to three years, crowd agents mostly recent.
        let u: f64 = rng.random();
        let tenure_days = match kind {
            Kind::Crowd => (u * u * 1_095.0) as i64,
            _ => (u * 1_095.0) as i64,
        } + 1;
        let tenure_z = (tenure_days as f64 - 548.0) / 316.0;
        let type_offset = match kind {
            Kind::Employee => 0.15,
            Kind::Contractor => 0.0,
            Kind::Crowd => -0.3,
        };
        let skill = p.tenure_to_skill * tenure_z + type_offset + 0.85 * normal(&mut rng);
        let cx_effect = p.agent_csat_effect_sd * normal(&mut rng);
        let (skills, queue_weights) = draw_skills(&mut rng, kind);
        let (usual_start_h, usual_len_h) = draw_usual_shift(&mut rng, kind, site, tz_offset_h);
        let (p_work_weekday, p_work_weekend) = match kind {
            Kind::Employee => (0.92, 0.15),
            Kind::Contractor => (0.8, 0.35),
            Kind::Crowd => (0.55, 0.45),
        };
        let days_per_month = 30.44 * (5.0 * p_work_weekday + 2.0 * p_work_weekend) / 7.0;
        let qa_prob = (p.qa_evaluations_per_agent_month / days_per_month).min(1.0);
        let engagement = engagement_series(spec.seed, i, p, n_months);

        let name = format!(
            "{} {}",
            FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]
        );
        agents.push(Agent {
            id: {
                let mut buf = [0u8; 24];
                String::from_utf8_lossy(fmt_id(b'a', i as u64 + 1, agent_width, &mut buf)).into_owned()
            },
            name,
            kind,
            site,
            team: 0,
            timezone,
            tz_offset_h,
            hired_days: start_days - tenure_days,
            skill,
            cx_effect,
            skills,
            queue_weights,
            usual_start_h,
            usual_len_h,
            p_work_weekday,
            p_work_weekend,
            qa_prob,
            engagement,
        });
    }
    assign_teams(spec.seed, &mut agents);
    agents
}

/// (site index, time zone, its UTC offset in hours): contractors and crowd agents work from
/// home in time zones across Europe.
fn draw_site(rng: &mut ChaCha8Rng, kind: Kind) -> (usize, &'static str, i64) {
    let site = match kind {
        Kind::Employee => match rng.random::<f64>() {
            x if x < 0.5 => 0,
            x if x < 0.9 => 1,
            _ => 2,
        },
        _ => 2,
    };
    let (timezone, tz_offset_h) = match site {
        0 => ("Europe/Berlin", 1),
        1 => ("Asia/Manila", 8),
        _ => {
            let z = HOME_ZONES[pick(rng, &HOME_ZONES.map(|z| z.2))];
            (z.0, z.1)
        }
    };
    (site, timezone, tz_offset_h)
}

/// (skill bits, queue weights): crowd agents take the standard cases, employees the hard and
/// sales ones.
fn draw_skills(rng: &mut ChaCha8Rng, kind: Kind) -> (u8, [f64; 4]) {
    let primary_weights: [f64; 4] = match kind {
        Kind::Employee => [0.3, 0.3, 0.25, 0.15],
        Kind::Contractor => [0.3, 0.2, 0.25, 0.25],
        Kind::Crowd => [0.3, 0.0, 0.0, 0.7],
    };
    let primary = pick(rng, &primary_weights);
    let mut skills = 1u8 << primary;
    let extra = match kind {
        Kind::Employee => rng.random_range(1..=2),
        Kind::Contractor => rng.random_range(0..=1),
        Kind::Crowd => rng.random_range(0..=1),
    };
    for _ in 0..extra {
        let mut w = primary_weights;
        if kind != Kind::Crowd {
            w = [1.0, 1.0, 1.0, 1.0];
        }
        skills |= 1 << pick(rng, &w);
    }
    let n_skills = skills.count_ones() as f64;
    let mut queue_weights = [0.0; 4];
    for (q, w) in queue_weights.iter_mut().enumerate() {
        if skills & (1 << q) != 0 {
            *w = if q == primary || n_skills == 1.0 { 0.6 } else { 0.4 / (n_skills - 1.0) };
        }
    }
    (skills, queue_weights)
}

/// The usual shift, drawn in local time and turned into (start hour UTC, length in hours).
fn draw_usual_shift(rng: &mut ChaCha8Rng, kind: Kind, site: usize, tz_offset_h: i64) -> (i64, i64) {
    let (local_start, len) = match (kind, site) {
        (Kind::Employee, 1) => (rng.random_range(13..=16), 8),
        (Kind::Employee, _) => (rng.random_range(7..=10), 8),
        (Kind::Contractor, _) => (rng.random_range(7..=14), rng.random_range(4..=8)),
        (Kind::Crowd, _) => (rng.random_range(8..=18), rng.random_range(2..=6)),
    };
    let usual_start_h = (local_start - tz_offset_h).clamp(0, 24 - len);
    (usual_start_h, len)
}

/// The agent's latent engagement per month: an AR(1) series with unit variance.
fn engagement_series(seed: u64, agent: usize, p: &PlantedEffects, n_months: usize) -> Vec<f64> {
    let mut erng = sub_rng(seed, TAG_ENGAGEMENT, agent as u64, 0);
    let innovation_sd = (1.0 - p.engagement_ar1 * p.engagement_ar1).sqrt();
    let mut engagement = Vec::with_capacity(n_months);
    let mut e = normal(&mut erng);
    for _ in 0..n_months {
        engagement.push(e);
        e = p.engagement_ar1 * e + innovation_sd * normal(&mut erng);
    }
    engagement
}

/// Teams of about ten, within a site.
fn assign_teams(seed: u64, agents: &mut [Agent]) {
    let n = agents.len();
    let mut trng = sub_rng(seed, TAG_TEAMS, 0, 0);
    let mut team_no = 0u32;
    for site in 0..SITES.len() {
        let mut members: Vec<usize> = (0..n).filter(|&i| agents[i].site == site).collect();
        if members.is_empty() {
            continue;
        }
        for i in (1..members.len()).rev() {
            let j = trng.random_range(0..=i);
            members.swap(i, j);
        }
        let n_teams = ((members.len() as f64 / 10.0).round() as usize).max(1);
        for (k, &m) in members.iter().enumerate() {
            agents[m].team = team_no + (k * n_teams / members.len()) as u32 + 1;
        }
        team_no += n_teams as u32;
    }
}

impl World<'_> {
    pub(super) fn write_agents(&self, t: &mut TableOut) -> Result<(), GenerateError> {
        const SKILL_ORDER: [u8; 4] = [Q_BILLING, Q_TECH, Q_SALES, Q_GENERAL];
        for a in &self.agents {
            t.text("agent_id", &a.id);
            t.text("name", &a.name);
            t.text("employment_type", a.kind.name());
            t.text("team", &format!("team-{:02}", a.team));
            t.text("site", SITES[a.site]);
            t.date("hired_at", a.hired_days);
            let skills: Vec<&str> =
                SKILL_ORDER.iter().filter(|&&q| a.skills & (1 << q) != 0).map(|&q| QUEUES[q as usize]).collect();
            t.text("skills", &skills.join(";"));
            t.text("timezone", a.timezone);
            t.end_row()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    #[test]
    fn employment_types_are_the_schemas() {
        assert_eq!([Kind::Employee, Kind::Contractor, Kind::Crowd].map(Kind::name), schema::EMPLOYMENT_TYPES);
    }
}
