//! Agent schedules and states: who is scheduled when (the `schedules` table), who turns up and
//! how late, which queues and hours each working agent covers, and the agent's available and
//! unavailable intervals of the day (the `agent_states` table).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateError;
use super::random::{TAG_ATTENDANCE, TAG_SCHEDULE, sub_rng};
use super::roster::Kind;
use super::table_out::TableOut;
use super::vocabulary::HOURLY;
use super::world::World;

impl World<'_> {
    /// Schedules the agents of `day` (day0: its first second), writes their shifts, decides
    /// attendance and lateness, and fills `shift`, `late_seconds`, `lambda` and `cover` for the
    /// day. Returns the sum of the working agents' arrival rates.
    pub(super) fn plan_shifts(
        &mut self,
        day: u32,
        day0: i64,
        weekend: bool,
        month: usize,
        t: &mut TableOut,
    ) -> Result<f64, GenerateError> {
        for c in self.cover.iter_mut() {
            c.clear();
        }
        let mut total_lambda = 0.0;
        for (i, a) in self.agents.iter().enumerate() {
            let mut rng = sub_rng(self.seed, TAG_SCHEDULE, i as u64, u64::from(day));
            let p_work = if weekend { a.p_work_weekend } else { a.p_work_weekday };
            if rng.random::<f64>() >= p_work {
                self.shift[i] = None;
                self.lambda[i] = 0.0;
                continue;
            }
            let len = if a.kind == Kind::Crowd { rng.random_range(2..=6) } else { a.usual_len_h };
            let jitter = [-1, 0, 0, 0, 1][rng.random_range(0..5)];
            let start = (a.usual_start_h + jitter).clamp(0, 24 - len);
            t.id("shift_id", b'h', self.next_shift, 9);
            self.next_shift += 1;
            t.text("agent_id", &a.id);
            t.timestamp("starts_at", day0 + start * 3_600);
            t.timestamp("ends_at", day0 + (start + len) * 3_600);
            t.end_row()?;

            // Less engaged agents miss more shifts and start late more often.
            let e = a.engagement[month];
            let mut attendance = sub_rng(self.seed, TAG_ATTENDANCE, i as u64, u64::from(day));
            let p_absent = (self.p.absence_base + self.p.absence_per_engagement * e).clamp(0.005, 0.3);
            if attendance.random::<f64>() < p_absent {
                self.shift[i] = None;
                self.lambda[i] = 0.0;
                continue;
            }
            let p_late = (self.p.late_base + self.p.late_per_engagement * e).clamp(0.01, 0.4);
            self.late_seconds[i] =
                if attendance.random::<f64>() < p_late { attendance.random_range(360..=1_800) } else { 0 };
            self.shift[i] = Some((start, len));

            let weight: f64 = (start..start + len).map(|h| HOURLY[h as usize]).sum();
            let lambda = self.fresh_per_weight * weight * if weekend { 0.85 } else { 1.0 };
            self.lambda[i] = lambda;
            total_lambda += lambda;
            for h in start..start + len {
                self.cover[4 * 24 + h as usize].push(i as u32);
                for q in 0..4 {
                    if a.skills & (1 << q) != 0 {
                        self.cover[q * 24 + h as usize].push(i as u32);
                    }
                }
            }
        }
        Ok(total_lambda)
    }

    /// Agent `i`'s states of the day: idle-ready time consistent with the day's occupancy given
    /// the contacts' `handle_seconds`, from the (possibly late) login, and a break mid-shift.
    pub(super) fn write_states(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        day0: i64,
        (start_h, len_h): (i64, i64),
        handle_seconds: u64,
        t: &mut TableOut,
    ) -> Result<(), GenerateError> {
        let a = &self.agents[i];
        let occupancy = rng.random_range(self.p.occupancy_min..self.p.occupancy_max);
        let idle = ((handle_seconds as f64) * (1.0 - occupancy) / occupancy).round().max(300.0) as i64;
        let shift_start = day0 + start_h * 3_600 + rng.random_range(0..300) + self.late_seconds[i];
        let break_len = match a.kind {
            Kind::Employee => rng.random_range(30 * 60..=60 * 60),
            _ => rng.random_range(10 * 60..=30 * 60),
        };
        let break_start = day0 + (start_h * 3_600) + len_h * 1_800 + rng.random_range(-900..=900);
        for (state, from, to) in
            [("available", shift_start, shift_start + idle), ("unavailable", break_start, break_start + break_len)]
        {
            t.id("state_id", b's', self.next_state, 9);
            self.next_state += 1;
            t.text("agent_id", &a.id);
            t.text("state", state);
            t.timestamp("started_at", from);
            t.timestamp("ended_at", to);
            t.end_row()?;
        }
        Ok(())
    }
}
