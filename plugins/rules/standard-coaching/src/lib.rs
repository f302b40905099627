//! Standard rule `standard_coaching`: coaching tasks from any metric — a threshold missed in X
//! of the last Y finished periods, optionally a place in the worst part of the agent's team —
//! with a quality guard on the sample behind each figure, and alerts for teams whose own figure
//! misses the threshold as often.

use std::collections::BTreeMap;

use cxhost_rule_sdk::prelude::*;

struct StandardCoaching;

/// The most periods a run looks back.
const MAX_PERIODS: i64 = 52;

/// What one run was asked for, read and checked from its parameters.
struct Settings {
    /// The metric as the API names it, e.g. `fcr` or `fcr[window_days=3]`.
    metric: String,
    /// The metric's name without parameters: the subject of the actions.
    subject: String,
    condition: Condition,
    grain: Grain,
    periods: u32,
    breaches: u32,
    min_sample: f64,
    percentile: f64,
    min_team: usize,
    team_alerts: bool,
    priority: u8,
    due_days: u32,
}

fn settings(req: &RuleRequest) -> Result<Settings, String> {
    let p = &req.params;
    let metric = p.text("metric")?.trim().to_string();
    let subject = metric.split('[').next().unwrap_or_default().trim().to_string();
    if subject.is_empty() {
        return Err("parameter `metric` names no metric".to_string());
    }
    let threshold = p.float("threshold")?;
    let condition = match p.text("direction")? {
        "below" => Condition::Below(threshold),
        "above" => Condition::Above(threshold),
        other => return Err(format!("parameter `direction` must be `below` or `above`, got `{other}`")),
    };
    let grain = match p.text("grain")? {
        "day" => Grain::Day,
        "week" => Grain::Week,
        "month" => Grain::Month,
        other => return Err(format!("parameter `grain` must be `day`, `week` or `month`, got `{other}`")),
    };
    let periods = p.int("periods")?;
    if !(1..=MAX_PERIODS).contains(&periods) {
        return Err(format!("parameter `periods` must be between 1 and {MAX_PERIODS}, got {periods}"));
    }
    let breaches = p.int("breaches")?;
    if !(1..=periods).contains(&breaches) {
        return Err(format!("parameter `breaches` must be between 1 and `periods` ({periods}), got {breaches}"));
    }
    let percentile = p.float("percentile")?;
    if !(0.0..50.0).contains(&percentile) {
        return Err(format!("parameter `percentile` must be at least 0 and below 50, got {percentile}"));
    }
    let min_team = p.int("min_team")?;
    if !(2..=10_000).contains(&min_team) {
        return Err(format!("parameter `min_team` must be between 2 and 10000, got {min_team}"));
    }
    let priority = p.int("priority")?;
    if !(0..=9).contains(&priority) {
        return Err(format!("parameter `priority` must be between 0 and 9, got {priority}"));
    }
    let due_days = p.int("due_days")?;
    if !(0..=366).contains(&due_days) {
        return Err(format!("parameter `due_days` must be between 0 and 366, got {due_days}"));
    }
    Ok(Settings {
        metric,
        subject,
        condition,
        grain,
        periods: periods as u32,
        breaches: breaches as u32,
        min_sample: p.float("min_sample")?.max(0.0),
        percentile,
        min_team: min_team as usize,
        team_alerts: p.boolean("team_alerts")?,
        priority: priority as u8,
        due_days: due_days as u32,
    })
}

/// A number as a person reads it in a title: at most three decimals, no trailing zeros.
fn figure(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Settings {
    fn threshold_cause(&self) -> String {
        format!("{}-{}-{}", self.subject, self.condition.words(), figure(self.condition.threshold()))
    }

    fn threshold_title(&self) -> String {
        format!(
            "{} {} {} in {} of the last {} {}",
            self.subject,
            self.condition.words(),
            figure(self.condition.threshold()),
            self.breaches,
            self.periods,
            grain_words(self.grain)
        )
    }

    fn with_terms(&self, mut action: Action, detail: String) -> Action {
        action.priority = self.priority;
        action.due_days = self.due_days;
        action.detail = detail;
        action
    }

    /// Each period's figure in words, for the detail of a threshold action.
    fn periods_detail(&self, evidence: &[EvidenceItem]) -> String {
        let parts: Vec<String> = evidence
            .iter()
            .map(|e| {
                let value = e.value.map_or_else(|| "no figure".to_string(), figure);
                let sample = e.sample.map(|s| format!(", sample {}", figure(s))).unwrap_or_default();
                let mark = if e.breach {
                    ", missed"
                } else if e.value.is_some() && e.sample.is_some_and(|s| s < self.min_sample) {
                    ", too small a sample to count"
                } else {
                    ""
                };
                format!("{} {value}{sample}{mark}", Window::label(e.period_start))
            })
            .collect();
        format!(
            "{} per {} (threshold {} {}; a period counts with a sample of at least {}): {}.",
            self.subject,
            grain_word(self.grain),
            self.condition.words(),
            figure(self.condition.threshold()),
            figure(self.min_sample),
            parts.join("; ")
        )
    }
}

fn grain_words(grain: Grain) -> &'static str {
    match grain {
        Grain::Day => "days",
        Grain::Week => "weeks",
        Grain::Month => "months",
    }
}

fn grain_word(grain: Grain) -> &'static str {
    match grain {
        Grain::Day => "day",
        Grain::Week => "week",
        Grain::Month => "month",
    }
}

impl rule::Guest for StandardCoaching {
    fn describe() -> PluginInfo {
        info(
            "standard_coaching",
            "1.0.0",
            "Coaching tasks from any metric. Threshold: an agent whose `metric` is `direction` \
             (below or above) `threshold` in at least `breaches` of the last `periods` finished \
             `grain` periods gets a task (cause `<metric>-<direction>-<threshold>`); a period \
             counts only when the agent's sample (the metric's denominator: contacts, answers) \
             is at least `min_sample`. Percentile (when `percentile` > 0): an agent whose figure \
             over the whole window, with a sample of at least `min_sample`, is in the worst \
             `percentile` percent of their team — below the team's `percentile`-th percentile \
             for direction below, above its (100 − `percentile`)-th for above, interpolated \
             linearly between ranks — gets a task (cause `<metric>-team-p<percentile>`); a team \
             needs at least `min_team` such agents. Team alerts (when `team_alerts`): a team \
             whose own figure misses the threshold in `breaches` of the periods gets an alert. \
             Tasks take `priority` and are due `due_days` days after the run. Each action \
             carries every period's figure, sample and threshold as evidence.",
            vec![
                param_text("metric", "fcr", "the metric as the API names it: `name` or `name[param=value,…]`"),
                param_text("direction", "below", "`below` or `above`: which side of the threshold is a miss"),
                param_float("threshold", 0.70, "the figure a period must not fall below (or rise above)"),
                param_text("grain", "week", "`day`, `week` (from Monday) or `month`: the periods judged"),
                param_int("periods", 4, "how many of the last finished periods are judged (1–52)"),
                param_int("breaches", 3, "how many of them must miss the threshold (1 to `periods`)"),
                param_float("min_sample", 10.0, "a figure counts only with at least this sample (its denominator)"),
                param_float("percentile", 0.0, "0: off; else flag agents in the worst this many percent of their team"),
                param_int("min_team", 4, "agents with enough sample a team needs for the percentile condition"),
                param_bool("team_alerts", true, "raise an alert for a team whose own figure misses as often"),
                param_int(
                    "priority",
                    2,
                    "priority of the tasks and alerts, 0–9 (the higher wins on one agent and metric)",
                ),
                param_int("due_days", 14, "days after the run by which a task is due (0: no due date)"),
            ],
        )
    }

    fn evaluate(req: RuleRequest) -> Result<RuleResult, String> {
        let s = settings(&req)?;
        let window = Window::last_finished(&req, s.grain, s.periods);
        let mut actions = Vec::new();

        let per_agent = Figures::of(&series(&s.metric, &window, GroupBy::Agent)?, &window);
        for (agent, cells) in per_agent.iter() {
            if let Some(evidence) = x_of_last_y(cells, &window, &s.metric, s.condition, s.breaches, s.min_sample) {
                let detail = s.periods_detail(&evidence);
                let action = task(agent, &s.subject, &s.threshold_cause(), &s.threshold_title(), evidence);
                actions.push(s.with_terms(action, detail));
            }
        }

        if s.percentile > 0.0 {
            actions.extend(percentile_tasks(&s, &window)?);
        }

        if s.team_alerts {
            let per_team = Figures::of(&series(&s.metric, &window, GroupBy::Team)?, &window);
            for (team, cells) in per_team.iter() {
                if let Some(evidence) = x_of_last_y(cells, &window, &s.metric, s.condition, s.breaches, s.min_sample) {
                    let detail = s.periods_detail(&evidence);
                    let title = format!("team {team}: {}", s.threshold_title());
                    let action = alert(Some(team), &s.subject, &s.threshold_cause(), &title, evidence);
                    actions.push(s.with_terms(action, detail));
                }
            }
        }
        Ok(window.result(actions))
    }
}

/// One agent's figure over the window: agent id, value, sample.
type AgentFigure<'a> = (&'a str, f64, Option<f64>);

/// Tasks for the agents in the worst `percentile` percent of their team over the window.
fn percentile_tasks(s: &Settings, window: &Window) -> Result<Vec<Action>, String> {
    let teams = agent_teams()?;
    let whole = metric(&s.metric, window, GroupBy::Agent)?;
    let mut by_team: BTreeMap<&str, Vec<AgentFigure>> = BTreeMap::new();
    for row in &whole.rows {
        let (Some(value), Some(team)) = (row.value, teams.get(&row.group)) else { continue };
        if row.denominator.unwrap_or(f64::INFINITY) < s.min_sample {
            continue;
        }
        by_team.entry(team).or_default().push((row.group.as_str(), value, row.denominator));
    }
    let cause = format!("{}-team-p{}", s.subject, figure(s.percentile));
    let mut tasks = Vec::new();
    for (team, agents) in by_team {
        if agents.len() < s.min_team {
            continue;
        }
        let values: Vec<f64> = agents.iter().map(|a| a.1).collect();
        // The worst part of the team: below the p-th percentile, or above the (100 − p)-th.
        let at = match s.condition {
            Condition::Below(_) => s.percentile,
            Condition::Above(_) => 100.0 - s.percentile,
        };
        let Some(bound) = percentile(&values, at) else { continue };
        let condition = match s.condition {
            Condition::Below(_) => Condition::Below(bound),
            Condition::Above(_) => Condition::Above(bound),
        };
        for (agent, value, sample) in agents {
            if !condition.holds(value) {
                continue;
            }
            let evidence = vec![EvidenceItem {
                metric: s.metric.clone(),
                period_start: window.start,
                period_end: window.end,
                value: Some(value),
                threshold: Some(bound),
                sample,
                breach: true,
            }];
            let title = format!(
                "{} in the worst {}% of team {team} over the last {} {}",
                s.subject,
                figure(s.percentile),
                window.periods,
                grain_words(window.grain)
            );
            let detail = format!(
                "{} {} over {} to {}, {} the team's {}th percentile of {} ({} agents with a sample of at least {}).",
                s.subject,
                figure(value),
                Window::label(window.start),
                Window::label(window.end),
                condition.words(),
                figure(at),
                figure(bound),
                values.len(),
                figure(s.min_sample)
            );
            tasks.push(s.with_terms(task(agent, &s.subject, &cause, &title, evidence), detail));
        }
    }
    Ok(tasks)
}

export_rule!(StandardCoaching);
