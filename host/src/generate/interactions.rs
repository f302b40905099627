//! What happens on an agent-routed contact: queue time and abandonment, talk, hold and wrap
//! times, transfers, the customer's latent satisfaction (which carries the planted CX–EX
//! effect), sales and sentiment; and the rows of the `interactions` table.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateError;
use super::feedback::HandledContact;
use super::random::{exp1, logistic_noise, lognormal, normal, secs, sigmoid};
use super::table_out::{Outputs, TableOut};
use super::vocabulary::{Channel, HOURLY, Q_SALES, Q_TECH, QUEUE_TALK, QUEUES, REASONS};
use super::volume::Draft;
use super::world::World;

/// One row of the `interactions` table.
pub(super) struct InteractionRow<'a> {
    pub(super) interaction: u64,
    pub(super) customer: u32,
    /// None when no agent handled the contact.
    pub(super) agent_id: Option<&'a str>,
    pub(super) channel: Channel,
    pub(super) queue: usize,
    pub(super) reason: u8,
    pub(super) offered_at: i64,
    pub(super) answered_at: Option<i64>,
    pub(super) ended_at: i64,
    pub(super) outcome: &'static str,
    pub(super) talk_seconds: u64,
    pub(super) hold_seconds: u64,
    pub(super) wrap_seconds: u64,
    pub(super) transferred: bool,
    pub(super) sales_eligible: bool,
    pub(super) sale: bool,
    pub(super) revenue_cents: u64,
    pub(super) sentiment: Option<f64>,
}

impl InteractionRow<'_> {
    /// Writes the row; customer ids are zero-padded to `customer_width` digits.
    pub(super) fn write(&self, t: &mut TableOut, customer_width: usize) -> Result<(), GenerateError> {
        t.id("interaction_id", b'i', self.interaction, 9);
        t.id("customer_id", b'c', u64::from(self.customer), customer_width);
        t.opt_text("agent_id", self.agent_id);
        t.text("channel", self.channel.name());
        t.text("queue", QUEUES[self.queue]);
        t.text("contact_reason", REASONS[self.queue][self.reason as usize]);
        t.timestamp("offered_at", self.offered_at);
        t.opt_timestamp("answered_at", self.answered_at);
        t.timestamp("ended_at", self.ended_at);
        t.text("outcome", self.outcome);
        t.int("talk_seconds", self.talk_seconds);
        t.int("hold_seconds", self.hold_seconds);
        t.int("wrap_seconds", self.wrap_seconds);
        t.boolean("transferred", self.transferred);
        t.boolean("sales_eligible", self.sales_eligible);
        t.boolean("sale", self.sale);
        t.int("revenue_cents", self.revenue_cents);
        match self.sentiment {
            Some(s) => t.decimal("sentiment", s, 2),
            None => t.null("sentiment"),
        }
        t.null("notes");
        t.end_row()
    }
}

impl World<'_> {
    /// Writes one agent-routed contact of agent `i` (and its feedback); returns (interaction
    /// number, ended_at, handle seconds) when it was handled.
    pub(super) fn contact(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        d: &Draft,
        month: usize,
        out: &mut Outputs,
    ) -> Result<Option<(u64, i64, u64)>, GenerateError> {
        let a = &self.agents[i];
        let p = self.p;
        let id = self.next_interaction;
        self.next_interaction += 1;
        let q = d.queue as usize;
        let hour = (d.at.rem_euclid(86_400) / 3_600) as usize;
        let peak = 0.35 + 0.85 * HOURLY[hour];

        // Queue time and abandonment: exponential waits, longer at peaks, against patience.
        let (wait_mean, patience_mean) = match d.channel {
            Channel::Voice => (28.0 * peak, 470.0),
            Channel::Chat => (42.0 * peak, 700.0),
            Channel::Messaging => (110.0 * peak, 1_800.0),
            _ => (4.0 * 3_600.0, f64::INFINITY),
        };
        let wait = exp1(rng) * wait_mean;
        let patience = if patience_mean.is_finite() { exp1(rng) * patience_mean } else { f64::INFINITY };
        let offered;
        let answered;
        if d.channel == Channel::Email {
            answered = d.at;
            offered = d.at - wait.round() as i64;
        } else {
            offered = d.at;
            answered = offered + wait.round() as i64;
        }
        if d.channel != Channel::Email && patience < wait {
            let abandoned = InteractionRow {
                interaction: id,
                customer: d.customer,
                agent_id: None,
                channel: d.channel,
                queue: q,
                reason: d.reason,
                offered_at: offered,
                answered_at: None,
                ended_at: offered + patience.round() as i64,
                outcome: "abandoned",
                talk_seconds: 0,
                hold_seconds: 0,
                wrap_seconds: 0,
                transferred: false,
                sales_eligible: false,
                sale: false,
                revenue_cents: 0,
                sentiment: None,
            };
            abandoned.write(&mut out.interactions, self.customer_width)?;
            return Ok(None);
        }

        let coached = self.coached_since[i].is_some_and(|since| d.at >= since);
        let speed = (-0.08 * a.skill).exp() * QUEUE_TALK[q] * if coached { p.coaching_talk_factor } else { 1.0 };
        let (talk, hold, wrap) = match d.channel {
            Channel::Voice => {
                let hold = if rng.random::<f64>() < 0.35 { lognormal(rng, 50.0, 0.7) } else { 0.0 };
                (lognormal(rng, 330.0 * speed, 0.55), hold, lognormal(rng, 40.0, 0.5))
            }
            Channel::Chat => (lognormal(rng, 540.0 * speed, 0.5), 0.0, lognormal(rng, 30.0, 0.5)),
            Channel::Messaging => (lognormal(rng, 720.0 * speed, 0.6), 0.0, lognormal(rng, 25.0, 0.5)),
            _ => (lognormal(rng, 300.0 * speed, 0.6), 0.0, lognormal(rng, 90.0, 0.5)),
        };
        let transferable = d.channel != Channel::Email;
        let tech = if q == Q_TECH as usize { 0.4 } else { 0.0 };
        let transferred = transferable
            && rng.random::<f64>() < sigmoid(p.transfer_base_logit + p.skill_to_transfer_logit * a.skill + tech);
        let hold = if transferred { hold + lognormal(rng, 40.0, 0.5) } else { hold };
        let (talk, hold, wrap) = (secs(talk).max(1), secs(hold), secs(wrap));
        let ended = answered + (talk + hold) as i64;
        let answered_field =
            if d.channel == Channel::Email && rng.random::<f64>() < 0.4 { None } else { Some(answered) };

        // Customer satisfaction: an ordered logit whose top-two box carries the planted effects.
        let e_prev = a.engagement[month - 1];
        let e_now = a.engagement[month];
        let long_wait = d.channel != Channel::Email && wait > f64::from(p.long_wait_seconds);
        let eta = p.csat_base_logit
            + p.engagement_to_csat_logit * e_prev
            + p.same_month_engagement_to_csat_logit * e_now
            + p.skill_to_csat_logit * a.skill
            + a.cx_effect
            + if transferred { p.transferred_to_csat_logit } else { 0.0 }
            + if d.repeat { p.repeat_contact_to_csat_logit } else { 0.0 }
            + if long_wait { p.long_wait_to_csat_logit } else { 0.0 };
        let u = eta + logistic_noise(rng);

        let sales_eligible = q == Q_SALES as usize || (q != Q_TECH as usize && rng.random::<f64>() < 0.05);
        let sale = sales_eligible
            && rng.random::<f64>() < sigmoid(p.conversion_base_logit + p.skill_to_conversion_logit * a.skill);
        let revenue = if sale { lognormal(rng, 6_000.0, 0.6).round().clamp(100.0, 1e7) as u64 } else { 0 };
        let sentiment =
            (rng.random::<f64>() < 0.7).then(|| (0.35 * (u - 1.0) + 0.3 * normal(rng)).tanh().clamp(-1.0, 1.0));

        let handled = InteractionRow {
            interaction: id,
            customer: d.customer,
            agent_id: Some(&a.id),
            channel: d.channel,
            queue: q,
            reason: d.reason,
            offered_at: offered,
            answered_at: answered_field,
            ended_at: ended,
            outcome: "handled",
            talk_seconds: talk,
            hold_seconds: hold,
            wrap_seconds: wrap,
            transferred,
            sales_eligible,
            sale,
            revenue_cents: revenue,
            sentiment,
        };
        handled.write(&mut out.interactions, self.customer_width)?;

        // A repeat contact from the same customer on the same reason, 1–10 days later.
        let p_repeat = sigmoid(
            p.repeat_base_logit
                + p.skill_to_repeat_logit * a.skill
                + if u < 0.0 { p.dissatisfied_to_repeat_logit } else { 0.0 }
                + if transferred { p.transferred_to_repeat_logit } else { 0.0 },
        );
        self.maybe_repeat(rng, d, ended, p_repeat);

        if rng.random::<f64>() < p.feedback_rate {
            let contact = HandledContact { interaction: id, draft: d, ended, satisfaction: u, transferred, long_wait };
            self.feedback(i, rng, &contact, &mut out.feedback)?;
        }
        Ok(Some((id, ended, talk + hold + wrap)))
    }
}
