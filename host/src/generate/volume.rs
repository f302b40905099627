//! Contact volume and routing: how many contacts arrive and when (each working agent's fresh
//! contacts, the day's self-service contacts), the repeats and follow-ups that come back on a
//! later day, and which agent each of those reaches.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateError;
use super::interactions::InteractionRow;
use super::random::{TAG_ASSIGN, TAG_SELF_SERVICE, exp1, lognormal, pick, poisson, secs, sub_rng};
use super::table_out::TableOut;
use super::vocabulary::{AGENT_CHANNEL_MIX, AGENT_CHANNELS, Channel, HOURLY, QUEUE_MIX, pick_reason};
use super::world::World;

/// A contact to be handled by a particular agent on a particular day.
#[derive(Clone, Copy, Debug)]
pub(super) struct Draft {
    /// When the agent is reached (offered_at; for email, when the agent picks it up).
    pub(super) at: i64,
    pub(super) customer: u32,
    pub(super) queue: u8,
    pub(super) reason: u8,
    pub(super) channel: Channel,
    pub(super) repeat: bool,
}

/// A contact caused by an earlier one, waiting for its day.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    /// Fixed offered_at, or None to draw a time of day when the day comes.
    pub(super) at: Option<i64>,
    pub(super) customer: u32,
    pub(super) queue: u8,
    pub(super) reason: u8,
    pub(super) channel: Channel,
}

/// Days of pending contacts kept: a repeat comes at most 10 days later.
pub(super) const PENDING_RING: usize = 12;

/// The slot of `World::pending` holding the contacts due on `day` (days since the epoch).
fn pending_slot(day: i64) -> usize {
    (day.rem_euclid(PENDING_RING as i64)) as usize
}

impl World<'_> {
    /// The day's self-service contacts, about 10% of all; some come back on an agent channel.
    pub(super) fn self_service_contacts(
        &mut self,
        day: u32,
        day0: i64,
        total_lambda: f64,
        t: &mut TableOut,
    ) -> Result<(), GenerateError> {
        let last_day = self.last_day();
        let mut rng = sub_rng(self.seed, TAG_SELF_SERVICE, 0, u64::from(day));
        let n = poisson(&mut rng, total_lambda / 0.87 / 9.0);
        for _ in 0..n {
            let offered = day0 + pick(&mut rng, &HOURLY) as i64 * 3_600 + rng.random_range(0..3_600);
            let queue = pick(&mut rng, &QUEUE_MIX) as u8;
            let reason = pick_reason(&mut rng, queue);
            let customer = rng.random_range(0..self.customer_pool);
            let ended = offered + secs(lognormal(&mut rng, 150.0, 0.7)).max(5) as i64;
            let row = InteractionRow {
                interaction: self.next_interaction,
                customer,
                agent_id: None,
                channel: Channel::SelfService,
                queue: queue as usize,
                reason,
                offered_at: offered,
                answered_at: None,
                ended_at: ended,
                outcome: "self_service",
                talk_seconds: 0,
                hold_seconds: 0,
                wrap_seconds: 0,
                transferred: false,
                sales_eligible: false,
                sale: false,
                revenue_cents: 0,
                sentiment: None,
            };
            self.next_interaction += 1;
            row.write(t, self.customer_width)?;
            if rng.random::<f64>() < self.p.self_service_followup_rate {
                let delay = 300.0 + (exp1(&mut rng) * 3.0 * 3_600.0).min(85_000.0);
                let at = ended + delay as i64;
                let channel = if rng.random::<f64>() < 0.7 { Channel::Voice } else { Channel::Chat };
                let d = at.div_euclid(86_400);
                if d <= last_day {
                    self.pending[pending_slot(d)].push(Pending { at: Some(at), customer, queue, reason, channel });
                }
            }
        }
        Ok(())
    }

    /// Repeats and follow-ups due today go to an agent who covers their hour: one with the
    /// queue's skill, else anyone on shift then, else anyone working today.
    pub(super) fn assign_due_contacts(&mut self, day: u32, today: i64, day0: i64) {
        let mut rng = sub_rng(self.seed, TAG_ASSIGN, 0, u64::from(day));
        let due = std::mem::take(&mut self.pending[pending_slot(today)]);
        let working: Vec<u32> = (0..self.agents.len() as u32).filter(|&i| self.shift[i as usize].is_some()).collect();
        for p in &due {
            let at = match p.at {
                Some(at) => at,
                None => day0 + pick(&mut rng, &HOURLY) as i64 * 3_600 + rng.random_range(0..3_600),
            };
            let hour = ((at - day0) / 3_600).clamp(0, 23) as usize;
            let candidates = [&self.cover[p.queue as usize * 24 + hour], &self.cover[4 * 24 + hour], &working];
            let Some(list) = candidates.into_iter().find(|l| !l.is_empty()) else { continue };
            let agent = list[rng.random_range(0..list.len())] as usize;
            self.inbound[agent].push(Draft {
                at,
                customer: p.customer,
                queue: p.queue,
                reason: p.reason,
                channel: p.channel,
                repeat: true,
            });
        }
        let mut due = due;
        due.clear();
        self.pending[pending_slot(today)] = due;
    }

    /// Agent `i`'s contacts today, in time order: fresh arrivals over the shift (start hour
    /// UTC, length in hours) and the repeats assigned to the agent. Returns the reused buffer
    /// `World::drafts`; give it back when done.
    pub(super) fn draft_contacts(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        day0: i64,
        (start_h, len_h): (i64, i64),
    ) -> Vec<Draft> {
        let shift_weights: Vec<f64> = (start_h..start_h + len_h).map(|h| HOURLY[h as usize]).collect();
        let n = poisson(rng, self.lambda[i]);
        let mut drafts = std::mem::take(&mut self.drafts);
        drafts.clear();
        let a = &self.agents[i];
        for _ in 0..n {
            let hour = start_h + pick(rng, &shift_weights) as i64;
            let at = day0 + hour * 3_600 + rng.random_range(0..3_600);
            let channel = AGENT_CHANNELS[pick(rng, &AGENT_CHANNEL_MIX)];
            let queue = pick(rng, &a.queue_weights) as u8;
            let reason = pick_reason(rng, queue);
            let customer = rng.random_range(0..self.customer_pool);
            drafts.push(Draft { at, customer, queue, reason, channel, repeat: false });
        }
        drafts.append(&mut self.inbound[i]);
        drafts.sort_by_key(|d| d.at);
        drafts
    }

    /// With probability `p_repeat`, the customer of a handled contact that ended at `ended`
    /// comes back on the same reason 1–10 days later (when that is still in the range).
    pub(super) fn maybe_repeat(&mut self, rng: &mut ChaCha8Rng, d: &Draft, ended: i64, p_repeat: f64) {
        if rng.random::<f64>() < p_repeat {
            const DELAY: [f64; 10] = [1.0, 0.75, 0.56, 0.42, 0.32, 0.24, 0.18, 0.13, 0.1, 0.075];
            let later = pick(rng, &DELAY) as i64 + 1;
            let target = ended.div_euclid(86_400) + later;
            if target <= self.last_day() {
                let channel = if rng.random::<f64>() < 0.6 { d.channel } else { Channel::Voice };
                self.pending[pending_slot(target)].push(Pending {
                    at: None,
                    customer: d.customer,
                    queue: d.queue,
                    reason: d.reason,
                    channel,
                });
            }
        }
    }
}
