//! Fair rankings: agents ranked by how they did against what their own mix of records would
//! lead one to expect — each record's expected part from the tenant-wide figure of its cell
//! (queue × contact reason × channel, tenure bands on request), the agent's residual shrunk
//! towards zero by empirical Bayes (k = within ÷ between variance), with an interval, beside
//! the raw figure; agents below a minimum sample listed but not ranked. One SQL statement over
//! the metric's records (`records::RecordsSource`) does the heavy part; the estimate is here.

use std::collections::HashMap;

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};
use utoipa::ToSchema;

use crate::analytics::records::{Read, RecordsError, RecordsSource, SURVEY_SOURCE};
use crate::app::Services;
use crate::params::ParamError;

/// The records an agent needs to be ranked unless `min_sample` says otherwise.
pub const DEFAULT_MIN_SAMPLE: u32 = 30;

/// The largest `min_sample` accepted.
pub const MAX_MIN_SAMPLE: u32 = 1_000_000;

/// The group records without an agent fall in (`group_by=agent`): counted in the tenant's
/// figure and the cells' rates, never listed.
const NO_AGENT: &str = "(none)";

/// How the method is stated in every answer.
pub const METHOD: &str = "Each record's expected part is its denominator times the tenant-wide rate of its cell \
     (sum of numerators / sum of denominators over all the tenant's records in the range with the same values of \
     the adjusted columns); records with numerator and denominator both 0 do not count. An agent's residual r = \
     (numerator - expected numerator) / denominator, over the agent's records. Empirical Bayes (method of moments): \
     within variance s2w = sum over ranked agents of (sum of e^2/den - r^2 n) / sum of (records - 1); an agent's \
     sampling variance v = s2w / n; between variance tau2 = max(0, sample variance of r over ranked agents - mean v); \
     k = s2w / tau2; shrinkage B = n / (n + k); score = B r, with a 95% interval score +/- 1.96 sqrt(B v); adjusted \
     value = tenant figure + score. Ranks (1 = best, ties share the better rank) among agents with at least \
     min_sample records; others are listed unranked.";

/// A column a ranking adjusts for: records are compared within cells of equal values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Adjust {
    Queue,
    ContactReason,
    Channel,
    /// The agent's tenure when the record happened, in bands (`TENURE_BANDS`).
    Tenure,
}

/// The tenure bands, from the agent's `hired_at` to the record's time: under 90 days, 90 days
/// to a year (365 days), one to two years, two years or more; `unknown` without a hiring date.
pub const TENURE_BANDS: [&str; 5] =
    ["under 90 days", "90 days to 1 year", "1 to 2 years", "2 years or more", "unknown"];

/// What `adjust` means when not given: the contact's mix, without tenure.
pub const DEFAULT_ADJUST: [Adjust; 3] = [Adjust::Queue, Adjust::ContactReason, Adjust::Channel];

impl Adjust {
    pub fn name(self) -> &'static str {
        match self {
            Adjust::Queue => "queue",
            Adjust::ContactReason => "contact_reason",
            Adjust::Channel => "channel",
            Adjust::Tenure => "tenure",
        }
    }

    fn parse(text: &str) -> Option<Adjust> {
        [Adjust::Queue, Adjust::ContactReason, Adjust::Channel, Adjust::Tenure].into_iter().find(|a| a.name() == text)
    }

    /// The column of the cell in the ranking's SQL, and the expression that gives it.
    fn cell(self) -> (&'static str, String) {
        match self {
            Adjust::Queue => ("cell_queue", "CAST(r.queue AS VARCHAR)".to_string()),
            Adjust::ContactReason => ("cell_reason", "CAST(r.contact_reason AS VARCHAR)".to_string()),
            Adjust::Channel => ("cell_channel", "CAST(r.channel AS VARCHAR)".to_string()),
            Adjust::Tenure => {
                let days = "date_diff('day', ta.hired_at, CAST(r.occurred_at AS DATE))";
                let [new, first, second, senior, unknown] = TENURE_BANDS;
                (
                    "cell_tenure",
                    format!(
                        "CASE WHEN ta.hired_at IS NULL OR r.occurred_at IS NULL THEN '{unknown}' WHEN {days} < 90 THEN '{new}' \
                         WHEN {days} < 365 THEN '{first}' WHEN {days} < 730 THEN '{second}' ELSE '{senior}' END"
                    ),
                )
            }
        }
    }
}

/// Reads `adjust`: a comma-separated list of `queue`, `contact_reason`, `channel` and `tenure`,
/// or `none` (or empty) for no adjustment; [`DEFAULT_ADJUST`] when absent.
pub fn parse_adjust(text: Option<&str>) -> Result<Vec<Adjust>, ParamError> {
    let Some(text) = text else { return Ok(DEFAULT_ADJUST.to_vec()) };
    let bad = || ParamError::BadValue {
        name: "adjust".into(),
        expected: "a comma-separated list of queue, contact_reason, channel and tenure, or none",
        text: text.to_string(),
    };
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "none" {
        return Ok(Vec::new());
    }
    let mut adjust = Vec::new();
    for part in trimmed.split(',') {
        let one = Adjust::parse(part.trim()).ok_or_else(bad)?;
        if !adjust.contains(&one) {
            adjust.push(one);
        }
    }
    adjust.sort();
    Ok(adjust)
}

/// Reads `min_sample`: records an agent needs to be ranked, 1 to [`MAX_MIN_SAMPLE`]
/// ([`DEFAULT_MIN_SAMPLE`] when absent).
pub fn parse_min_sample(text: Option<&str>) -> Result<u32, ParamError> {
    let Some(text) = text else { return Ok(DEFAULT_MIN_SAMPLE) };
    text.trim().parse::<u32>().ok().filter(|n| (1..=MAX_MIN_SAMPLE).contains(n)).ok_or_else(|| ParamError::BadValue {
        name: "min_sample".into(),
        expected: "a whole number from 1 to 1000000",
        text: text.to_string(),
    })
}

/// The one SQL statement of a ranking over the metric's `records` (as the outer part of
/// [`RecordsSource::select`], whose `WITH records AS (…)` it continues): each counted record's
/// cell, the cells' tenant-wide rates (aggregated, then joined back on the cell columns, null
/// equal to null), each record's residual, and per agent (the records' group) the sums the
/// estimate needs; one row per group, `(none)` included, with the agent's team and name and
/// the number of cells. The counted records are materialized once, as both the cells and the
/// residuals read them (a year of 20,000 agents: 1.19 s against 1.28 s read twice; one pass
/// aggregating per agent and cell first was slower, 1.37 s).
pub fn ranking_sql(adjust: &[Adjust]) -> String {
    let cells: Vec<(&str, String)> = adjust.iter().map(|a| a.cell()).collect();
    let tenure_join = if adjust.contains(&Adjust::Tenure) {
        " LEFT JOIN agents ta ON ta.agent_id = CAST(r.grp AS VARCHAR)"
    } else {
        ""
    };
    let cell_select: String = cells.iter().map(|(name, expr)| format!(", {expr} AS {name}")).collect();
    let cell_names: Vec<&str> = cells.iter().map(|(name, _)| *name).collect();
    let (cell_list, group_by) = if cell_names.is_empty() {
        (String::new(), String::new())
    } else {
        (format!("{}, ", cell_names.join(", ")), format!(" GROUP BY {}", cell_names.join(", ")))
    };
    let on = if cell_names.is_empty() {
        "TRUE".to_string()
    } else {
        cell_names.iter().map(|c| format!("x.{c} IS NOT DISTINCT FROM c.{c}")).collect::<Vec<_>>().join(" AND ")
    };
    format!(
        ", ranking_rows AS MATERIALIZED (\
             SELECT CAST(r.grp AS VARCHAR) AS agent, coalesce(CAST(r.num AS DOUBLE), 0) AS num, \
             coalesce(CAST(r.den AS DOUBLE), 0) AS den, CAST(r.source AS VARCHAR) = '{SURVEY_SOURCE}' AS survey\
             {cell_select} \
             FROM records r{tenure_join} \
             WHERE coalesce(CAST(r.num AS DOUBLE), 0) <> 0 OR coalesce(CAST(r.den AS DOUBLE), 0) <> 0), \
         ranking_cells AS (\
             SELECT {cell_list}sum(num) / nullif(sum(den), 0) AS rate FROM ranking_rows{group_by}), \
         ranking_agents AS (\
             SELECT agent, count(*) FILTER (WHERE den > 0) AS records, sum(den) AS n, sum(num) AS num, sum(e) AS e, \
             coalesce(sum(e * e / den) FILTER (WHERE den > 0), 0) AS e2, count(*) FILTER (WHERE survey) AS survey_rows \
             FROM (SELECT x.agent, x.num, x.den, x.survey, x.num - x.den * coalesce(c.rate, 0) AS e \
                   FROM ranking_rows x JOIN ranking_cells c ON {on}) \
             GROUP BY agent) \
         SELECT g.agent, CAST(g.records AS BIGINT) AS records, g.n, g.num, g.e, g.e2, \
             CAST(g.survey_rows AS BIGINT) AS survey_rows, CAST(a.team AS VARCHAR) AS team, \
             CAST(a.name AS VARCHAR) AS name, (SELECT count(*) FROM ranking_cells) AS cells \
         FROM ranking_agents g LEFT JOIN agents a ON a.agent_id = g.agent ORDER BY g.agent"
    )
}

/// One agent's sums over its counted records, as the SQL gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSums {
    pub agent_id: String,
    pub name: Option<String>,
    pub team: Option<String>,
    /// Records with a denominator above 0.
    pub records: u64,
    /// Σ den.
    pub n: f64,
    /// Σ num.
    pub num: f64,
    /// Σ e, e = num − den · (the record's cell rate).
    pub e: f64,
    /// Σ e² / den over records with den > 0.
    pub e2: f64,
}

/// The tenant's figure over every counted record in the range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantFigure {
    pub numerator: f64,
    pub denominator: f64,
    /// numerator / denominator; none when the denominator is 0.
    pub value: Option<f64>,
    /// Records counted (numerator or denominator not 0).
    pub records: u64,
    /// Cells the records fall in.
    pub cells: u64,
}

/// The empirical-Bayes estimate's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Statistics {
    /// Agents with at least `min_sample` records, over whom the variances are estimated.
    pub agents_ranked: u32,
    /// Every agent listed.
    pub agents_listed: u32,
    /// σ²w: the pooled within-agent variance per unit of denominator.
    pub within_variance: f64,
    /// τ²: the variance of agents' true residuals (method of moments; 0 when the spread of
    /// residuals is no more than sampling noise).
    pub between_variance: f64,
    /// k = σ²w / τ²: the denominator at which an agent's residual is shrunk by half; none when
    /// τ² is 0 (every score 0).
    pub k: Option<f64>,
    /// The normal quantile of the 95% intervals.
    pub z: f64,
}

/// One agent in a ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentRanking {
    pub agent_id: String,
    pub name: Option<String>,
    pub team: Option<String>,
    /// Whether the agent has at least `min_sample` records and so a rank.
    pub ranked: bool,
    /// Records counted with a denominator above 0.
    pub records: u64,
    /// The agent's denominator (contacts, answers, hours…).
    pub denominator: f64,
    pub numerator: f64,
    /// numerator / denominator.
    pub raw_value: Option<f64>,
    /// What the agent's figure would be at the cell rates, with the agent's own mix.
    pub expected: Option<f64>,
    /// raw_value − expected.
    pub residual: Option<f64>,
    /// B = n / (n + k): how much of the residual is kept.
    pub shrinkage: f64,
    /// B × residual: the agent's estimated effect.
    pub score: f64,
    pub score_low: f64,
    pub score_high: f64,
    /// The tenant's figure + score: the agent's figure on an average mix, shrunk.
    pub adjusted_value: Option<f64>,
    /// Rank by raw value (1 = best); none when not ranked.
    pub raw_rank: Option<u32>,
    /// Rank by adjusted value (1 = best); none when not ranked.
    pub adjusted_rank: Option<u32>,
    /// raw_rank − adjusted_rank: places gained by adjusting (negative: lost).
    pub rank_change: Option<i64>,
}

/// A fair ranking, before the route adds which metric and version it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranking {
    /// The columns adjusted for.
    pub adjust: Vec<Adjust>,
    /// The tenure bands, when tenure is adjusted for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenure_bands: Option<Vec<String>>,
    pub min_sample: u32,
    pub higher_is_better: bool,
    pub tenant: TenantFigure,
    pub statistics: Statistics,
    pub method: String,
    /// Anything that changes how to read this ranking (every score 0, no agent ranked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Ranked agents by adjusted rank (then raw rank), then the unranked by id.
    pub agents: Vec<AgentRanking>,
}

/// What a ranking is asked for.
#[derive(Debug, Clone)]
pub struct RankAsk {
    pub adjust: Vec<Adjust>,
    pub min_sample: u32,
}

/// Ranks the agents of `source` (a metric's records grouped by agent). Blocking: it runs the
/// records query.
pub fn rank(state: &Services, source: &RecordsSource, ask: &RankAsk) -> Result<Ranking, RecordsError> {
    let batch = source.select(state, &ranking_sql(&ask.adjust), Vec::new())?;
    let read = Read(&batch);
    let rows = batch.row_count as usize;
    let mut agents = Vec::with_capacity(rows);
    let (mut numerator, mut denominator, mut records, mut survey_rows, mut cells) = (0.0, 0.0, 0u64, 0u64, 0u64);
    for i in 0..rows {
        let sums = AgentSums {
            agent_id: read.text("agent", i).unwrap_or_else(|| NO_AGENT.to_string()),
            name: read.text("name", i),
            team: read.text("team", i),
            records: read.float("records", i).unwrap_or(0.0) as u64,
            n: read.float("n", i).unwrap_or(0.0),
            num: read.float("num", i).unwrap_or(0.0),
            e: read.float("e", i).unwrap_or(0.0),
            e2: read.float("e2", i).unwrap_or(0.0),
        };
        numerator += sums.num;
        denominator += sums.n;
        records += sums.records;
        survey_rows += read.float("survey_rows", i).unwrap_or(0.0) as u64;
        cells = read.float("cells", i).unwrap_or(0.0) as u64;
        if sums.agent_id != NO_AGENT {
            agents.push(sums);
        }
    }
    if survey_rows > 0 {
        return Err(RecordsError::SurveysByAgent);
    }
    let tenant = TenantFigure {
        numerator,
        denominator,
        value: (denominator != 0.0).then(|| numerator / denominator),
        records,
        cells,
    };
    Ok(estimate(agents, tenant, ask, source.query.higher_is_better))
}

/// The 0.975 quantile of the standard normal.
fn z95() -> f64 {
    Normal::new(0.0, 1.0).map(|n| n.inverse_cdf(0.975)).unwrap_or(1.959_963_984_540_054)
}

/// The estimate and the ranks from the agents' sums (pure: the unit tests work it by hand).
pub fn estimate(sums: Vec<AgentSums>, tenant: TenantFigure, ask: &RankAsk, higher_is_better: bool) -> Ranking {
    let is_ranked = |a: &AgentSums| u64::from(ask.min_sample) <= a.records && a.n > 0.0;
    let residual = |a: &AgentSums| a.e / a.n;
    let ranked: Vec<&AgentSums> = sums.iter().filter(|a| is_ranked(a)).collect();
    // σ²w: the within-agent sums of squares about each agent's own residual, pooled.
    let (ss, df) = ranked
        .iter()
        .fold((0.0, 0.0), |(ss, df), a| (ss + (a.e2 - residual(a).powi(2) * a.n), df + (a.records as f64 - 1.0)));
    let within = if df > 0.0 { (ss / df).max(0.0) } else { 0.0 };
    // τ²: the spread of residuals less the mean sampling variance.
    let between = if ranked.len() >= 2 {
        let m = ranked.len() as f64;
        let mean = ranked.iter().map(|a| residual(a)).sum::<f64>() / m;
        let spread = ranked.iter().map(|a| (residual(a) - mean).powi(2)).sum::<f64>() / (m - 1.0);
        let sampling = ranked.iter().map(|a| within / a.n).sum::<f64>() / m;
        (spread - sampling).max(0.0)
    } else {
        0.0
    };
    let k = (between > 0.0).then(|| within / between);
    let z = z95();
    let mut agents: Vec<AgentRanking> = sums
        .iter()
        .map(|a| {
            let has_n = a.n > 0.0;
            let r = if has_n { residual(a) } else { 0.0 };
            let shrinkage = match k {
                Some(k) if has_n => a.n / (a.n + k),
                _ => 0.0,
            };
            let score = shrinkage * r;
            let half = if has_n { z * (shrinkage * within / a.n).sqrt() } else { 0.0 };
            AgentRanking {
                agent_id: a.agent_id.clone(),
                name: a.name.clone(),
                team: a.team.clone(),
                ranked: is_ranked(a),
                records: a.records,
                denominator: a.n,
                numerator: a.num,
                raw_value: has_n.then(|| a.num / a.n),
                expected: has_n.then(|| (a.num - a.e) / a.n),
                residual: has_n.then_some(r),
                shrinkage,
                score,
                score_low: score - half,
                score_high: score + half,
                adjusted_value: tenant.value.filter(|_| has_n).map(|t| t + score),
                raw_rank: None,
                adjusted_rank: None,
                rank_change: None,
            }
        })
        .collect();
    let raw = ranks(&agents, |a| a.raw_value, higher_is_better);
    let adjusted = ranks(&agents, |a| a.adjusted_value, higher_is_better);
    for (i, agent) in agents.iter_mut().enumerate() {
        agent.raw_rank = raw.get(&i).copied();
        agent.adjusted_rank = adjusted.get(&i).copied();
        agent.rank_change = match (agent.raw_rank, agent.adjusted_rank) {
            (Some(raw), Some(adjusted)) => Some(i64::from(raw) - i64::from(adjusted)),
            _ => None,
        };
    }
    agents.sort_by(|a, b| {
        let key = |x: &AgentRanking| (x.adjusted_rank.is_none(), x.adjusted_rank, x.raw_rank);
        key(a).cmp(&key(b)).then_with(|| a.agent_id.cmp(&b.agent_id))
    });
    let agents_ranked = ranked.len() as u32;
    let note = if agents_ranked == 0 {
        Some(format!(
            "no agent has {} or more records in this range: every agent is listed unranked; lower min_sample or \
             widen the range",
            ask.min_sample
        ))
    } else if k.is_none() {
        Some(
            "the between-agent variance is 0 (the agents' residuals spread no more than their sampling noise, or \
             fewer than two agents are ranked): every score is shrunk to 0 and every adjusted value is the tenant's \
             figure, so adjusted ranks are all tied"
                .to_string(),
        )
    } else {
        None
    };
    Ranking {
        tenure_bands: ask
            .adjust
            .contains(&Adjust::Tenure)
            .then(|| TENURE_BANDS.iter().map(|b| b.to_string()).collect()),
        adjust: ask.adjust.clone(),
        min_sample: ask.min_sample,
        higher_is_better,
        tenant,
        statistics: Statistics {
            agents_ranked,
            agents_listed: agents.len() as u32,
            within_variance: within,
            between_variance: between,
            k,
            z,
        },
        method: METHOD.to_string(),
        note,
        agents,
    }
}

/// Ranks (1 = best; ties share the better rank) of the ranked agents by `value`, by index.
fn ranks(
    agents: &[AgentRanking],
    value: impl Fn(&AgentRanking) -> Option<f64>,
    higher_is_better: bool,
) -> HashMap<usize, u32> {
    let mut scored: Vec<(usize, f64)> =
        agents.iter().enumerate().filter(|(_, a)| a.ranked).filter_map(|(i, a)| value(a).map(|v| (i, v))).collect();
    scored.sort_by(|a, b| if higher_is_better { b.1.total_cmp(&a.1) } else { a.1.total_cmp(&b.1) });
    let mut out = HashMap::with_capacity(scored.len());
    let mut rank = 0u32;
    for (place, (i, v)) in scored.iter().enumerate() {
        if place == 0 || *v != scored[place - 1].1 {
            rank = place as u32 + 1;
        }
        out.insert(*i, rank);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(agent: &str, records: u64, n: f64, num: f64, e: f64, e2: f64) -> AgentSums {
        AgentSums { agent_id: agent.into(), name: None, team: None, records, n, num, e, e2 }
    }

    fn tenant(numerator: f64, denominator: f64) -> TenantFigure {
        TenantFigure { numerator, denominator, value: Some(numerator / denominator), records: 0, cells: 1 }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    /// Three agents of unit-denominator records (contacts), one cell whose rate is 10:
    /// - a: 4 records 8, 10, 12, 10 → e = −2, 0, 2, 0: Σe 0, Σe² 8, r 0;
    /// - b: 4 records 14, 16, 12, 14 → e = 4, 6, 2, 4: Σe 16, Σe² 72, r 4;
    /// - c: 4 records 6, 8, 4, 6 → e = −4, −2, −6, −4: Σe −16, Σe² 72, r −4.
    ///
    /// σ²w = (8 − 0 + 72 − 64 + 72 − 64) / (3 + 3 + 3) = 24 / 9 = 8/3; v = 2/3 each;
    /// residuals 0, 4, −4: sample variance 16; τ² = 16 − 2/3 = 46/3; k = (8/3)/(46/3) = 4/23;
    /// B = 4 / (4 + 4/23) = 23/24; b's score 4 · 23/24 = 23/6, interval ± 1.96·√(23/24 · 2/3).
    #[test]
    fn shrinkage_by_hand() {
        let agents = vec![
            sums("a", 4, 4.0, 40.0, 0.0, 8.0),
            sums("b", 4, 4.0, 56.0, 16.0, 72.0),
            sums("c", 4, 4.0, 24.0, -16.0, 72.0),
        ];
        let ask = RankAsk { adjust: DEFAULT_ADJUST.to_vec(), min_sample: 2 };
        let ranking = estimate(agents, tenant(120.0, 12.0), &ask, false);
        let s = &ranking.statistics;
        assert!(close(s.within_variance, 8.0 / 3.0), "{s:?}");
        assert!(close(s.between_variance, 46.0 / 3.0), "{s:?}");
        assert!(close(s.k.unwrap(), 4.0 / 23.0), "{s:?}");
        let b = ranking.agents.iter().find(|a| a.agent_id == "b").unwrap();
        assert!(close(b.shrinkage, 23.0 / 24.0));
        assert!(close(b.score, 23.0 / 6.0));
        let half = s.z * (23.0f64 / 24.0 * 2.0 / 3.0).sqrt();
        assert!(close(b.score_high - b.score, half) && close(b.score - b.score_low, half));
        assert!(close(b.adjusted_value.unwrap(), 10.0 + 23.0 / 6.0));
        assert_eq!(b.expected, Some(10.0));
        // Lower is better: c (r −4) first, a, then b.
        let order: Vec<&str> = ranking.agents.iter().map(|a| a.agent_id.as_str()).collect();
        assert_eq!(order, ["c", "a", "b"]);
        assert_eq!(b.raw_rank, Some(3));
        assert!(ranking.note.is_none());
    }

    /// Residuals no wider than their noise: τ² = 0, every score 0, every adjusted rank tied,
    /// and the answer says so. An agent below `min_sample` is listed without a rank.
    #[test]
    fn no_between_variance_shrinks_everything() {
        // Rate 10; a's records 11.5 and 9.5 (e 1.5, −0.5), b's 8.5 and 10.5: residuals ±0.5, whose
        // sample variance 0.5 is below the sampling variance σ²w / n = 2 / 2.
        let agents = vec![
            sums("a", 2, 2.0, 21.0, 1.0, 2.5),
            sums("b", 2, 2.0, 19.0, -1.0, 2.5),
            sums("c", 1, 1.0, 10.0, 0.0, 0.0),
        ];
        let ask = RankAsk { adjust: vec![], min_sample: 2 };
        let ranking = estimate(agents, tenant(50.0, 5.0), &ask, true);
        assert_eq!(ranking.statistics.between_variance, 0.0);
        assert_eq!(ranking.statistics.k, None);
        assert!(ranking.note.as_deref().unwrap().contains("between-agent variance is 0"));
        for agent in &ranking.agents {
            assert_eq!(agent.score, 0.0);
        }
        let a = ranking.agents.iter().find(|a| a.agent_id == "a").unwrap();
        let b = ranking.agents.iter().find(|a| a.agent_id == "b").unwrap();
        assert_eq!((a.raw_rank, b.raw_rank), (Some(1), Some(2)));
        assert_eq!((a.adjusted_rank, b.adjusted_rank), (Some(1), Some(1)));
        let c = ranking.agents.iter().find(|a| a.agent_id == "c").unwrap();
        assert!(!c.ranked && c.raw_rank.is_none() && c.rank_change.is_none());
        assert_eq!(ranking.agents.last().unwrap().agent_id, "c");
    }

    #[test]
    fn adjust_reads_lists_and_refuses_unknown_columns() {
        assert_eq!(parse_adjust(None).unwrap(), DEFAULT_ADJUST.to_vec());
        assert_eq!(parse_adjust(Some("tenure,queue,queue")).unwrap(), vec![Adjust::Queue, Adjust::Tenure]);
        assert!(parse_adjust(Some("none")).unwrap().is_empty());
        assert!(parse_adjust(Some("queue,site")).is_err());
        assert!(parse_min_sample(Some("0")).is_err());
        assert_eq!(parse_min_sample(None).unwrap(), DEFAULT_MIN_SAMPLE);
    }
}
