//! Standard pay model `standard_pay`: per-minute and per-contact pay, a peak-hour premium by
//! windows of the agent's local time, sales commission, a quality gate on the bonus parts,
//! a platform fee, and a minimum-wage floor per hour worked that tops the statement up.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use cxhost_pay_sdk::{
    ParamsExt, PayLine, PayRequest, PluginInfo, SqlValue, certifications, div_round, export_pay_model, info,
    param_float, param_int, param_text, pay_model, query, time_range,
};
use std::collections::BTreeMap;

struct StandardPay;

const MICROS_PER_MINUTE: i64 = 60_000_000;
/// Offsets are looked up on a 15-minute grid: every zone in use changes offset on one.
const GRID_MINUTES: i64 = 15;

impl pay_model::Guest for StandardPay {
    fn describe() -> PluginInfo {
        info(
            "standard_pay",
            "1.0.0",
            "Pay per agent for the period, in integer cents, rounding each line half away from \
             zero. Work is the agent's handled contacts offered in the period. `per_minute`: \
             handled minutes (talk + hold + wrap) × per_minute_cents. `per_contact`: handled \
             contacts × per_contact_cents. `peak_premium`: (peak_multiplier − 1) × \
             per_minute_cents on the minutes of contacts that start (answered, else offered) \
             inside one of `peak_windows` — `HH:MM-HH:MM` in the agent's own time zone \
             (agents.timezone, UTC when empty), a window may cross midnight. `commission`: \
             commission_percent of the revenue of the agent's sales. Quality gate: the peak \
             premium and commission are bonuses, paid only when the agent's CSAT (share of 4–5 \
             answers in the period) is at least min_csat and the mean QA score at least min_qa \
             (0 = no gate); a gated line shows 0 and why. `surge_premium`: per UTC hour, demand \
             = contacts offered (self-service excluded) and capacity = agents logged in during \
             the hour × surge_contacts_per_agent_hour; when demand exceeds capacity the hour's \
             multiplier is 1 + surge_slope × (demand / capacity − 1), at most surge_cap (an \
             hour with demand and nobody logged in takes the cap); the premium is (multiplier − \
             1) × per_minute_cents on the minutes of contacts starting in the hour — pay for \
             working under load, not gated. `certification_bonus`: certification_bonus_cents for \
             each certification the agent completed in the period, not gated. `platform_fee`: minus \
             platform_fee_cents. `minimum_wage_top_up`: hours worked (agent_states intervals \
             clipped to the period) × min_wage_cents_per_hour; when the statement's total is \
             below it, this line makes up the difference — no fee, penalty or gate takes pay \
             under the floor.",
            vec![
                param_int("per_minute_cents", 0, "pay per handled minute, in cents"),
                param_int("per_contact_cents", 0, "pay per handled contact, in cents"),
                param_text("peak_windows", "", "local-time windows, e.g. `17:00-21:00,22:00-02:00`"),
                param_float("peak_multiplier", 1.5, "multiplier of per-minute pay inside peak windows"),
                param_float("commission_percent", 0.0, "percent of sales revenue"),
                param_float("min_csat", 0.0, "quality gate: minimum CSAT share (0–1) for bonuses; 0 = none"),
                param_float("min_qa", 0.0, "quality gate: minimum mean QA score (0–100) for bonuses; 0 = none"),
                param_int("platform_fee_cents", 0, "fee deducted per statement, in cents"),
                param_int("min_wage_cents_per_hour", 0, "minimum pay per hour worked, in cents; 0 = none"),
                param_int(
                    "surge_contacts_per_agent_hour",
                    0,
                    "surge: contacts one logged-in agent covers per hour; 0 = no surge",
                ),
                param_float("surge_slope", 0.5, "surge: added multiplier per unit of demand over capacity"),
                param_float("surge_cap", 2.0, "surge: highest multiplier"),
                param_int("certification_bonus_cents", 0, "paid once per certification completed in the period"),
            ],
        )
    }

    fn compute_pay(req: PayRequest) -> Result<Vec<PayLine>, String> {
        let settings = Settings::from(&req)?;
        let work = work(&req, &settings)?;
        let quality = quality(&req)?;
        let worked = worked_seconds(&req)?;
        let certified = certifications(req.period_start, req.period_end)?;
        let mut agents: Vec<&String> = work.keys().chain(worked.keys()).chain(certified.keys()).collect();
        agents.sort();
        agents.dedup();
        let mut lines = Vec::new();
        for agent in agents {
            let w = work.get(agent).copied().unwrap_or_default();
            let q = quality.get(agent).copied().unwrap_or_default();
            let seconds = worked.get(agent).copied().unwrap_or(0);
            let certificates = certified.get(agent).map_or(&[][..], Vec::as_slice);
            lines.extend(statement(agent, &settings, (w, q), seconds, certificates));
        }
        Ok(lines)
    }
}

struct Settings {
    per_minute: i64,
    per_contact: i64,
    windows: Vec<(i64, i64)>,
    windows_text: String,
    multiplier_milli: i64,
    commission_basis_points: i64,
    min_csat: f64,
    min_qa: f64,
    fee: i64,
    min_wage: i64,
    surge_per_agent_hour: i64,
    surge_slope_milli: i64,
    surge_cap_milli: i64,
    certification_bonus: i64,
}

impl Settings {
    fn from(req: &PayRequest) -> Result<Settings, String> {
        let p = &req.params;
        let non_negative = |name: &str| -> Result<i64, String> {
            let v = p.int(name)?;
            if v < 0 { Err(format!("{name} must not be negative, got {v}")) } else { Ok(v) }
        };
        let multiplier = p.float("peak_multiplier")?;
        let commission = p.float("commission_percent")?;
        if !(1.0..=10.0).contains(&multiplier) {
            return Err(format!("peak_multiplier must be 1 to 10, got {multiplier}"));
        }
        if !(0.0..=100.0).contains(&commission) {
            return Err(format!("commission_percent must be 0 to 100, got {commission}"));
        }
        let windows_text = p.text("peak_windows")?.to_string();
        Ok(Settings {
            per_minute: non_negative("per_minute_cents")?,
            per_contact: non_negative("per_contact_cents")?,
            windows: parse_windows(&windows_text)?,
            windows_text,
            multiplier_milli: (multiplier * 1000.0).round() as i64,
            commission_basis_points: (commission * 100.0).round() as i64,
            min_csat: p.float("min_csat")?,
            min_qa: p.float("min_qa")?,
            fee: non_negative("platform_fee_cents")?,
            min_wage: non_negative("min_wage_cents_per_hour")?,
            surge_per_agent_hour: non_negative("surge_contacts_per_agent_hour")?,
            surge_slope_milli: (p.float("surge_slope")?.clamp(0.0, 10.0) * 1000.0).round() as i64,
            surge_cap_milli: (p.float("surge_cap")?.clamp(1.0, 10.0) * 1000.0).round() as i64,
            certification_bonus: non_negative("certification_bonus_cents")?,
        })
    }
}

/// `HH:MM-HH:MM,…` as minute-of-day pairs; an end before its start crosses midnight.
fn parse_windows(text: &str) -> Result<Vec<(i64, i64)>, String> {
    let minute = |t: &str| -> Option<i64> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
    };
    text.split(',')
        .filter(|w| !w.trim().is_empty())
        .map(|w| {
            let (from, to) = w.split_once('-').ok_or_else(|| format!("peak window `{w}` is not HH:MM-HH:MM"))?;
            let pair = minute(from).zip(minute(to)).ok_or_else(|| format!("peak window `{w}` is not HH:MM-HH:MM"))?;
            if pair.0 == pair.1 {
                return Err(format!("peak window `{w}` is empty"));
            }
            Ok(pair)
        })
        .collect()
}

/// The SQL condition that a local minute of day `m` lies in one of the windows.
fn in_windows(windows: &[(i64, i64)], m: &str) -> String {
    if windows.is_empty() {
        return "FALSE".to_string();
    }
    let parts: Vec<String> = windows
        .iter()
        .map(|&(from, to)| {
            if from < to { format!("({m} >= {from} AND {m} < {to})") } else { format!("({m} >= {from} OR {m} < {to})") }
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

#[derive(Default, Clone, Copy)]
struct Work {
    contacts: i64,
    seconds: i64,
    peak_seconds: i64,
    revenue: i64,
    /// Σ handled seconds × (surge multiplier − 1) in thousandths.
    surge_milli_seconds: i64,
}

/// An SQL expression giving the UTC offset in minutes, at the time in `started`, of the zone
/// named in `tz`, for every zone the agents use, over the period with two days of margin: a
/// `CASE` on the zone and, where its offset changes (daylight saving), on the time — computed
/// per contact without a join.
fn offset_minutes(req: &PayRequest, tz: &str, started: &str) -> Result<String, String> {
    let zones = query("SELECT DISTINCT coalesce(nullif(timezone, ''), 'UTC') AS tz FROM agents ORDER BY 1", &[])?;
    let margin = 2 * 24 * 60 * MICROS_PER_MINUTE;
    let grid = GRID_MINUTES * MICROS_PER_MINUTE;
    let (start, end) = (req.period_start - margin, req.period_end + margin);
    let mut cases = Vec::new();
    for zone_name in zones.text("tz")?.into_iter().flatten() {
        if zone_name == "UTC" {
            continue;
        }
        let zone: Tz =
            zone_name.parse().map_err(|_| format!("agent time zone `{zone_name}` is not an IANA zone name"))?;
        let offset_at = |micros: i64| -> Result<i64, String> {
            let utc = DateTime::from_timestamp_micros(micros).ok_or("period out of range")?.naive_utc();
            Ok(i64::from(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()) / 60)
        };
        // Each change of offset: from that moment on, the new one.
        let mut offset = offset_at(start)?;
        let mut changes = Vec::new();
        let mut t = start + grid;
        while t < end {
            let now = offset_at(t)?;
            if now != offset {
                changes.push(format!("WHEN {started} < make_timestamp({t}) THEN {offset}"));
                offset = now;
            }
            t += grid;
        }
        let by_time = if changes.is_empty() {
            offset.to_string()
        } else {
            format!("CASE {} ELSE {offset} END", changes.join(" "))
        };
        cases.push(format!("WHEN '{}' THEN {by_time}", zone_name.replace('\'', "''")));
    }
    Ok(if cases.is_empty() { "0".to_string() } else { format!("CASE {tz} {} ELSE 0 END", cases.join(" ")) })
}

/// CTE `surge(h, factor_milli)`: each UTC hour's multiplier in thousandths (see describe()).
fn surge_cte(s: &Settings) -> String {
    if s.surge_per_agent_hour == 0 {
        return "surge AS (SELECT NULL::TIMESTAMP AS h, 1000 AS factor_milli WHERE FALSE)".to_string();
    }
    format!(
        "demand AS (SELECT date_trunc('hour', offered_at) AS h, count(*) AS contacts FROM interactions \
           WHERE channel <> 'self_service' AND offered_at >= ? AND offered_at < ? GROUP BY 1), \
         staffed AS (SELECT d.h, count(DISTINCT st.agent_id) AS agents FROM demand d JOIN agent_states st \
           ON st.started_at < d.h + INTERVAL 1 HOUR AND st.ended_at > d.h GROUP BY 1), \
         surge AS (SELECT d.h, CASE WHEN coalesce(s.agents, 0) = 0 THEN {cap} \
           ELSE CAST(least({cap}, greatest(1000, round(1000 + {slope} * \
             (CAST(d.contacts AS DOUBLE) / (s.agents * {per_hour}) - 1)))) AS BIGINT) END AS factor_milli \
           FROM demand d LEFT JOIN staffed s USING (h))",
        cap = s.surge_cap_milli,
        slope = s.surge_slope_milli,
        per_hour = s.surge_per_agent_hour
    )
}

fn work(req: &PayRequest, settings: &Settings) -> Result<BTreeMap<String, Work>, String> {
    let sql = format!(
        "WITH {surge}, \
         c AS (SELECT i.agent_id, coalesce(i.answered_at, i.offered_at) AS started, \
                 i.talk_seconds + i.hold_seconds + i.wrap_seconds AS secs, \
                 CASE WHEN i.sale THEN coalesce(i.revenue_cents, 0) ELSE 0 END AS revenue, \
                 coalesce(nullif(a.timezone, ''), 'UTC') AS tz \
               FROM interactions i JOIN agents a ON a.agent_id = i.agent_id \
               WHERE i.outcome = 'handled' AND i.offered_at >= ? AND i.offered_at < ?), \
         l AS (SELECT c.*, c.started + to_minutes({offset}) AS local_start FROM c) \
         SELECT agent_id, CAST(count(*) AS BIGINT) AS contacts, CAST(sum(secs) AS BIGINT) AS secs, \
           CAST(coalesce(sum(secs) FILTER (WHERE {peak}), 0) AS BIGINT) AS peak_secs, \
           CAST(sum(revenue) AS BIGINT) AS revenue, \
           CAST(coalesce(sum(secs * (coalesce(sg.factor_milli, 1000) - 1000)), 0) AS BIGINT) AS surge_milli_secs \
         FROM l LEFT JOIN surge sg ON sg.h = date_trunc('hour', l.started) GROUP BY 1 ORDER BY 1",
        offset = offset_minutes(req, "c.tz", "c.started")?,
        surge = surge_cte(settings),
        peak = in_windows(&settings.windows, "(hour(local_start) * 60 + minute(local_start))")
    );
    let params: Vec<SqlValue> = if settings.surge_per_agent_hour == 0 {
        time_range(req).to_vec()
    } else {
        [time_range(req), time_range(req)].concat()
    };
    let t = query(&sql, &params)?;
    let (agents, contacts, secs, peak, revenue) =
        (t.text("agent_id")?, t.int("contacts")?, t.int("secs")?, t.int("peak_secs")?, t.int("revenue")?);
    let surge = t.int("surge_milli_secs")?;
    let mut out = BTreeMap::new();
    for i in 0..t.row_count() {
        let Some(agent) = agents[i].clone() else { continue };
        let work = Work {
            contacts: contacts[i].unwrap_or(0),
            seconds: secs[i].unwrap_or(0),
            peak_seconds: peak[i].unwrap_or(0),
            revenue: revenue[i].unwrap_or(0),
            surge_milli_seconds: surge[i].unwrap_or(0),
        };
        out.insert(agent, work);
    }
    Ok(out)
}

#[derive(Default, Clone, Copy)]
struct Quality {
    csat: Option<f64>,
    qa: Option<f64>,
}

fn quality(req: &PayRequest) -> Result<BTreeMap<String, Quality>, String> {
    let mut out: BTreeMap<String, Quality> = BTreeMap::new();
    let csat = query(
        "SELECT agent_id, CAST(count(*) FILTER (WHERE csat >= 4) AS DOUBLE) / count(*) AS v FROM customer_feedback \
         WHERE csat IS NOT NULL AND agent_id IS NOT NULL AND responded_at >= ? AND responded_at < ? GROUP BY 1",
        &time_range(req),
    )?;
    for (agent, v) in csat.text("agent_id")?.into_iter().zip(csat.float("v")?) {
        if let Some(agent) = agent {
            out.entry(agent).or_default().csat = v;
        }
    }
    let qa = query(
        "SELECT agent_id, avg(score) AS v FROM qa_evaluations WHERE evaluated_at >= ? AND evaluated_at < ? GROUP BY 1",
        &time_range(req),
    )?;
    for (agent, v) in qa.text("agent_id")?.into_iter().zip(qa.float("v")?) {
        if let Some(agent) = agent {
            out.entry(agent).or_default().qa = v;
        }
    }
    Ok(out)
}

/// Seconds logged in (any state), each interval clipped to the period.
fn worked_seconds(req: &PayRequest) -> Result<BTreeMap<String, i64>, String> {
    let [start, end] = time_range(req);
    let t = query(
        "SELECT agent_id, CAST(sum(epoch(least(ended_at, ?) - greatest(started_at, ?))) AS BIGINT) AS secs \
         FROM agent_states WHERE started_at < ? AND ended_at > ? GROUP BY 1",
        &[end.clone(), start.clone(), end, start],
    )?;
    Ok(t.text("agent_id")?.into_iter().zip(t.int("secs")?).filter_map(|(a, s)| Some((a?, s.unwrap_or(0)))).collect())
}

/// Why the bonuses are withheld, if they are.
fn gate(settings: &Settings, q: Quality) -> Option<String> {
    if settings.min_csat > 0.0 {
        match q.csat {
            None => return Some("withheld: no CSAT answers in the period".to_string()),
            Some(v) if v < settings.min_csat => {
                return Some(format!("withheld: CSAT {v:.3} is below {}", settings.min_csat));
            }
            _ => {}
        }
    }
    if settings.min_qa > 0.0 {
        match q.qa {
            None => return Some("withheld: no QA evaluations in the period".to_string()),
            Some(v) if v < settings.min_qa => return Some(format!("withheld: QA {v:.1} is below {}", settings.min_qa)),
            _ => {}
        }
    }
    None
}

fn statement(agent: &str, s: &Settings, (w, q): (Work, Quality), worked: i64, certificates: &[String]) -> Vec<PayLine> {
    let line = |component: &str, quantity: f64, rate: i64, amount: i64, note: String| PayLine {
        agent_id: agent.to_string(),
        component: component.to_string(),
        quantity,
        rate_cents: rate,
        amount_cents: amount,
        note,
    };
    let mut lines = Vec::new();
    if s.per_minute > 0 {
        let amount = div_round(i128::from(w.seconds) * i128::from(s.per_minute), 60);
        lines.push(line(
            "per_minute",
            w.seconds as f64 / 60.0,
            s.per_minute,
            amount,
            format!("{} s handled", w.seconds),
        ));
    }
    if s.per_contact > 0 {
        lines.push(line("per_contact", w.contacts as f64, s.per_contact, w.contacts * s.per_contact, String::new()));
    }
    let withheld = gate(s, q);
    let bonus = |amount: i64, note: String| match &withheld {
        Some(why) => (0, why.clone()),
        None => (amount, note),
    };
    if s.per_minute > 0 && !s.windows.is_empty() && s.multiplier_milli != 1000 {
        let extra = i128::from(s.multiplier_milli - 1000);
        let amount = div_round(i128::from(w.peak_seconds) * i128::from(s.per_minute) * extra, 60 * 1000);
        let rate = div_round(i128::from(s.per_minute) * extra, 1000);
        let (amount, note) = bonus(
            amount,
            format!("{} s in {} local time, × {}", w.peak_seconds, s.windows_text, s.multiplier_milli as f64 / 1000.0),
        );
        lines.push(line("peak_premium", w.peak_seconds as f64 / 60.0, rate, amount, note));
    }
    if s.per_minute > 0 && s.surge_per_agent_hour > 0 {
        let amount = div_round(i128::from(w.surge_milli_seconds) * i128::from(s.per_minute), 60 * 1000);
        let note = format!("Σ seconds × (multiplier − 1) = {:.3}", w.surge_milli_seconds as f64 / 1000.0);
        lines.push(line("surge_premium", w.surge_milli_seconds as f64 / 60_000.0, s.per_minute, amount, note));
    }
    if s.commission_basis_points > 0 {
        let amount = div_round(i128::from(w.revenue) * i128::from(s.commission_basis_points), 10_000);
        let (amount, note) =
            bonus(amount, format!("{}% of {} cents of sales", s.commission_basis_points as f64 / 100.0, w.revenue));
        lines.push(line("commission", w.revenue as f64, 0, amount, note));
    }
    if s.certification_bonus > 0 && !certificates.is_empty() {
        let n = certificates.len() as i64;
        lines.push(line(
            "certification_bonus",
            n as f64,
            s.certification_bonus,
            n * s.certification_bonus,
            certificates.join(", "),
        ));
    }
    if s.fee > 0 {
        lines.push(line("platform_fee", 1.0, -s.fee, -s.fee, String::new()));
    }
    if s.min_wage > 0 {
        let floor = div_round(i128::from(worked) * i128::from(s.min_wage), 3600);
        let earned: i64 = lines.iter().map(|l| l.amount_cents).sum();
        if earned < floor {
            lines.push(line(
                "minimum_wage_top_up",
                worked as f64 / 3600.0,
                s.min_wage,
                floor - earned,
                format!("{worked} s worked: floor {floor} cents, earned {earned}"),
            ));
        }
    }
    lines
}

export_pay_model!(StandardPay);
