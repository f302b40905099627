//! The true parameters of the planted effects: every coefficient the generator draws with,
//! written to `manifest.json` so that analysis can be checked against the truth.

/// The true parameters behind the sample data. Logit coefficients act on the log-odds of a
/// top-two-box CSAT answer (4 or 5 on 1–5); engagement is a latent agent trait with unit
/// variance per month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlantedEffects {
    /// e_m = ar1 * e_{m-1} + sqrt(1 - ar1²) * N(0,1) per agent and calendar month (UTC).
    pub engagement_ar1: f64,
    /// The customer effect of engagement arrives this many months later.
    pub engagement_to_csat_lag_months: u32,
    /// Added to the top-two-box CSAT logit per unit of the agent's engagement in the month
    /// before the contact's month (offered_at, UTC).
    pub engagement_to_csat_logit: f64,
    /// The weaker same-month effect: per unit of engagement in the contact's own month.
    pub same_month_engagement_to_csat_logit: f64,
    /// Top-two-box CSAT logit of an average agent on an uneventful contact.
    pub csat_base_logit: f64,
    /// Per unit of agent skill (a latent trait, about unit variance).
    pub skill_to_csat_logit: f64,
    /// Standard deviation of a persistent per-agent CSAT effect unrelated to engagement.
    pub agent_csat_effect_sd: f64,
    pub transferred_to_csat_logit: f64,
    pub repeat_contact_to_csat_logit: f64,
    /// Applied when a voice, chat or messaging contact waited longer than `long_wait_seconds`.
    pub long_wait_to_csat_logit: f64,
    pub long_wait_seconds: u32,
    /// Survey item `engagement` = round(intercept + slope * e_m + N(0, noise_sd)), clamped to 1–5.
    pub survey_engagement_intercept: f64,
    pub survey_engagement_slope: f64,
    pub survey_engagement_noise_sd: f64,
    /// Survey item `enps` = round(intercept + slope * e_m + N(0, 1.3)), clamped to 0–10.
    pub survey_enps_intercept: f64,
    pub survey_enps_slope: f64,
    pub survey_response_rate: f64,
    /// A scheduled shift is missed with probability absence_base + absence_per_engagement * e_m
    /// (clamped to 0.5%–30%): less engaged agents miss more shifts.
    pub absence_base: f64,
    pub absence_per_engagement: f64,
    /// An attended shift starts 6–30 minutes late with probability late_base +
    /// late_per_engagement * e_m (clamped to 1%–40%); otherwise the login comes 0–5 minutes in.
    pub late_base: f64,
    pub late_per_engagement: f64,
    /// Share of handled contacts that get a customer survey answer.
    pub feedback_rate: f64,
    /// Probability that a handled contact is followed by a repeat contact (same customer, same
    /// reason, 1–10 days later): logistic(base + skill_coef * skill + dissatisfied + transferred).
    pub repeat_base_logit: f64,
    pub skill_to_repeat_logit: f64,
    pub dissatisfied_to_repeat_logit: f64,
    pub transferred_to_repeat_logit: f64,
    /// Share of self-service contacts followed by a voice or chat contact within 24 h.
    pub self_service_followup_rate: f64,
    /// Conversion of sales-eligible contacts: logistic(base + skill_coef * skill).
    pub conversion_base_logit: f64,
    pub skill_to_conversion_logit: f64,
    /// Transfer probability: logistic(base + skill_coef * skill).
    pub transfer_base_logit: f64,
    pub skill_to_transfer_logit: f64,
    /// QA score = base + per_skill * skill + N(0, noise_sd), clamped to 0–100.
    pub qa_score_base: f64,
    pub qa_score_per_skill: f64,
    pub qa_score_noise_sd: f64,
    pub qa_evaluations_per_agent_month: f64,
    /// Occupancy of each agent working day is drawn uniformly from this range.
    pub occupancy_min: f64,
    pub occupancy_max: f64,
    /// Agent skill = tenure_coef * standardized tenure + type offset + N(0, 0.85).
    pub tenure_to_skill: f64,
    /// Coaching sessions on handle time per agent and month, on average: agents of below-average
    /// skill are coached three times as often as the others.
    pub coaching_sessions_per_agent_month: f64,
    /// From the first session on, the coached agent's talk time is multiplied by this (the
    /// planted effect of coaching on AHT; agents not coached keep their speed).
    pub coaching_talk_factor: f64,
}

impl Default for PlantedEffects {
    fn default() -> Self {
        PlantedEffects {
            engagement_ar1: 0.7,
            engagement_to_csat_lag_months: 1,
            engagement_to_csat_logit: 0.6,
            same_month_engagement_to_csat_logit: 0.2,
            csat_base_logit: 1.5,
            skill_to_csat_logit: 0.4,
            agent_csat_effect_sd: 0.3,
            transferred_to_csat_logit: -0.7,
            repeat_contact_to_csat_logit: -0.4,
            long_wait_to_csat_logit: -0.4,
            long_wait_seconds: 120,
            survey_engagement_intercept: 3.1,
            survey_engagement_slope: 0.9,
            survey_engagement_noise_sd: 0.55,
            survey_enps_intercept: 6.3,
            survey_enps_slope: 1.9,
            survey_response_rate: 0.8,
            absence_base: 0.05,
            absence_per_engagement: -0.04,
            late_base: 0.10,
            late_per_engagement: -0.08,
            feedback_rate: 0.2,
            repeat_base_logit: -2.1,
            skill_to_repeat_logit: -0.5,
            dissatisfied_to_repeat_logit: 0.8,
            transferred_to_repeat_logit: 0.4,
            self_service_followup_rate: 0.3,
            conversion_base_logit: -1.0,
            skill_to_conversion_logit: 0.6,
            transfer_base_logit: -2.6,
            skill_to_transfer_logit: -0.4,
            qa_score_base: 76.0,
            qa_score_per_skill: 7.0,
            qa_score_noise_sd: 7.0,
            qa_evaluations_per_agent_month: 4.0,
            occupancy_min: 0.75,
            occupancy_max: 0.85,
            tenure_to_skill: 0.45,
            coaching_sessions_per_agent_month: 0.25,
            coaching_talk_factor: 0.85,
        }
    }
}
