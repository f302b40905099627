//! Employee surveys: the monthly pulse each agent answers (eNPS, engagement, wellbeing,
//! manager support, tools, comment), driven by the agent's latent engagement; the rows of the
//! `employee_surveys` table.

use chrono::NaiveDate;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateError;
use super::calendar::days_since_epoch;
use super::random::{TAG_SURVEY, TAG_TEAMS, normal, sub_rng};
use super::table_out::TableOut;
use super::world::World;

impl World<'_> {
    /// Monthly pulse surveys, answered between the 8th and the 22nd of each month that falls in
    /// the generated range.
    pub(super) fn write_surveys(&self, t: &mut TableOut) -> Result<(), GenerateError> {
        const EX_POSITIVE: [&str; 8] = [
            "My team lead takes time for coaching",
            "Great team spirit",
            "Flexible schedule works well for me",
            "The new knowledge base tools help a lot",
            "Pay is fair for the work",
            "I feel proud when customers thank me",
            "Workload is manageable",
            "Good training for new products",
        ];
        const EX_NEGATIVE: [&str; 8] = [
            "Schedule changes at short notice",
            "Tools are slow and crash during calls",
            "Pay has not kept up with the workload",
            "Hardly any coaching from my lead",
            "Workload is too high, no time between contacts",
            "Team communication is poor",
            "Too many back-to-back angry customers",
            "Shift bidding is unfair to new agents",
        ];
        let end_days = self.last_day();
        let n_months = self.agents.first().map_or(0, |a| a.engagement.len());
        let mut team_effect = vec![0.0; self.agents.iter().map(|a| a.team as usize).max().unwrap_or(0) + 1];
        let mut trng = sub_rng(self.seed, TAG_TEAMS, 1, 0);
        for e in team_effect.iter_mut() {
            *e = 0.3 * normal(&mut trng);
        }
        let mut response = 1u64;
        for m in 1..n_months {
            let month = self.first_month + m as i64;
            let (y, mo) = (month.div_euclid(12), month.rem_euclid(12) as u32 + 1);
            let Some(first) = NaiveDate::from_ymd_opt(y as i32, mo, 1) else { continue };
            let first = days_since_epoch(first);
            let lo = (first + 7).max(self.start_days);
            let hi = (first + 21).min(end_days);
            if lo > hi {
                continue;
            }
            let survey = format!("pulse-{y:04}-{mo:02}");
            for (i, a) in self.agents.iter().enumerate() {
                let mut rng = sub_rng(self.seed, TAG_SURVEY, i as u64, m as u64);
                if rng.random::<f64>() >= self.p.survey_response_rate {
                    continue;
                }
                let e = a.engagement[m];
                let day = rng.random_range(lo..=hi);
                let local = rng.random_range(9 * 3_600..19 * 3_600) - a.tz_offset_h * 3_600;
                let at = day * 86_400 + local;
                let item = |rng: &mut ChaCha8Rng, mean: f64, sd: f64, lo: i64, hi: i64| -> Option<u64> {
                    let v = (mean + sd * normal(rng)).round() as i64;
                    (rng.random::<f64>() >= 0.04).then_some(v.clamp(lo, hi) as u64)
                };
                let site_tools = [0.2, 0.0, -0.2][a.site];
                let mut engagement = item(
                    &mut rng,
                    self.p.survey_engagement_intercept + self.p.survey_engagement_slope * e,
                    self.p.survey_engagement_noise_sd,
                    1,
                    5,
                );
                let enps = item(&mut rng, self.p.survey_enps_intercept + self.p.survey_enps_slope * e, 1.3, 0, 10);
                let wellbeing = item(&mut rng, 3.0 + 0.5 * e, 0.8, 1, 5);
                let manager = item(&mut rng, 3.3 + 0.45 * e + team_effect[a.team as usize], 0.8, 1, 5);
                let tools = item(&mut rng, 3.2 + 0.3 * e + site_tools, 0.8, 1, 5);
                let comment = if rng.random::<f64>() < 0.35 {
                    let positive = e + 0.6 * normal(&mut rng) > 0.0;
                    let list = if positive { &EX_POSITIVE } else { &EX_NEGATIVE };
                    Some(list[rng.random_range(0..list.len())])
                } else {
                    None
                };
                if engagement.is_none()
                    && enps.is_none()
                    && wellbeing.is_none()
                    && manager.is_none()
                    && tools.is_none()
                    && comment.is_none()
                {
                    let v = (self.p.survey_engagement_intercept + self.p.survey_engagement_slope * e).round();
                    engagement = Some(v.clamp(1.0, 5.0) as u64);
                }
                t.id("response_id", b'r', response, 8);
                response += 1;
                t.text("agent_id", &a.id);
                t.text("survey", &survey);
                t.timestamp("responded_at", at);
                t.opt_int("enps", enps);
                t.opt_int("engagement", engagement);
                t.opt_int("wellbeing", wellbeing);
                t.opt_int("manager_support", manager);
                t.opt_int("tools", tools);
                t.opt_text("comment", comment);
                t.end_row()?;
            }
        }
        Ok(())
    }
}
