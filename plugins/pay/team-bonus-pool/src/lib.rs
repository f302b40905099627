//! Standard pay model `team_bonus_pool`: a team bonus sized from how far the team lifted its
//! bottom-quartile agents' QA scores since the previous period, shared by the team's working
//! agents.

use std::collections::BTreeMap;

use cxhost_pay_sdk::{
    ParamsExt, PayLine, PayRequest, PluginInfo, SqlValue, export_pay_model, info, param_int, pay_model, query,
    time_range,
};

struct TeamBonusPool;

impl pay_model::Guest for TeamBonusPool {
    fn describe() -> PluginInfo {
        info(
            "team_bonus_pool",
            "1.0.0",
            "Per team: the agents with QA evaluations in both the period and the previous period \
             of equal length are ranked by their previous mean QA score; the bottom quartile is \
             the ceil(n / 4) lowest (ties by agent id). Uplift = mean of their (current − \
             previous) QA means, in points. Pool = uplift × cents_per_point × bottom-quartile \
             agents, rounded half away from zero, and nothing when the uplift is not positive. \
             The pool is shared equally by the team's agents who handled a contact in the \
             period; leftover cents go one each to the first agents by id, so the shares add up \
             to the pool exactly. One `team_bonus` line per sharing agent.",
            vec![param_int("cents_per_point", 100, "pool cents per point of uplift per bottom-quartile agent")],
        )
    }

    fn compute_pay(req: PayRequest) -> Result<Vec<PayLine>, String> {
        let cents_per_point = req.params.int("cents_per_point")?;
        if cents_per_point < 0 {
            return Err(format!("cents_per_point must not be negative, got {cents_per_point}"));
        }
        let length = req.period_end - req.period_start;
        let now = qa_means(req.period_start, req.period_end)?;
        let before = qa_means(req.period_start - length, req.period_start)?;
        let workers = working_agents(&req)?;
        let mut lines = Vec::new();
        let teams: BTreeMap<&String, ()> = now.values().map(|(team, _)| (team, ())).collect();
        for team in teams.keys() {
            let mut both: Vec<(f64, &String, f64)> = now
                .iter()
                .filter(|(_, (t, _))| t == *team)
                .filter_map(|(agent, (_, current))| before.get(agent).map(|(_, previous)| (*previous, agent, *current)))
                .collect();
            if both.is_empty() {
                continue;
            }
            both.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
            let bottom = &both[..both.len().div_ceil(4)];
            let uplift =
                bottom.iter().map(|(previous, _, current)| current - previous).sum::<f64>() / bottom.len() as f64;
            let pool = (uplift * cents_per_point as f64 * bottom.len() as f64).round() as i64;
            let sharing: Vec<&String> = workers.iter().filter(|(_, t)| t == *team).map(|(a, _)| a).collect();
            if pool <= 0 || sharing.is_empty() {
                continue;
            }
            let names: Vec<&str> = bottom.iter().map(|(_, agent, _)| agent.as_str()).collect();
            let (share, left) = (pool / sharing.len() as i64, pool % sharing.len() as i64);
            for (i, agent) in sharing.iter().enumerate() {
                lines.push(PayLine {
                    agent_id: agent.to_string(),
                    component: "team_bonus".to_string(),
                    quantity: uplift,
                    rate_cents: cents_per_point,
                    amount_cents: share + i64::from((i as i64) < left),
                    note: format!(
                        "team {team}: bottom quartile ({}) QA {uplift:+.2} points -> pool {pool} cents over {} agents",
                        names.join(", "),
                        sharing.len()
                    ),
                });
            }
        }
        Ok(lines)
    }
}

/// Mean QA score per agent over `[start, end)`, with the agent's team.
fn qa_means(start: i64, end: i64) -> Result<BTreeMap<String, (String, f64)>, String> {
    let t = query(
        "SELECT q.agent_id, a.team, avg(q.score) AS mean FROM qa_evaluations q JOIN agents a ON a.agent_id = q.agent_id \
         WHERE q.evaluated_at >= ? AND q.evaluated_at < ? GROUP BY 1, 2 ORDER BY 1",
        &[SqlValue::Timestamp(start), SqlValue::Timestamp(end)],
    )?;
    Ok(t.text("agent_id")?
        .into_iter()
        .zip(t.text("team")?)
        .zip(t.float("mean")?)
        .filter_map(|((a, team), m)| Some((a?, (team?, m?))))
        .collect())
}

/// Agents who handled a contact in the period, with their team, by id.
fn working_agents(req: &PayRequest) -> Result<Vec<(String, String)>, String> {
    let t = query(
        "SELECT DISTINCT i.agent_id, a.team FROM interactions i JOIN agents a ON a.agent_id = i.agent_id \
         WHERE i.outcome = 'handled' AND i.offered_at >= ? AND i.offered_at < ? ORDER BY 1",
        &time_range(req),
    )?;
    Ok(t.text("agent_id")?.into_iter().zip(t.text("team")?).filter_map(|(a, team)| Some((a?, team?))).collect())
}

export_pay_model!(TeamBonusPool);
