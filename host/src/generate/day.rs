//! One simulated day, phase by phase. The order of the phases and of the draws within them is
//! what makes the output byte-identical for a spec: change it and every file changes.

use chrono::Weekday;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateError;
use super::calendar::{civil_weekday, month_index};
use super::random::{TAG_CONTACTS, sub_rng};
use super::table_out::Outputs;
use super::world::World;

impl World<'_> {
    /// Generates day number `day` (0 is `SampleSpec::start`).
    pub(super) fn run_day(&mut self, day: u32, out: &mut Outputs) -> Result<(), GenerateError> {
        let today = self.start_days + i64::from(day);
        let day0 = today * 86_400;
        let weekday = civil_weekday(today);
        let weekend = matches!(weekday, Weekday::Sat | Weekday::Sun);
        let month = (month_index(today) - self.first_month) as usize;

        // Phase 0: who works when, who completes a certification, who is coached.
        let total_lambda = self.plan_shifts(day, day0, weekend, month, &mut out.schedules)?;
        self.certifications(day, day0, &mut out.certifications)?;
        self.coaching_sessions(day, day0, &mut out.coaching)?;

        // Phase 1: self-service contacts; some come back on an agent channel.
        self.self_service_contacts(day, day0, total_lambda, &mut out.interactions)?;

        // Phase 2: repeats and follow-ups due today go to an agent who covers their hour.
        self.assign_due_contacts(day, today, day0);

        // Phase 3: each working agent's contacts, feedback, QA and states.
        for i in 0..self.agents.len() {
            let Some(shift) = self.shift[i] else { continue };
            let mut rng = sub_rng(self.seed, TAG_CONTACTS, i as u64, u64::from(day));
            self.agent_day(i, &mut rng, day0, shift, month, out)?;
        }
        Ok(())
    }

    /// Agent `i`'s working day on `shift` (start hour UTC, length in hours): every contact in
    /// time order, then a QA evaluation of one handled contact, then the day's states.
    fn agent_day(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        day0: i64,
        shift: (i64, i64),
        month: usize,
        out: &mut Outputs,
    ) -> Result<(), GenerateError> {
        let drafts = self.draft_contacts(i, rng, day0, shift);
        let mut handle_seconds = 0u64;
        // One handled contact drawn uniformly (reservoir sampling): (interaction, ended_at).
        let mut qa_pick: Option<(u64, i64)> = None;
        let mut handled = 0u64;
        for d in &drafts {
            if let Some((id, ended, handle)) = self.contact(i, rng, d, month, out)? {
                handled += 1;
                handle_seconds += handle;
                if rng.random_range(0..handled) == 0 {
                    qa_pick = Some((id, ended));
                }
            }
        }
        self.drafts = drafts;

        self.evaluate_quality(i, rng, qa_pick, &mut out.qa)?;
        self.write_states(i, rng, day0, shift, handle_seconds, &mut out.states)
    }
}
