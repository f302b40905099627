//! Quality, qualifications and coaching: QA evaluations of handled contacts (the
//! `qa_evaluations` table), the certifications agents complete on working days (the
//! `certifications` table) and the coaching sessions team leads hold on handle time (the
//! `coaching_sessions` table), whose planted effect shortens the coached agent's talk time.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateError;
use super::random::{TAG_CERTIFICATION, TAG_COACHING, normal, sub_rng};
use super::table_out::TableOut;
use super::vocabulary::QUEUES;
use super::world::World;

/// Chance that a working agent completes a certification on a given day (about one a quarter).
const P_CERTIFICATION_PER_DAY: f64 = 0.015;

impl World<'_> {
    /// The certifications completed on `day` (day0: its first second) by the agents at work,
    /// half an hour before the end of their shift.
    pub(super) fn certifications(&mut self, day: u32, day0: i64, t: &mut TableOut) -> Result<(), GenerateError> {
        for (i, a) in self.agents.iter().enumerate() {
            let Some((start, len)) = self.shift[i] else { continue };
            let mut cert = sub_rng(self.seed, TAG_CERTIFICATION, i as u64, u64::from(day));
            if cert.random::<f64>() < P_CERTIFICATION_PER_DAY {
                let queue = cert.random_range(0..QUEUES.len());
                t.id("certification_id", b'k', self.next_certification, 9);
                self.next_certification += 1;
                t.text("agent_id", &a.id);
                t.text(
                    "certification",
                    &format!("{}_{}", QUEUES[queue], ["basics", "advanced"][cert.random_range(0..2)]),
                );
                t.timestamp("completed_at", day0 + (start + len) * 3_600 - 1_800);
                t.end_row()?;
            }
        }
        Ok(())
    }

    /// The coaching sessions held on `day` (day0: its first second): a working agent is coached
    /// on handle time an hour into the shift with a chance that makes
    /// `coaching_sessions_per_agent_month` sessions on average (three times as likely below
    /// average skill). From the first one on, the agent talks `coaching_talk_factor` as long.
    pub(super) fn coaching_sessions(&mut self, day: u32, day0: i64, t: &mut TableOut) -> Result<(), GenerateError> {
        let per_day = self.p.coaching_sessions_per_agent_month / 21.0;
        for (i, a) in self.agents.iter().enumerate() {
            let Some((start, _)) = self.shift[i] else { continue };
            let mut coaching = sub_rng(self.seed, TAG_COACHING, i as u64, u64::from(day));
            let chance = if a.skill < 0.0 { 1.5 * per_day } else { 0.5 * per_day };
            if coaching.random::<f64>() < chance {
                let held = day0 + start * 3_600 + 3_600;
                t.id("session_id", b'c', self.next_coaching, 7);
                self.next_coaching += 1;
                t.text("agent_id", &a.id);
                t.text("coach", &format!("lead-team-{:02}", a.team));
                t.timestamp("held_at", held);
                t.text("topic", "aht");
                t.null("action_id");
                t.text("notes", "handle time: call structure and wrap-up");
                t.end_row()?;
                self.coached_since[i].get_or_insert(held);
            }
        }
        Ok(())
    }

    /// About four evaluations per agent and month: with probability `qa_prob`, agent `i`'s
    /// `picked` contact of the day (interaction number, ended_at) is evaluated 1–5 days later.
    pub(super) fn evaluate_quality(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        picked: Option<(u64, i64)>,
        t: &mut TableOut,
    ) -> Result<(), GenerateError> {
        let a = &self.agents[i];
        if let Some((interaction, ended)) = picked
            && rng.random::<f64>() < a.qa_prob
        {
            let p = self.p;
            let score = (p.qa_score_base + p.qa_score_per_skill * a.skill + p.qa_score_noise_sd * normal(rng))
                .clamp(0.0, 100.0);
            let evaluated = ended + rng.random_range(86_400..5 * 86_400);
            t.id("evaluation_id", b'q', self.next_qa, 8);
            self.next_qa += 1;
            t.text("agent_id", &a.id);
            t.id("interaction_id", b'i', interaction, 9);
            t.timestamp("evaluated_at", evaluated);
            t.decimal("score", score, 1);
            if rng.random::<f64>() < 0.3 {
                t.text("evaluator", &format!("lead-team-{:02}", a.team));
            } else {
                t.text("evaluator", &format!("qa-{:02}", rng.random_range(1..=6)));
            }
            t.end_row()?;
        }
        Ok(())
    }
}
