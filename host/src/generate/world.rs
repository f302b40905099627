//! The state of one generator run: the agents, the day-to-day scratch state of the simulation
//! (today's shifts and arrival rates, contacts waiting for their day) and the running id
//! counters of every table.

use super::SampleSpec;
use super::calendar::{days_since_epoch, month_index};
use super::planted::PlantedEffects;
use super::roster::{Agent, hire_agents};
use super::volume::{Draft, PENDING_RING, Pending};

pub(super) struct World<'a> {
    pub(super) seed: u64,
    pub(super) days: u32,
    pub(super) start_days: i64,
    pub(super) p: &'a PlantedEffects,
    pub(super) agents: Vec<Agent>,
    pub(super) customer_pool: u32,
    pub(super) customer_width: usize,
    /// Normalizes an agent-day's arrival rate by the weight of its shift hours.
    pub(super) fresh_per_weight: f64,
    /// Calendar month index (as in `Agent::engagement`) of the first month.
    pub(super) first_month: i64,
    /// Running counters of ids.
    pub(super) next_interaction: u64,
    pub(super) next_feedback: u64,
    pub(super) next_state: u64,
    pub(super) next_qa: u64,
    pub(super) next_shift: u64,
    pub(super) next_certification: u64,
    pub(super) next_coaching: u64,
    /// When each agent was first coached (seconds since the epoch), if they were.
    pub(super) coached_since: Vec<Option<i64>>,
    /// Pending contacts by day (ring indexed by day % PENDING_RING).
    pub(super) pending: Vec<Vec<Pending>>,
    /// Today's shift of each agent: (start hour UTC, length in hours), None when off.
    pub(super) shift: Vec<Option<(i64, i64)>>,
    /// Today's late start of each agent, in seconds (0 when on time).
    pub(super) late_seconds: Vec<i64>,
    /// Today's fresh arrival rate of each agent.
    pub(super) lambda: Vec<f64>,
    /// Contacts assigned to each agent today from the pending queue.
    pub(super) inbound: Vec<Vec<Draft>>,
    /// Working agents covering (queue or 4 = any, hour).
    pub(super) cover: Vec<Vec<u32>>,
    /// Reused buffer of one agent-day's contacts.
    pub(super) drafts: Vec<Draft>,
}

impl<'a> World<'a> {
    pub(super) fn new(spec: &SampleSpec, p: &'a PlantedEffects) -> Self {
        let n = spec.agents as usize;
        let start_days = days_since_epoch(spec.start);
        let first_month = month_index(start_days);
        let last_month = month_index(start_days + i64::from(spec.days) - 1);
        let n_months = (last_month - first_month + 2) as usize;
        let agents = hire_agents(spec, p, start_days, n_months);

        // Arrival normalization: an average working agent-day sees `cpad` agent-routed contacts,
        // of which about 13% are repeats and self-service follow-ups created along the way.
        let mean_weight = agents.iter().map(Agent::usual_shift_weight).sum::<f64>() / n as f64;
        let fresh_per_weight = spec.contacts_per_agent_day * 0.87 / mean_weight.max(1e-9);

        let expected = f64::from(spec.agents) * f64::from(spec.days) * 0.7 * spec.contacts_per_agent_day * 1.15;
        let customer_pool = (expected / 2.5).clamp(500.0, 4e9) as u32;

        World {
            seed: spec.seed,
            days: spec.days,
            start_days,
            p,
            agents,
            customer_pool,
            customer_width: 6.max(customer_pool.to_string().len()),
            fresh_per_weight,
            first_month: first_month - 1,
            next_interaction: 1,
            next_feedback: 1,
            next_state: 1,
            next_qa: 1,
            next_shift: 1,
            next_certification: 1,
            next_coaching: 1,
            coached_since: vec![None; n],
            pending: vec![Vec::new(); PENDING_RING],
            shift: vec![None; n],
            late_seconds: vec![0; n],
            lambda: vec![0.0; n],
            inbound: vec![Vec::new(); n],
            cover: vec![Vec::new(); 5 * 24],
            drafts: Vec::new(),
        }
    }

    /// The last day of contacts, in days since the epoch.
    pub(super) fn last_day(&self) -> i64 {
        self.start_days + i64::from(self.days) - 1
    }
}
