//! Coaching impact: for each coaching session on a metric, the coached agent's figure over
//! the N whole weeks before the session's week and the N weeks after it, against the same
//! change for comparable agents who were not coached in that window — a difference in
//! differences, with the number of comparison agents and an interval — and the mean effect
//! over every session with enough data. Sessions without enough data are listed with the
//! reason, never dropped. The metric comes from its plugin (the serving version, one series
//! call by agent and week), so a tenant's own metric is measured the same way.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use duckdb::params;
use duckdb::types::{TimeUnit, Value};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};
use utoipa::ToSchema;

use super::cxex::{AnalyticsError, resolve_named};
use super::series::{Period, period_bounds, series_rows};
use crate::app::Services;
use crate::config::PluginLimits;
use crate::runtime::bindings::{Grain, GroupBy};
use crate::store::system::Tenant;

/// Most weeks before and after a session.
pub const MAX_WEEKS: u32 = 26;

/// Who a coached agent is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// Agents of the same team (the team the `agents` table gives now).
    Team,
    /// Agents whose main queue (the one with most of their handled contacts over the analysed
    /// weeks) is the coached agent's.
    Queue,
}

/// What an impact analysis is asked.
pub struct ImpactAsk {
    /// The metric as the API names it: `name` or `name[param=value,…]`.
    pub metric: String,
    /// Sessions held in `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub weeks: u32,
    pub compare: Compare,
    /// A figure counts with at least this sample (the metric's denominator) on each side.
    pub min_sample: f64,
    /// Fewest comparison agents a session needs.
    pub min_comparison: usize,
    /// Every session whatever its topic, rather than only those on the metric.
    pub all_topics: bool,
}

/// One side of a comparison: a figure before, after, and the change.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct BeforeAfter {
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub change: Option<f64>,
}

/// One session's impact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionImpact {
    pub session_id: String,
    pub agent_id: String,
    pub team: Option<String>,
    pub held_at: String,
    pub topic: String,
    pub action_id: Option<String>,
    /// The weeks compared: `before_from`–`session_week` before, the week after the session's
    /// to `after_to` after.
    pub before_from: String,
    pub session_week: String,
    pub after_to: String,
    /// The coached agent: figure over the weeks before and after, and the change.
    pub coached: BeforeAfter,
    /// The sample (the metric's denominator) behind the coached agent's figures.
    pub before_sample: Option<f64>,
    pub after_sample: Option<f64>,
    /// Comparison agents with enough data on both sides.
    pub comparison_agents: u32,
    /// The comparison agents' mean figures and mean change.
    pub comparison: BeforeAfter,
    /// The coached change minus the comparison's mean change.
    pub effect: Option<f64>,
    /// 95% interval of the effect: the comparison changes' spread for a single coached agent,
    /// effect ± t(k−1) · sd · √(1 + 1/k).
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// `measured`, or `insufficient` with the reason.
    pub status: String,
    pub reason: Option<String>,
}

/// Every session's effect together.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImpactTotal {
    pub sessions: u32,
    pub measured: u32,
    pub insufficient: u32,
    /// Mean effect over the measured sessions.
    pub effect: Option<f64>,
    /// 95% interval of the mean effect (t with m − 1 degrees of freedom over the sessions'
    /// effects); none for fewer than two measured sessions.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Two-sided p-value of a mean effect of zero.
    pub p_value: Option<f64>,
    /// Mean figures of the measured sessions, for the before/after chart.
    pub coached: BeforeAfter,
    pub comparison: BeforeAfter,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImpactReport {
    pub metric: String,
    pub unit: String,
    pub weeks: u32,
    pub compare: Compare,
    pub min_sample: f64,
    pub min_comparison: u32,
    pub sessions: Vec<SessionImpact>,
    pub total: ImpactTotal,
}

/// A session as read from the tenant's data.
struct SessionRow {
    id: String,
    agent: String,
    held_at: DateTime<Utc>,
    topic: String,
    action_id: Option<String>,
}

/// One agent's figure in one week: numerator and denominator, or the value alone.
#[derive(Clone, Copy)]
struct Cell {
    value: f64,
    numerator: Option<f64>,
    denominator: Option<f64>,
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(u64::from(day.weekday().num_days_from_monday()))
}

fn micros(t: DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

fn day_micros(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp_micros())
}

/// An agent's figure over weeks `[from, to)` of `cells` (indexed from the series' first week):
/// the ratio of summed numerators to summed denominators where the metric reports them, else
/// the mean of the weekly values; with its sample (summed denominators, or weeks with a value).
fn over(cells: &[Option<Cell>], from: usize, to: usize) -> Option<(f64, f64)> {
    let picked: Vec<Cell> = cells.get(from..to.min(cells.len()))?.iter().flatten().copied().collect();
    if picked.is_empty() {
        return None;
    }
    if picked.iter().all(|c| c.numerator.is_some() && c.denominator.is_some()) {
        let num: f64 = picked.iter().filter_map(|c| c.numerator).sum();
        let den: f64 = picked.iter().filter_map(|c| c.denominator).sum();
        return (den > 0.0).then(|| (num / den, den));
    }
    Some((picked.iter().map(|c| c.value).sum::<f64>() / picked.len() as f64, picked.len() as f64))
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn sample_sd(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    (values.len() >= 2)
        .then(|| (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt())
}

fn t_quantile(df: usize) -> Option<f64> {
    let dist = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    Some(dist.inverse_cdf(0.975))
}

/// Computes the impact of the tenant's coaching sessions on `ask.metric`. Blocking: it runs the
/// metric's plugin.
pub fn impact(
    state: &Arc<Services>,
    tenant: &Tenant,
    subject: &str,
    ask: &ImpactAsk,
    limits: PluginLimits,
) -> Result<ImpactReport, AnalyticsError> {
    let (plan, params) = resolve_named(state, tenant, subject, &ask.metric, Vec::new())?;
    let base_name = ask.metric.split('[').next().unwrap_or_default().trim().to_string();
    let db = state.tenants.get(&tenant.id)?;
    let weeks = u64::from(ask.weeks);
    // The weeks of every session's windows: from N weeks before the first session's week to
    // N weeks after the last one's.
    let first_week = monday_of(ask.from.date_naive()) - Days::new(7 * weeks);
    let last_week = monday_of((ask.to - chrono::Duration::microseconds(1)).date_naive()) + Days::new(7 * (weeks + 1));
    let db_error = AnalyticsError::Sessions;
    let (sessions, coached_times, teams, queues) = {
        let conn = db.connection().map_err(db_error)?;
        let sessions: Vec<SessionRow> = conn
            .prepare(
                "SELECT session_id, agent_id, epoch_us(held_at), topic, action_id FROM coaching_sessions \
                 WHERE held_at >= ? AND held_at < ? AND (? OR topic = ? OR topic = ?) ORDER BY held_at, session_id",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![micros(ask.from), micros(ask.to), ask.all_topics, base_name, ask.metric], |r| {
                    Ok(SessionRow {
                        id: r.get(0)?,
                        agent: r.get(1)?,
                        held_at: DateTime::from_timestamp_micros(r.get(2)?).unwrap_or_default(),
                        topic: r.get(3)?,
                        action_id: r.get(4)?,
                    })
                })?
                .collect()
            })
            .map_err(db_error)?;
        // Every session of any topic in the analysed weeks: coached agents are no comparison.
        let mut coached_times: HashMap<String, Vec<i64>> = HashMap::new();
        let mut stmt = conn
            .prepare("SELECT agent_id, epoch_us(held_at) FROM coaching_sessions WHERE held_at >= ? AND held_at < ?")
            .map_err(db_error)?;
        let rows = stmt
            .query_map(params![micros(at(first_week)), micros(at(last_week))], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(db_error)?;
        for row in rows {
            let (agent, time) = row.map_err(db_error)?;
            coached_times.entry(agent).or_default().push(time);
        }
        coached_times.values_mut().for_each(|times| times.sort_unstable());
        let teams: HashMap<String, String> = crate::store::overview::agent_teams(&db).map_err(db_error)?;
        let queues: HashMap<String, String> = if ask.compare == Compare::Queue {
            let mut stmt = conn
                .prepare(
                    "SELECT agent_id, arg_max(queue, n) FROM (SELECT agent_id, queue, count(*) AS n FROM interactions \
                     WHERE outcome = 'handled' AND agent_id IS NOT NULL AND offered_at >= ? AND offered_at < ? \
                     GROUP BY ALL) GROUP BY agent_id",
                )
                .map_err(db_error)?;
            stmt.query_map(params![micros(at(first_week)), micros(at(last_week))], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db_error)?
                .collect::<Result<_, _>>()
                .map_err(db_error)?
        } else {
            HashMap::new()
        };
        (sessions, coached_times, teams, queues)
    };

    let bounds = period_bounds(Period::Week, first_week, last_week);
    let context = state.call_context(&tenant.id, &plan.serve.info.name, db.clone(), limits);
    let series = series_rows(&context, &plan, &params, (GroupBy::Agent, Grain::Week), &bounds, None)?;
    let week_index: HashMap<i64, usize> = bounds.iter().enumerate().map(|(i, day)| (day_micros(*day), i)).collect();
    let periods = bounds.len().saturating_sub(1);
    let mut cells: HashMap<String, Vec<Option<Cell>>> = HashMap::new();
    for row in series.rows {
        let (Some(&i), Some(value)) = (week_index.get(&row.period_start), row.value) else { continue };
        let agent_cells = cells.entry(row.group).or_insert_with(|| vec![None; periods]);
        if let Some(slot) = agent_cells.get_mut(i) {
            *slot = Some(Cell { value, numerator: row.numerator, denominator: row.denominator });
        }
    }
    let group_of = |agent: &str| -> Option<&String> {
        match ask.compare {
            Compare::Team => teams.get(agent),
            Compare::Queue => queues.get(agent),
        }
    };
    // The agents of each team or queue, for the comparisons.
    let mut members: HashMap<&str, Vec<&str>> = HashMap::new();
    for agent in cells.keys() {
        if let Some(group) = group_of(agent) {
            members.entry(group.as_str()).or_default().push(agent.as_str());
        }
    }
    members.values_mut().for_each(|agents| agents.sort_unstable());

    let min_sample = ask.min_sample;
    let figure = |agent: &str, from: usize, to: usize| -> Option<(f64, f64)> {
        over(cells.get(agent)?, from, to).filter(|(_, sample)| *sample >= min_sample.max(f64::MIN_POSITIVE))
    };
    let mut measured = Vec::new();
    let mut out = Vec::with_capacity(sessions.len());
    for s in &sessions {
        let week = monday_of(s.held_at.date_naive());
        let session_index = bounds.iter().position(|d| *d == week).unwrap_or(0);
        let before = (session_index.saturating_sub(ask.weeks as usize), session_index);
        let after = (session_index + 1, session_index + 1 + ask.weeks as usize);
        let window = (day_micros(bounds[before.0]), day_micros(week + Days::new(7 * (weeks + 1))));
        let coached_before = figure(&s.agent, before.0, before.1);
        let coached_after = figure(&s.agent, after.0, after.1);
        let group = group_of(&s.agent);
        let mut peers_before = Vec::new();
        let mut peers_after = Vec::new();
        let mut changes = Vec::new();
        for peer in group.and_then(|g| members.get(g.as_str())).into_iter().flatten() {
            if *peer == s.agent {
                continue;
            }
            let coached_in_window = coached_times.get(*peer).is_some_and(|times| {
                let i = times.partition_point(|t| *t < window.0);
                times.get(i).is_some_and(|t| *t < window.1)
            });
            if coached_in_window {
                continue;
            }
            if let (Some((b, _)), Some((a, _))) = (figure(peer, before.0, before.1), figure(peer, after.0, after.1)) {
                peers_before.push(b);
                peers_after.push(a);
                changes.push(a - b);
            }
        }
        let reason = match (coached_before, coached_after) {
            _ if group.is_none() => Some(match ask.compare {
                Compare::Team => "the agent has no team in the agents table".to_string(),
                Compare::Queue => {
                    "the agent handled no contacts in the analysed weeks, so has no main queue".to_string()
                }
            }),
            (None, _) => Some(format!("fewer than {min_sample} in the sample of the {} weeks before", ask.weeks)),
            (_, None) => Some(format!("fewer than {min_sample} in the sample of the {} weeks after", ask.weeks)),
            _ if changes.len() < ask.min_comparison => {
                Some(format!("{} comparison agents with enough data, fewer than {}", changes.len(), ask.min_comparison))
            }
            _ => None,
        };
        let coached_change = coached_before.zip(coached_after).map(|((b, _), (a, _))| a - b);
        let comparison_change = mean(&changes);
        let effect = if reason.is_none() { coached_change.zip(comparison_change).map(|(c, p)| c - p) } else { None };
        let k = changes.len();
        let half = effect.and_then(|_| {
            let sd = sample_sd(&changes)?;
            Some(t_quantile(k - 1)? * sd * (1.0 + 1.0 / k as f64).sqrt())
        });
        if let Some(effect) = effect {
            measured.push((
                effect,
                coached_before.map(|c| c.0),
                coached_after.map(|c| c.0),
                mean(&peers_before),
                mean(&peers_after),
            ));
        }
        let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        out.push(SessionImpact {
            session_id: s.id.clone(),
            agent_id: s.agent.clone(),
            team: teams.get(&s.agent).cloned(),
            held_at: iso(s.held_at),
            topic: s.topic.clone(),
            action_id: s.action_id.clone(),
            before_from: bounds[before.0].to_string(),
            session_week: week.to_string(),
            after_to: (week + Days::new(7 * (weeks + 1))).to_string(),
            coached: BeforeAfter {
                before: coached_before.map(|c| c.0),
                after: coached_after.map(|c| c.0),
                change: coached_change,
            },
            before_sample: coached_before.map(|c| c.1),
            after_sample: coached_after.map(|c| c.1),
            comparison_agents: k as u32,
            comparison: BeforeAfter {
                before: mean(&peers_before),
                after: mean(&peers_after),
                change: comparison_change,
            },
            effect,
            ci_low: effect.zip(half).map(|(e, h)| e - h),
            ci_high: effect.zip(half).map(|(e, h)| e + h),
            status: if reason.is_none() { "measured" } else { "insufficient" }.to_string(),
            reason,
        });
    }
    Ok(ImpactReport {
        metric: ask.metric.clone(),
        unit: series.unit,
        weeks: ask.weeks,
        compare: ask.compare,
        min_sample: ask.min_sample,
        min_comparison: ask.min_comparison as u32,
        total: total(&measured, out.len()),
        sessions: out,
    })
}

fn at(day: NaiveDate) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(day_micros(day)).unwrap_or_default()
}

type Measured = (f64, Option<f64>, Option<f64>, Option<f64>, Option<f64>);

fn total(measured: &[Measured], sessions: usize) -> ImpactTotal {
    let effects: Vec<f64> = measured.iter().map(|m| m.0).collect();
    let m = effects.len();
    let effect = mean(&effects);
    let (ci, p_value) = match (effect, sample_sd(&effects)) {
        (Some(effect), Some(sd)) if sd > 0.0 => {
            let se = sd / (m as f64).sqrt();
            let t = t_quantile(m - 1);
            let p = StudentsT::new(0.0, 1.0, (m - 1) as f64).ok().map(|d| 2.0 * (1.0 - d.cdf((effect / se).abs())));
            (t.map(|t| (effect - t * se, effect + t * se)), p)
        }
        _ => (None, None),
    };
    let side = |pick: fn(&Measured) -> Option<f64>| -> Option<f64> {
        mean(&measured.iter().filter_map(pick).collect::<Vec<_>>())
    };
    let change = |b: Option<f64>, a: Option<f64>| b.zip(a).map(|(b, a)| a - b);
    let (cb, ca, pb, pa) = (side(|m| m.1), side(|m| m.2), side(|m| m.3), side(|m| m.4));
    ImpactTotal {
        sessions: sessions as u32,
        measured: m as u32,
        insufficient: (sessions - m) as u32,
        effect,
        ci_low: ci.map(|c| c.0),
        ci_high: ci.map(|c| c.1),
        p_value,
        coached: BeforeAfter { before: cb, after: ca, change: change(cb, ca) },
        comparison: BeforeAfter { before: pb, after: pa, change: change(pb, pa) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(value: f64, num: Option<f64>, den: Option<f64>) -> Option<Cell> {
        Some(Cell { value, numerator: num, denominator: den })
    }

    #[test]
    fn a_window_rolls_up_ratios_by_their_parts_and_means_otherwise() {
        let ratio = [cell(0.5, Some(1.0), Some(2.0)), None, cell(1.0, Some(6.0), Some(6.0))];
        assert_eq!(over(&ratio, 0, 3), Some((7.0 / 8.0, 8.0)));
        let plain = [cell(2.0, None, None), cell(4.0, None, None)];
        assert_eq!(over(&plain, 0, 2), Some((3.0, 2.0)));
        assert_eq!(over(&plain, 5, 7), None);
    }

    #[test]
    fn the_total_is_the_mean_effect_with_a_t_interval_over_sessions() {
        let measured = [(-100.0, None, None, None, None), (-40.0, None, None, None, None)];
        let total = total(&measured, 3);
        assert_eq!((total.sessions, total.measured, total.insufficient), (3, 2, 1));
        assert_eq!(total.effect, Some(-70.0));
        // sd 42.426, se 30, t(0.975, 1) = 12.7062.
        let (low, high) = (total.ci_low.unwrap(), total.ci_high.unwrap());
        assert!((low - (-70.0 - 381.186)).abs() < 0.01 && (high - (-70.0 + 381.186)).abs() < 0.01, "{low} {high}");
    }
}
