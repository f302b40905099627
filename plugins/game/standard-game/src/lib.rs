//! Standard game mechanic `standard_game`: points for what customers value, a speed reward
//! that only counts while quality holds, a CSAT-streak badge, levels from lifetime points, a
//! contacts challenge, and flags for patterns of gaming (many very short contacts, transfers
//! that dodge scores, repeat contacts the agent causes) — flags go to operators, never points.

use std::collections::BTreeMap;

use cxhost_game_sdk::{
    Award, AwardKind, AwardRequest, AwardResult, Flag, ParamsExt, PluginInfo, SqlValue, certifications,
    export_game_mechanic, game_mechanic, info, param_float, param_int, query, time_range,
};

struct StandardGame;

/// Days after a contact in which a contact of the same customer on the same reason is a repeat.
const REPEAT_DAYS: i64 = 7;

impl game_mechanic::Guest for StandardGame {
    fn describe() -> PluginInfo {
        info(
            "standard_game",
            "1.0.0",
            "Awards for the period. Points: points_per_top_box for each CSAT 4–5 answer on a \
             contact the agent kept (a transferred contact earns nothing, so transferring an \
             angry caller cannot buy a score); points_per_resolved for each handled contact \
             with no repeat (same customer and reason) within 7 days; speed_points when the \
             agent's AHT is below the team median AND quality held — FCR and CSAT no more than \
             fcr_tolerance / csat_tolerance below the agent's previous period of equal length \
             (or the team's medians when there is none); no CSAT, no speed points. Badge \
             `csat_streak_N` for N consecutive 4–5 answers in the period; badge `certified_C` for \
             each certification C completed in the period. Level = lifetime \
             points / level_points. Challenge `contacts_T`: handled contacts as percent of T. \
             Flags (to operators, no points): `short_contacts` when at least short_share of \
             min_contacts or more handled contacts took under short_seconds; \
             `transfer_dodging` when 3 or more transfers make the agent's transfer rate at \
             least twice the team's; `repeat_contacts` when at least repeat_share of the \
             agent's handled contacts (min_contacts or more) were followed by a repeat.",
            vec![
                param_int("points_per_top_box", 10, "points per CSAT 4–5 answer on a kept contact"),
                param_int("points_per_resolved", 2, "points per handled contact without a repeat"),
                param_int("speed_points", 50, "points for AHT below the team median with quality held"),
                param_float("fcr_tolerance", 0.02, "allowed FCR drop for the speed reward"),
                param_float("csat_tolerance", 0.05, "allowed CSAT drop for the speed reward"),
                param_int("streak", 5, "consecutive CSAT 4–5 answers for the streak badge"),
                param_int("level_points", 1000, "lifetime points per level"),
                param_int("challenge_contacts", 100, "handled contacts the period's challenge asks for"),
                param_int("min_contacts", 5, "contacts an agent needs before a flag can be raised"),
                param_int("short_seconds", 30, "a handled contact shorter than this is very short"),
                param_float("short_share", 0.2, "share of very short contacts that raises a flag"),
                param_float("repeat_share", 0.3, "share of repeated contacts that raises a flag"),
            ],
        )
    }

    fn award(req: AwardRequest) -> Result<AwardResult, String> {
        let p = Rules::from(&req)?;
        let length = req.period_end - req.period_start;
        let (before, now) = stats(req.period_start - length, req.period_start, req.period_end, p.short_seconds)?;
        let streaks = longest_streaks(&req)?;
        let lifetime = lifetime_points(req.period_start)?;
        let certified = certifications(req.period_start, req.period_end)?;
        let mut teams: BTreeMap<&str, Vec<&Stats>> = BTreeMap::new();
        for s in now.values() {
            teams.entry(s.team.as_str()).or_default().push(s);
        }
        let mut awards = Vec::new();
        let mut flags = Vec::new();
        for (agent, s) in &now {
            let team = &teams[s.team.as_str()];
            let award = |kind, amount, code: &str, reason: String| Award {
                agent_id: agent.clone(),
                kind,
                amount,
                code: code.to_string(),
                reason,
            };
            let mut points = 0;
            if s.top_box_kept > 0 {
                let amount = s.top_box_kept * p.points_per_top_box;
                points += amount;
                awards.push(award(
                    AwardKind::Points,
                    amount,
                    "",
                    format!("{} CSAT 4–5 answers on kept contacts", s.top_box_kept),
                ));
            }
            if s.resolved > 0 {
                let amount = s.resolved * p.points_per_resolved;
                points += amount;
                awards.push(award(
                    AwardKind::Points,
                    amount,
                    "",
                    format!("{} contacts resolved first time", s.resolved),
                ));
            }
            if let Some(reason) = speed_reward(s, before.get(agent), team, &p) {
                points += p.speed_points;
                awards.push(award(AwardKind::Points, p.speed_points, "speed", reason));
            }
            if streaks.get(agent).copied().unwrap_or(0) >= p.streak {
                let code = format!("csat_streak_{}", p.streak);
                awards.push(award(AwardKind::Badge, 0, &code, format!("{} CSAT 4–5 answers in a row", p.streak)));
            }
            for code in certified.get(agent).into_iter().flatten() {
                awards.push(award(AwardKind::Badge, 0, &format!("certified_{code}"), format!("completed {code}")));
            }
            let total = lifetime.get(agent).copied().unwrap_or(0) + points;
            if total >= p.level_points {
                awards.push(award(AwardKind::Level, total / p.level_points, "", format!("{total} lifetime points")));
            }
            if s.contacts > 0 {
                let progress = (s.contacts * 100 / p.challenge_contacts).min(100);
                let code = format!("contacts_{}", p.challenge_contacts);
                awards.push(award(
                    AwardKind::ChallengeProgress,
                    progress,
                    &code,
                    format!("{} handled contacts", s.contacts),
                ));
            }
            flags.extend(gaming_flags(agent, s, team, &p));
        }
        Ok(AwardResult { awards, flags })
    }
}

struct Rules {
    points_per_top_box: i64,
    points_per_resolved: i64,
    speed_points: i64,
    fcr_tolerance: f64,
    csat_tolerance: f64,
    streak: i64,
    level_points: i64,
    challenge_contacts: i64,
    min_contacts: i64,
    short_seconds: i64,
    short_share: f64,
    repeat_share: f64,
}

impl Rules {
    fn from(req: &AwardRequest) -> Result<Rules, String> {
        let p = &req.params;
        let positive = |name: &str| -> Result<i64, String> {
            let v = p.int(name)?;
            if v > 0 { Ok(v) } else { Err(format!("{name} must be positive, got {v}")) }
        };
        Ok(Rules {
            points_per_top_box: p.int("points_per_top_box")?,
            points_per_resolved: p.int("points_per_resolved")?,
            speed_points: p.int("speed_points")?,
            fcr_tolerance: p.float("fcr_tolerance")?,
            csat_tolerance: p.float("csat_tolerance")?,
            streak: positive("streak")?,
            level_points: positive("level_points")?,
            challenge_contacts: positive("challenge_contacts")?,
            min_contacts: positive("min_contacts")?,
            short_seconds: positive("short_seconds")?,
            short_share: p.float("short_share")?,
            repeat_share: p.float("repeat_share")?,
        })
    }
}

/// One agent's figures for a period.
struct Stats {
    team: String,
    contacts: i64,
    aht: Option<f64>,
    resolved: i64,
    short: i64,
    transfers: i64,
    top_box_kept: i64,
    csat: Option<f64>,
}

impl Stats {
    fn fcr(&self) -> Option<f64> {
        (self.contacts > 0).then(|| self.resolved as f64 / self.contacts as f64)
    }
}

/// Every agent's figures in the period before `[start, end)` (from `before`) and in the period
/// itself, in one query: one window over both periods' contacts (and the look-ahead) finds
/// each contact's next one.
#[allow(clippy::type_complexity)]
fn stats(
    before: i64,
    start: i64,
    end: i64,
    short_seconds: i64,
) -> Result<(BTreeMap<String, Stats>, BTreeMap<String, Stats>), String> {
    let lookahead = end + REPEAT_DAYS * 86_400_000_000;
    let sql = format!(
        "WITH c AS (SELECT agent_id, CAST(offered_at >= ? AS INTEGER) AS period, \
             talk_seconds + hold_seconds + wrap_seconds AS secs, transferred, \
             (next_at IS NULL OR next_at > offered_at + INTERVAL {REPEAT_DAYS} DAY) AS resolved \
           FROM (SELECT *, lead(offered_at) OVER (PARTITION BY customer_id, contact_reason \
               ORDER BY offered_at, interaction_id) AS next_at FROM interactions WHERE offered_at >= ? AND offered_at < ?) \
           WHERE outcome = 'handled' AND agent_id IS NOT NULL AND offered_at >= ? AND offered_at < ?), \
         cs AS (SELECT agent_id, period, count(*) AS contacts, avg(secs) AS aht, \
             count(*) FILTER (WHERE resolved) AS resolved, count(*) FILTER (WHERE secs < {short_seconds}) AS short, \
             count(*) FILTER (WHERE transferred) AS transfers \
           FROM c GROUP BY 1, 2), \
         fs AS (SELECT f.agent_id, CAST(f.responded_at >= ? AS INTEGER) AS period, \
             count(*) FILTER (WHERE f.csat >= 4 AND NOT coalesce(i.transferred, FALSE)) AS kept, \
             CAST(count(*) FILTER (WHERE f.csat >= 4) AS DOUBLE) / count(*) AS csat \
           FROM customer_feedback f LEFT JOIN interactions i ON i.interaction_id = f.interaction_id \
           WHERE f.csat IS NOT NULL AND f.agent_id IS NOT NULL AND f.responded_at >= ? AND f.responded_at < ? \
           GROUP BY 1, 2) \
         SELECT a.agent_id, a.team, p.period, CAST(coalesce(cs.contacts, 0) AS BIGINT) AS contacts, cs.aht, \
           CAST(coalesce(cs.resolved, 0) AS BIGINT) AS resolved, CAST(coalesce(cs.short, 0) AS BIGINT) AS short, \
           CAST(coalesce(cs.transfers, 0) AS BIGINT) AS transfers, CAST(coalesce(fs.kept, 0) AS BIGINT) AS kept, fs.csat \
         FROM agents a CROSS JOIN (VALUES (0), (1)) p(period) \
           LEFT JOIN cs ON cs.agent_id = a.agent_id AND cs.period = p.period \
           LEFT JOIN fs ON fs.agent_id = a.agent_id AND fs.period = p.period \
         ORDER BY 1, 3"
    );
    let ts = SqlValue::Timestamp;
    let params = [ts(start), ts(before), ts(lookahead), ts(before), ts(end), ts(start), ts(before), ts(end)];
    let t = query(&sql, &params)?;
    let (agents, teams, periods) = (t.text("agent_id")?, t.text("team")?, t.int("period")?);
    let (contacts, aht, resolved) = (t.int("contacts")?, t.float("aht")?, t.int("resolved")?);
    let (short, transfers, kept, csat) = (t.int("short")?, t.int("transfers")?, t.int("kept")?, t.float("csat")?);
    let (mut earlier, mut this) = (BTreeMap::new(), BTreeMap::new());
    for i in 0..t.row_count() {
        let Some(agent) = agents[i].clone() else { continue };
        let stats = Stats {
            team: teams[i].clone().unwrap_or_default(),
            contacts: contacts[i].unwrap_or(0),
            aht: aht[i],
            resolved: resolved[i].unwrap_or(0),
            short: short[i].unwrap_or(0),
            transfers: transfers[i].unwrap_or(0),
            top_box_kept: kept[i].unwrap_or(0),
            csat: csat[i],
        };
        let period = if periods[i] == Some(1) { &mut this } else { &mut earlier };
        period.insert(agent, stats);
    }
    Ok((earlier, this))
}

/// Each agent's longest run of consecutive CSAT 4–5 answers in the period.
fn longest_streaks(req: &AwardRequest) -> Result<BTreeMap<String, i64>, String> {
    let t = query(
        "SELECT agent_id, csat FROM customer_feedback WHERE csat IS NOT NULL AND agent_id IS NOT NULL \
         AND responded_at >= ? AND responded_at < ? ORDER BY agent_id, responded_at, feedback_id",
        &time_range(req),
    )?;
    let mut best: BTreeMap<String, i64> = BTreeMap::new();
    let (mut current_agent, mut run) = (String::new(), 0);
    for (agent, csat) in t.text("agent_id")?.into_iter().zip(t.int("csat")?) {
        let (Some(agent), Some(csat)) = (agent, csat) else { continue };
        if agent != current_agent {
            (current_agent, run) = (agent.clone(), 0);
        }
        run = if csat >= 4 { run + 1 } else { 0 };
        let entry = best.entry(agent).or_default();
        *entry = (*entry).max(run);
    }
    Ok(best)
}

/// Net points in the ledger from periods that ended by `before`.
fn lifetime_points(before: i64) -> Result<BTreeMap<String, i64>, String> {
    let t = query(
        "SELECT agent_id, CAST(sum(amount) AS BIGINT) AS points FROM points_ledger \
         WHERE kind = 'points' AND period_end <= ? GROUP BY 1",
        &[SqlValue::Timestamp(before)],
    )?;
    Ok(t.text("agent_id")?.into_iter().zip(t.int("points")?).filter_map(|(a, p)| Some((a?, p.unwrap_or(0)))).collect())
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

/// Why the speed reward is earned, or `None`: AHT under the team median, quality held.
fn speed_reward(s: &Stats, before: Option<&Stats>, team: &[&Stats], p: &Rules) -> Option<String> {
    let aht = s.aht?;
    let team_aht = median(team.iter().filter_map(|t| t.aht).collect())?;
    if aht >= team_aht {
        return None;
    }
    let (fcr, csat) = (s.fcr()?, s.csat?);
    let (fcr_base, csat_base, against) = match before.and_then(|b| Some((b.fcr()?, b.csat?))) {
        Some((f, c)) => (f, c, "the previous period"),
        None => (
            median(team.iter().filter_map(|t| t.fcr()).collect())?,
            median(team.iter().filter_map(|t| t.csat).collect())?,
            "the team's medians",
        ),
    };
    if fcr < fcr_base - p.fcr_tolerance || csat < csat_base - p.csat_tolerance {
        return None;
    }
    Some(format!(
        "AHT {aht:.0} s under the team median {team_aht:.0} s with FCR {fcr:.2} and CSAT {csat:.2} held against {against}"
    ))
}

fn gaming_flags(agent: &str, s: &Stats, team: &[&Stats], p: &Rules) -> Vec<Flag> {
    let flag =
        |pattern: &str, detail: String| Flag { agent_id: agent.to_string(), pattern: pattern.to_string(), detail };
    let mut flags = Vec::new();
    if s.contacts >= p.min_contacts && s.short as f64 >= p.short_share * s.contacts as f64 {
        let detail = format!("{} of {} handled contacts under {} s", s.short, s.contacts, p.short_seconds);
        flags.push(flag("short_contacts", detail));
    }
    let (team_transfers, team_contacts) = team.iter().fold((0, 0), |(t, c), m| (t + m.transfers, c + m.contacts));
    if s.transfers >= 3 && s.contacts > 0 {
        let rate = s.transfers as f64 / s.contacts as f64;
        let team_rate = team_transfers as f64 / team_contacts.max(1) as f64;
        if rate >= 2.0 * team_rate {
            let detail = format!(
                "transfer rate {rate:.2} ({} of {}) against the team's {team_rate:.2}",
                s.transfers, s.contacts
            );
            flags.push(flag("transfer_dodging", detail));
        }
    }
    if s.contacts >= p.min_contacts {
        let repeats = s.contacts - s.resolved;
        if repeats as f64 >= p.repeat_share * s.contacts as f64 {
            let detail = format!("{repeats} of {} handled contacts came back within {REPEAT_DAYS} days", s.contacts);
            flags.push(flag("repeat_contacts", detail));
        }
    }
    flags
}

export_game_mechanic!(StandardGame);
