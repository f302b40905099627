//! The contact center's vocabulary: queues and their contact reasons, channels and their mix,
//! and when in the day contacts arrive.

use rand_chacha::ChaCha8Rng;

use super::random::pick;

/// Contact arrivals by hour of day (UTC; the customers are in Europe): quiet nights, a morning
/// and an afternoon peak with a lunch dip.
pub(super) const HOURLY: [f64; 24] = [
    0.10, 0.07, 0.05, 0.05, 0.08, 0.20, 0.45, 0.80, 1.00, 1.00, 0.90, 0.72, 0.66, 0.82, 0.95, 0.92, 0.78, 0.62, 0.50,
    0.42, 0.35, 0.28, 0.20, 0.14,
];

pub(super) const QUEUES: [&str; 4] = ["billing", "tech_support", "sales", "general"];
pub(super) const Q_BILLING: u8 = 0;
pub(super) const Q_TECH: u8 = 1;
pub(super) const Q_SALES: u8 = 2;
pub(super) const Q_GENERAL: u8 = 3;
/// Global queue mix, used for self-service contacts.
pub(super) const QUEUE_MIX: [f64; 4] = [0.35, 0.28, 0.12, 0.25];
/// How long handling takes per queue, relative.
pub(super) const QUEUE_TALK: [f64; 4] = [1.0, 1.3, 1.15, 0.85];

pub(super) const REASONS: [&[&str]; 4] = [
    &["invoice_question", "payment_failed", "refund_request", "plan_change", "charge_dispute"],
    &["connection_issue", "device_setup", "login_problem", "app_error", "outage"],
    &["new_subscription", "upgrade", "pricing_question", "product_info"],
    &["order_status", "address_change", "account_info", "complaint", "cancellation"],
];
const REASON_WEIGHTS: [f64; 5] = [0.34, 0.25, 0.19, 0.13, 0.09];

/// A contact reason of `queue`, the first ones the most common.
pub(super) fn pick_reason(rng: &mut ChaCha8Rng, queue: u8) -> u8 {
    let n = REASONS[queue as usize].len();
    pick(rng, &REASON_WEIGHTS[..n]) as u8
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Channel {
    Voice,
    Chat,
    Email,
    Messaging,
    SelfService,
}

impl Channel {
    pub(super) fn name(self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Chat => "chat",
            Channel::Email => "email",
            Channel::Messaging => "messaging",
            Channel::SelfService => "self_service",
        }
    }
}

/// Agent-routed channel mix (self-service, 10% of all contacts, is added per day).
pub(super) const AGENT_CHANNELS: [Channel; 4] = [Channel::Voice, Channel::Chat, Channel::Email, Channel::Messaging];
pub(super) const AGENT_CHANNEL_MIX: [f64; 4] = [50.0, 25.0, 10.0, 5.0];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    #[test]
    fn channels_are_the_schemas() {
        let all = [Channel::Voice, Channel::Chat, Channel::Email, Channel::Messaging, Channel::SelfService];
        assert_eq!(all.map(Channel::name), schema::CHANNELS);
    }
}
