//! Customer feedback: the survey answer (CSAT, NPS, CES, comment) a customer gives after a
//! handled contact, driven by the contact's latent satisfaction; the rows of the
//! `customer_feedback` table.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateError;
use super::random::{lognormal, normal};
use super::table_out::TableOut;
use super::vocabulary::{Q_BILLING, Q_SALES, Q_TECH};
use super::volume::Draft;
use super::world::World;

/// What the customer went through on a handled contact.
pub(super) struct HandledContact<'d> {
    /// The interaction's number (its id without the prefix).
    pub(super) interaction: u64,
    pub(super) draft: &'d Draft,
    pub(super) ended: i64,
    /// The latent satisfaction of the ordered logit: CSAT 4 or 5 when above 0.
    pub(super) satisfaction: f64,
    pub(super) transferred: bool,
    pub(super) long_wait: bool,
}

/// The CSAT answer (1–5) of a latent satisfaction.
fn csat_of(satisfaction: f64) -> u64 {
    match satisfaction {
        u if u > 1.5 => 5,
        u if u > 0.0 => 4,
        u if u > -1.2 => 3,
        u if u > -2.5 => 2,
        _ => 1,
    }
}

impl World<'_> {
    /// Writes the customer's survey answer about agent `i`'s handled contact.
    pub(super) fn feedback(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        contact: &HandledContact,
        t: &mut TableOut,
    ) -> Result<(), GenerateError> {
        let a = &self.agents[i];
        let u = contact.satisfaction;
        let v = u + 0.8 * normal(rng);
        let nps = (6.2 + 1.2 * v).round().clamp(0.0, 10.0) as u64;
        let ces = (4.6 + 0.7 * u + 0.7 * normal(rng)).round().clamp(1.0, 7.0) as u64;
        let mut csat = (rng.random::<f64>() >= 0.1).then_some(csat_of(u));
        let nps = (rng.random::<f64>() >= 0.25).then_some(nps);
        let ces = (rng.random::<f64>() >= 0.4).then_some(ces);
        let comment = if rng.random::<f64>() < 0.3 { Some(customer_comment(rng, contact)) } else { None };
        if csat.is_none() && nps.is_none() && ces.is_none() && comment.is_none() {
            csat = Some(csat_of(u));
        }
        let responded = contact.ended + 60 + lognormal(rng, 7_200.0, 1.0).min(6.0 * 86_400.0) as i64;
        t.id("feedback_id", b'f', self.next_feedback, 9);
        self.next_feedback += 1;
        t.id("interaction_id", b'i', contact.interaction, 9);
        t.id("customer_id", b'c', u64::from(contact.draft.customer), self.customer_width);
        t.text("agent_id", &a.id);
        t.timestamp("responded_at", responded);
        t.opt_int("csat", csat);
        t.opt_int("nps", nps);
        t.opt_int("ces", ces);
        t.opt_text("comment", comment.as_deref());
        t.end_row()
    }
}

/// A comment whose tone follows the satisfaction and whose topics follow what happened.
fn customer_comment(rng: &mut ChaCha8Rng, contact: &HandledContact) -> String {
    const POSITIVE: [&str; 6] = [
        "Friendly agent",
        "Resolved on the first contact",
        "Quick and helpful",
        "The agent really listened",
        "Problem solved, thank you",
        "Clear explanation",
    ];
    const NEGATIVE: [&str; 5] = [
        "Not resolved",
        "Had to explain everything twice",
        "The agent did not understand my problem",
        "Still waiting for a solution",
        "Unhelpful answer",
    ];
    const NEUTRAL: [&str; 3] = ["It was ok", "Took a while but fine", "Average service"];
    let u = contact.satisfaction;
    let mut parts: Vec<&str> = Vec::with_capacity(3);
    let list: &[&str] = if u > 1.0 {
        &POSITIVE
    } else if u < -0.5 {
        &NEGATIVE
    } else {
        &NEUTRAL
    };
    parts.push(list[rng.random_range(0..list.len())]);
    if contact.transferred && rng.random::<f64>() < 0.7 {
        parts.push("I was transferred and had to start over");
    }
    if contact.long_wait && rng.random::<f64>() < 0.6 {
        parts.push(if u > 0.0 { "Wait time was long, but worth it" } else { "Long wait time on hold" });
    }
    if u < 0.0 && rng.random::<f64>() < 0.5 {
        parts.push(match contact.draft.queue {
            Q_BILLING => "Billing is confusing, I was charged twice",
            Q_TECH => "Internet still drops several times a day",
            Q_SALES => "Price is too high for what you get",
            _ => "Nobody told me the status of my order",
        });
    }
    if contact.draft.repeat && rng.random::<f64>() < 0.5 {
        parts.push("Third time I contact you about this");
    }
    parts.join(". ")
}
