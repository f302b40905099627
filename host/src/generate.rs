//! Deterministic sample data for a distributed contact center: agents, interactions, customer
//! feedback, employee surveys, agent states and QA evaluations as CSV files in the canonical
//! schema, with a planted CX–EX relationship (an agent's engagement this month drives the
//! satisfaction of the customers they serve next month) that analysis is meant to find.
//!
//! The same [`SampleSpec`] always produces byte-identical files. Rows are streamed to buffered
//! writers: memory grows with the number of agents (and the few days of pending repeat
//! contacts), never with the number of rows written.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1, Poisson, StandardNormal};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleSpec {
    /// Seed of every random draw; the same spec always gives the same bytes.
    pub seed: u64,
    /// Number of agents (ids `a0001`, `a0002`, …).
    pub agents: u32,
    /// Number of consecutive days of contacts, starting at `start`.
    pub days: u32,
    /// First day of contacts (UTC).
    pub start: NaiveDate,
    /// Mean number of agent-routed contacts (voice, chat, email, messaging; abandons included)
    /// offered per agent working day. Self-service contacts come on top, about 10% of all.
    pub contacts_per_agent_day: f64,
}

impl SampleSpec {
    /// A dozen agents over two weeks: a few hundred contacts, for tests.
    pub fn tiny() -> Self {
        SampleSpec {
            seed: 42,
            agents: 12,
            days: 14,
            start: NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date"),
            contacts_per_agent_day: 3.0,
        }
    }

    /// Sixty agents over about four months from 2026-01-05: enough for monthly CX–EX analysis.
    pub fn demo() -> Self {
        SampleSpec {
            seed: 42,
            agents: 60,
            days: 120,
            start: NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date"),
            contacts_per_agent_day: 30.0,
        }
    }

    fn validate(&self) -> Result<(), GenerateError> {
        let bad = |msg: String| Err(GenerateError::InvalidSpec(msg));
        if self.agents == 0 || self.agents > 1_000_000 {
            return bad(format!("agents must be between 1 and 1000000, got {}", self.agents));
        }
        if self.days == 0 || self.days > 3_660 {
            return bad(format!("days must be between 1 and 3660, got {}", self.days));
        }
        let cpad = self.contacts_per_agent_day;
        if !cpad.is_finite() || !(0.0..=2_000.0).contains(&cpad) {
            return bad(format!("contacts_per_agent_day must be between 0 and 2000, got {cpad}"));
        }
        if self.start.year() < 1975 || self.start.year() > 9_000 {
            return bad(format!("start must be between the years 1975 and 9000, got {}", self.start));
        }
        Ok(())
    }
}

/// What was written, and the true parameters of the planted effects. Serialized as
/// `manifest.json`, where each file is named relative to the output directory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SampleSummary {
    pub seed: u64,
    /// (table, path of its CSV file, rows written).
    #[serde(serialize_with = "serialize_files")]
    pub files: Vec<(String, PathBuf, u64)>,
    pub planted: PlantedEffects,
}

fn serialize_files<S: serde::Serializer>(files: &[(String, PathBuf, u64)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    #[derive(serde::Serialize)]
    struct FileEntry<'a> {
        table: &'a str,
        file: String,
        rows: u64,
    }
    let mut seq = s.serialize_seq(Some(files.len()))?;
    for (table, path, rows) in files {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        seq.serialize_element(&FileEntry { table, file, rows: *rows })?;
    }
    seq.end()
}

/// The true parameters behind the sample data. Logit coefficients act on the log-odds of a
/// top-two-box CSAT answer (4 or 5 on 1–5); engagement is a latent agent trait with unit
/// variance per month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlantedEffects {
    /// e_m = ar1 * e_{m-1} + sqrt(1 - ar1²) * N(0,1) per agent and calendar month (UTC).
    pub engagement_ar1: f64,
    /// The customer effect of engagement arrives this many months later.
    pub engagement_to_csat_lag_months: u32,
    /// Added to the top-two-box CSAT logit per unit of the agent's engagement in the month
    /// before the contact's month (offered_at, UTC).
    pub engagement_to_csat_logit: f64,
    /// The weaker same-month effect: per unit of engagement in the contact's own month.
    pub same_month_engagement_to_csat_logit: f64,
    /// Top-two-box CSAT logit of an average agent on an uneventful contact.
    pub csat_base_logit: f64,
    /// Per unit of agent skill (a latent trait, about unit variance).
    pub skill_to_csat_logit: f64,
    /// Standard deviation of a persistent per-agent CSAT effect unrelated to engagement.
    pub agent_csat_effect_sd: f64,
    pub transferred_to_csat_logit: f64,
    pub repeat_contact_to_csat_logit: f64,
    /// Applied when a voice, chat or messaging contact waited longer than `long_wait_seconds`.
    pub long_wait_to_csat_logit: f64,
    pub long_wait_seconds: u32,
    /// Survey item `engagement` = round(intercept + slope * e_m + N(0, noise_sd)), clamped to 1–5.
    pub survey_engagement_intercept: f64,
    pub survey_engagement_slope: f64,
    pub survey_engagement_noise_sd: f64,
    /// Survey item `enps` = round(intercept + slope * e_m + N(0, 1.3)), clamped to 0–10.
    pub survey_enps_intercept: f64,
    pub survey_enps_slope: f64,
    pub survey_response_rate: f64,
    /// A scheduled shift is missed with probability absence_base + absence_per_engagement * e_m
    /// (clamped to 0.5%–30%): less engaged agents miss more shifts.
    pub absence_base: f64,
    pub absence_per_engagement: f64,
    /// An attended shift starts 6–30 minutes late with probability late_base +
    /// late_per_engagement * e_m (clamped to 1%–40%); otherwise the login comes 0–5 minutes in.
    pub late_base: f64,
    pub late_per_engagement: f64,
    /// Share of handled contacts that get a customer survey answer.
    pub feedback_rate: f64,
    /// Probability that a handled contact is followed by a repeat contact (same customer, same
    /// reason, 1–10 days later): logistic(base + skill_coef * skill + dissatisfied + transferred).
    pub repeat_base_logit: f64,
    pub skill_to_repeat_logit: f64,
    pub dissatisfied_to_repeat_logit: f64,
    pub transferred_to_repeat_logit: f64,
    /// Share of self-service contacts followed by a voice or chat contact within 24 h.
    pub self_service_followup_rate: f64,
    /// Conversion of sales-eligible contacts: logistic(base + skill_coef * skill).
    pub conversion_base_logit: f64,
    pub skill_to_conversion_logit: f64,
    /// Transfer probability: logistic(base + skill_coef * skill).
    pub transfer_base_logit: f64,
    pub skill_to_transfer_logit: f64,
    /// QA score = base + per_skill * skill + N(0, noise_sd), clamped to 0–100.
    pub qa_score_base: f64,
    pub qa_score_per_skill: f64,
    pub qa_score_noise_sd: f64,
    pub qa_evaluations_per_agent_month: f64,
    /// Occupancy of each agent working day is drawn uniformly from this range.
    pub occupancy_min: f64,
    pub occupancy_max: f64,
    /// Agent skill = tenure_coef * standardized tenure + type offset + N(0, 0.85).
    pub tenure_to_skill: f64,
}

impl Default for PlantedEffects {
    fn default() -> Self {
        PlantedEffects {
            engagement_ar1: 0.7,
            engagement_to_csat_lag_months: 1,
            engagement_to_csat_logit: 0.6,
            same_month_engagement_to_csat_logit: 0.2,
            csat_base_logit: 1.5,
            skill_to_csat_logit: 0.4,
            agent_csat_effect_sd: 0.3,
            transferred_to_csat_logit: -0.7,
            repeat_contact_to_csat_logit: -0.4,
            long_wait_to_csat_logit: -0.4,
            long_wait_seconds: 120,
            survey_engagement_intercept: 3.1,
            survey_engagement_slope: 0.9,
            survey_engagement_noise_sd: 0.55,
            survey_enps_intercept: 6.3,
            survey_enps_slope: 1.9,
            survey_response_rate: 0.8,
            absence_base: 0.05,
            absence_per_engagement: -0.04,
            late_base: 0.10,
            late_per_engagement: -0.08,
            feedback_rate: 0.2,
            repeat_base_logit: -2.1,
            skill_to_repeat_logit: -0.5,
            dissatisfied_to_repeat_logit: 0.8,
            transferred_to_repeat_logit: 0.4,
            self_service_followup_rate: 0.3,
            conversion_base_logit: -1.0,
            skill_to_conversion_logit: 0.6,
            transfer_base_logit: -2.6,
            skill_to_transfer_logit: -0.4,
            qa_score_base: 76.0,
            qa_score_per_skill: 7.0,
            qa_score_noise_sd: 7.0,
            qa_evaluations_per_agent_month: 4.0,
            occupancy_min: 0.75,
            occupancy_max: 0.85,
            tenure_to_skill: 0.45,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write CSV {}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("invalid sample spec: {0}")]
    InvalidSpec(String),
}

/// The columns of every file, in schema order (the same as `store::schema::TABLES`).
pub const TABLE_COLUMNS: &[(&str, &[&str])] = &[
    ("agents", &["agent_id", "name", "employment_type", "team", "site", "hired_at", "skills", "timezone"]),
    (
        "interactions",
        &[
            "interaction_id",
            "customer_id",
            "agent_id",
            "channel",
            "queue",
            "contact_reason",
            "offered_at",
            "answered_at",
            "ended_at",
            "outcome",
            "talk_seconds",
            "hold_seconds",
            "wrap_seconds",
            "transferred",
            "sales_eligible",
            "sale",
            "revenue_cents",
            "sentiment",
        ],
    ),
    (
        "customer_feedback",
        &["feedback_id", "interaction_id", "customer_id", "agent_id", "responded_at", "csat", "nps", "ces", "comment"],
    ),
    (
        "employee_surveys",
        &[
            "response_id",
            "agent_id",
            "survey",
            "responded_at",
            "enps",
            "engagement",
            "wellbeing",
            "manager_support",
            "tools",
            "comment",
        ],
    ),
    ("agent_states", &["state_id", "agent_id", "state", "started_at", "ended_at"]),
    ("schedules", &["shift_id", "agent_id", "starts_at", "ends_at"]),
    ("certifications", &["certification_id", "agent_id", "certification", "completed_at"]),
    ("qa_evaluations", &["evaluation_id", "agent_id", "interaction_id", "evaluated_at", "score", "evaluator"]),
];

/// Writes the eight CSV files and `manifest.json` into `dir` (created when missing).
pub fn generate(spec: &SampleSpec, dir: &Path) -> Result<SampleSummary, GenerateError> {
    spec.validate()?;
    std::fs::create_dir_all(dir).map_err(|source| GenerateError::Io { path: dir.to_path_buf(), source })?;
    let planted = PlantedEffects::default();
    let mut world = World::new(spec, &planted);
    let mut out = Outputs::create(dir)?;

    world.write_agents(&mut out.agents)?;
    world.write_surveys(&mut out.surveys)?;
    for day in 0..spec.days {
        world.run_day(day, &mut out)?;
    }

    let mut files = Vec::new();
    for t in out.all() {
        t.finish()?;
        files.push((t.table.to_string(), t.path.clone(), t.rows));
    }
    let summary = SampleSummary { seed: spec.seed, files, planted };
    let manifest = dir.join("manifest.json");
    let io_err = |source| GenerateError::Io { path: manifest.clone(), source };
    let mut w = BufWriter::new(File::create(&manifest).map_err(io_err)?);
    serde_json::to_writer_pretty(&mut w, &summary).map_err(|e| io_err(e.into()))?;
    w.write_all(b"\n").map_err(io_err)?;
    w.flush().map_err(io_err)?;
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Output: one buffered CSV writer per table, with allocation-free field formatting.

struct TableOut {
    table: &'static str,
    path: PathBuf,
    w: csv::Writer<BufWriter<File>>,
    rec: csv::ByteRecord,
    rows: u64,
}

impl TableOut {
    fn create(dir: &Path, table: &'static str) -> Result<Self, GenerateError> {
        let path = dir.join(format!("{table}.csv"));
        let file = File::create(&path).map_err(|source| GenerateError::Io { path: path.clone(), source })?;
        let w = csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file));
        let mut t = TableOut { table, path, w, rec: csv::ByteRecord::new(), rows: 0 };
        let columns = TABLE_COLUMNS.iter().find(|(n, _)| *n == table).map(|(_, c)| *c).unwrap_or(&[]);
        for c in columns {
            t.rec.push_field(c.as_bytes());
        }
        t.w.write_byte_record(&t.rec).map_err(|source| GenerateError::Csv { path: t.path.clone(), source })?;
        t.rec.clear();
        Ok(t)
    }

    fn s(&mut self, v: &str) {
        self.rec.push_field(v.as_bytes());
    }

    fn opt_s(&mut self, v: Option<&str>) {
        self.rec.push_field(v.unwrap_or("").as_bytes());
    }

    fn null(&mut self) {
        self.rec.push_field(b"");
    }

    fn b(&mut self, v: bool) {
        self.rec.push_field(if v { b"true" } else { b"false" });
    }

    fn u(&mut self, v: u64) {
        let mut buf = [0u8; 20];
        self.rec.push_field(fmt_u64(v, &mut buf));
    }

    fn opt_u(&mut self, v: Option<u64>) {
        match v {
            Some(v) => self.u(v),
            None => self.null(),
        }
    }

    fn id(&mut self, prefix: u8, n: u64, width: usize) {
        let mut buf = [0u8; 24];
        self.rec.push_field(fmt_id(prefix, n, width, &mut buf));
    }

    fn ts(&mut self, secs: i64) {
        let mut buf = [0u8; 20];
        self.rec.push_field(fmt_ts(secs, &mut buf));
    }

    fn opt_ts(&mut self, secs: Option<i64>) {
        match secs {
            Some(s) => self.ts(s),
            None => self.null(),
        }
    }

    fn date(&mut self, days: i64) {
        let mut buf = [0u8; 20];
        let full = fmt_ts(days * 86_400, &mut buf);
        self.rec.push_field(&full[..10]);
    }

    /// A decimal with `decimals` digits after the point (`v` is rounded).
    fn fixed(&mut self, v: f64, decimals: u32) {
        let scale = 10i64.pow(decimals);
        let n = (v * scale as f64).round() as i64;
        let mut buf = [0u8; 32];
        let mut len = 0;
        if n < 0 {
            buf[0] = b'-';
            len = 1;
        }
        let a = n.unsigned_abs();
        let mut ib = [0u8; 20];
        let int = fmt_u64(a / scale as u64, &mut ib);
        buf[len..len + int.len()].copy_from_slice(int);
        len += int.len();
        if decimals > 0 {
            buf[len] = b'.';
            len += 1;
            let mut frac = a % scale as u64;
            for i in (0..decimals as usize).rev() {
                buf[len + i] = b'0' + (frac % 10) as u8;
                frac /= 10;
            }
            len += decimals as usize;
        }
        self.rec.push_field(&buf[..len]);
    }

    fn end(&mut self) -> Result<(), GenerateError> {
        let r = self.w.write_byte_record(&self.rec);
        self.rec.clear();
        r.map_err(|source| GenerateError::Csv { path: self.path.clone(), source })?;
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), GenerateError> {
        self.w.flush().map_err(|source| GenerateError::Io { path: self.path.clone(), source })
    }
}

struct Outputs {
    agents: TableOut,
    interactions: TableOut,
    feedback: TableOut,
    surveys: TableOut,
    states: TableOut,
    schedules: TableOut,
    qa: TableOut,
    certifications: TableOut,
}

impl Outputs {
    fn create(dir: &Path) -> Result<Self, GenerateError> {
        Ok(Outputs {
            agents: TableOut::create(dir, "agents")?,
            interactions: TableOut::create(dir, "interactions")?,
            feedback: TableOut::create(dir, "customer_feedback")?,
            surveys: TableOut::create(dir, "employee_surveys")?,
            states: TableOut::create(dir, "agent_states")?,
            schedules: TableOut::create(dir, "schedules")?,
            qa: TableOut::create(dir, "qa_evaluations")?,
            certifications: TableOut::create(dir, "certifications")?,
        })
    }

    fn all(&mut self) -> [&mut TableOut; 8] {
        [
            &mut self.agents,
            &mut self.interactions,
            &mut self.feedback,
            &mut self.surveys,
            &mut self.states,
            &mut self.schedules,
            &mut self.qa,
            &mut self.certifications,
        ]
    }
}

fn fmt_u64(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

/// `prefix` followed by `n` zero-padded to at least `width` digits (`width` <= 20).
fn fmt_id(prefix: u8, n: u64, width: usize, buf: &mut [u8; 24]) -> &[u8] {
    let mut digits = [0u8; 20];
    let d = fmt_u64(n, &mut digits);
    let pad = width.min(20).saturating_sub(d.len());
    buf[0] = prefix;
    buf[1..1 + pad].fill(b'0');
    buf[1 + pad..1 + pad + d.len()].copy_from_slice(d);
    &buf[..1 + pad + d.len()]
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn fmt_ts(secs: i64, buf: &mut [u8; 20]) -> &[u8] {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    let y = y.clamp(0, 9_999) as u32;
    let put2 = |b: &mut [u8], v: u32| {
        b[0] = b'0' + (v / 10) as u8;
        b[1] = b'0' + (v % 10) as u8;
    };
    put2(&mut buf[0..2], y / 100);
    put2(&mut buf[2..4], y % 100);
    buf[4] = b'-';
    put2(&mut buf[5..7], m);
    buf[7] = b'-';
    put2(&mut buf[8..10], d);
    buf[10] = b'T';
    put2(&mut buf[11..13], sod / 3_600);
    buf[13] = b':';
    put2(&mut buf[14..16], sod / 60 % 60);
    buf[16] = b':';
    put2(&mut buf[17..19], sod % 60);
    buf[19] = b'Z';
    &buf[..]
}

fn days_since_epoch(d: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (d - epoch).num_days()
}

// ---------------------------------------------------------------------------------------------
// Random helpers.

fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An independent stream for (purpose, a, b), e.g. (contacts, agent, day): the draws of one
/// agent-day never depend on how many draws another one made.
fn sub_rng(seed: u64, tag: u64, a: u64, b: u64) -> ChaCha8Rng {
    let k = mix64(mix64(mix64(seed ^ mix64(tag)) ^ a) ^ b.rotate_left(32));
    ChaCha8Rng::seed_from_u64(k)
}

const TAG_AGENTS: u64 = 1;
const TAG_ENGAGEMENT: u64 = 2;
const TAG_SURVEY: u64 = 3;
const TAG_SCHEDULE: u64 = 4;
const TAG_SELF_SERVICE: u64 = 5;
const TAG_ASSIGN: u64 = 6;
const TAG_CONTACTS: u64 = 7;
const TAG_TEAMS: u64 = 8;
const TAG_ATTENDANCE: u64 = 9;
const TAG_CERTIFICATION: u64 = 10;
/// Chance that a working agent completes a certification on a given day (about one a quarter).
const P_CERTIFICATION_PER_DAY: f64 = 0.015;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

fn exp1(rng: &mut ChaCha8Rng) -> f64 {
    Exp1.sample(rng)
}

fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

fn logistic_noise(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = rng.random_range(1e-12..1.0 - 1e-12);
    (u / (1.0 - u)).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    match Poisson::new(lambda) {
        Ok(p) => {
            let v: f64 = p.sample(rng);
            v as u64
        }
        Err(_) => lambda.round() as u64,
    }
}

/// Index drawn from unnormalized weights.
fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn secs(v: f64) -> u64 {
    v.round().clamp(0.0, 14_400.0) as u64
}

// ---------------------------------------------------------------------------------------------
// The world: agents, their latent traits, and the vocabulary of the contact center.

/// Contact arrivals by hour of day (UTC; the customers are in Europe): quiet nights, a morning
/// and an afternoon peak with a lunch dip.
const HOURLY: [f64; 24] = [
    0.10, 0.07, 0.05, 0.05, 0.08, 0.20, 0.45, 0.80, 1.00, 1.00, 0.90, 0.72, 0.66, 0.82, 0.95, 0.92, 0.78, 0.62, 0.50,
    0.42, 0.35, 0.28, 0.20, 0.14,
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Employee,
    Contractor,
    Crowd,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Employee => "employee",
            Kind::Contractor => "contractor",
            Kind::Crowd => "crowd",
        }
    }
}

const QUEUES: [&str; 4] = ["billing", "tech_support", "sales", "general"];
const Q_BILLING: u8 = 0;
const Q_TECH: u8 = 1;
const Q_SALES: u8 = 2;
const Q_GENERAL: u8 = 3;
/// Global queue mix, used for self-service contacts.
const QUEUE_MIX: [f64; 4] = [0.35, 0.28, 0.12, 0.25];
/// How long handling takes per queue, relative.
const QUEUE_TALK: [f64; 4] = [1.0, 1.3, 1.15, 0.85];

const REASONS: [&[&str]; 4] = [
    &["invoice_question", "payment_failed", "refund_request", "plan_change", "charge_dispute"],
    &["connection_issue", "device_setup", "login_problem", "app_error", "outage"],
    &["new_subscription", "upgrade", "pricing_question", "product_info"],
    &["order_status", "address_change", "account_info", "complaint", "cancellation"],
];
const REASON_WEIGHTS: [f64; 5] = [0.34, 0.25, 0.19, 0.13, 0.09];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Channel {
    Voice,
    Chat,
    Email,
    Messaging,
    SelfService,
}

impl Channel {
    fn name(self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Chat => "chat",
            Channel::Email => "email",
            Channel::Messaging => "messaging",
            Channel::SelfService => "self_service",
        }
    }
}

/// Agent-routed channel mix (self-service, 10% of all contacts, is added per day).
const AGENT_CHANNELS: [Channel; 4] = [Channel::Voice, Channel::Chat, Channel::Email, Channel::Messaging];
const AGENT_CHANNEL_MIX: [f64; 4] = [50.0, 25.0, 10.0, 5.0];

const SITES: [&str; 3] = ["berlin", "manila", "home"];
const HOME_ZONES: [(&str, i64, f64); 6] = [
    ("Europe/Berlin", 1, 0.35),
    ("Europe/London", 0, 0.2),
    ("Europe/Madrid", 1, 0.15),
    ("Europe/Warsaw", 1, 0.1),
    ("Europe/Lisbon", 0, 0.1),
    ("Europe/Athens", 2, 0.1),
];

const FIRST_NAMES: [&str; 32] = [
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannah", "Ivan", "Jana", "Karl", "Lena", "Maria",
    "Noah", "Olga", "Paul", "Rosa", "Sven", "Tina", "Jose", "Angelica", "Mark", "Kristine", "Joshua", "Aiza", "Ramon",
    "Liza", "Miguel", "Sofia", "Tomas", "Amira", "Lucas",
];
const LAST_NAMES: [&str; 32] = [
    "Schmidt",
    "Mueller",
    "Weber",
    "Fischer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Santos",
    "Reyes",
    "Cruz",
    "Bautista",
    "Garcia",
    "Mendoza",
    "Torres",
    "Villanueva",
    "Ramos",
    "Castillo",
    "Smith",
    "Jones",
    "Novak",
    "Kowalski",
    "Silva",
    "Costa",
    "Papadopoulos",
    "Martin",
    "Dubois",
    "Jensen",
];

struct Agent {
    id: String,
    name: String,
    kind: Kind,
    site: usize,
    team: u32,
    timezone: &'static str,
    tz_offset_h: i64,
    hired_days: i64,
    skill: f64,
    cx_effect: f64,
    /// Bit q set when the agent has skill q.
    skills: u8,
    queue_weights: [f64; 4],
    usual_start_h: i64,
    usual_len_h: i64,
    p_work_weekday: f64,
    p_work_weekend: f64,
    qa_prob: f64,
    /// Latent engagement per month; index 0 is the month before `start`.
    engagement: Vec<f64>,
}

/// A contact to be handled by a particular agent on a particular day.
#[derive(Clone, Copy, Debug)]
struct Draft {
    /// When the agent is reached (offered_at; for email, when the agent picks it up).
    at: i64,
    customer: u32,
    queue: u8,
    reason: u8,
    channel: Channel,
    repeat: bool,
}

/// A contact caused by an earlier one, waiting for its day.
#[derive(Clone, Copy, Debug)]
struct Pending {
    /// Fixed offered_at, or None to draw a time of day when the day comes.
    at: Option<i64>,
    customer: u32,
    queue: u8,
    reason: u8,
    channel: Channel,
}

const PENDING_RING: usize = 12;

struct World<'a> {
    seed: u64,
    days: u32,
    start_days: i64,
    p: &'a PlantedEffects,
    agents: Vec<Agent>,
    customer_pool: u32,
    customer_width: usize,
    /// Normalizes an agent-day's arrival rate by the weight of its shift hours.
    fresh_per_weight: f64,
    /// Calendar month index (as in `Agent::engagement`) of the first month.
    first_month: i64,
    /// Running counters of ids.
    next_interaction: u64,
    next_feedback: u64,
    next_state: u64,
    next_qa: u64,
    /// Pending contacts by day (ring indexed by day % PENDING_RING).
    pending: Vec<Vec<Pending>>,
    /// Today's shift of each agent: (start hour UTC, length in hours), None when off.
    shift: Vec<Option<(i64, i64)>>,
    /// Today's late start of each agent, in seconds (0 when on time).
    late_seconds: Vec<i64>,
    next_shift: u64,
    next_certification: u64,
    /// Today's fresh arrival rate of each agent.
    lambda: Vec<f64>,
    /// Contacts assigned to each agent today from the pending queue.
    inbound: Vec<Vec<Draft>>,
    /// Working agents covering (queue or 4 = any, hour).
    cover: Vec<Vec<u32>>,
    drafts: Vec<Draft>,
}

fn month_index(days: i64) -> i64 {
    let (y, m, _) = civil_from_days(days);
    y * 12 + i64::from(m) - 1
}

impl<'a> World<'a> {
    fn new(spec: &SampleSpec, p: &'a PlantedEffects) -> Self {
        let n = spec.agents as usize;
        let start_days = days_since_epoch(spec.start);
        let first_month = month_index(start_days);
        let last_month = month_index(start_days + i64::from(spec.days) - 1);
        let n_months = (last_month - first_month + 2) as usize;
        let mut rng = sub_rng(spec.seed, TAG_AGENTS, 0, 0);

        // Employment types by quota, in random order.
        let n_contractor = ((n as f64 * 0.25).round() as usize).min(n);
        let n_crowd = ((n as f64 * 0.15).round() as usize).min(n - n_contractor);
        let mut kinds: Vec<Kind> = std::iter::repeat_n(Kind::Employee, n - n_contractor - n_crowd)
            .chain(std::iter::repeat_n(Kind::Contractor, n_contractor))
            .chain(std::iter::repeat_n(Kind::Crowd, n_crowd))
            .collect();
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i);
            kinds.swap(i, j);
        }

        let agent_width = 4.max(n.to_string().len());
        let mut agents = Vec::with_capacity(n);
        for (i, &kind) in kinds.iter().enumerate() {
            let site = match kind {
                Kind::Employee => match rng.random::<f64>() {
                    x if x < 0.5 => 0,
                    x if x < 0.9 => 1,
                    _ => 2,
                },
                _ => 2,
            };
            let (timezone, tz_offset_h) = match site {
                0 => ("Europe/Berlin", 1),
                1 => ("Asia/Manila", 8),
                _ => {
                    let z = HOME_ZONES[pick(&mut rng, &HOME_ZONES.map(|z| z.2))];
                    (z.0, z.1)
                }
            };
            // Tenure: up to three years, crowd agents mostly recent.
            let u: f64 = rng.random();
            let tenure_days = match kind {
                Kind::Crowd => (u * u * 1_095.0) as i64,
                _ => (u * 1_095.0) as i64,
            } + 1;
            let tenure_z = (tenure_days as f64 - 548.0) / 316.0;
            let type_offset = match kind {
                Kind::Employee => 0.15,
                Kind::Contractor => 0.0,
                Kind::Crowd => -0.3,
            };
            let skill = p.tenure_to_skill * tenure_z + type_offset + 0.85 * normal(&mut rng);
            let cx_effect = p.agent_csat_effect_sd * normal(&mut rng);

            // Skills: crowd agents take the standard cases, employees the hard and sales ones.
            let primary_weights: [f64; 4] = match kind {
                Kind::Employee => [0.3, 0.3, 0.25, 0.15],
                Kind::Contractor => [0.3, 0.2, 0.25, 0.25],
                Kind::Crowd => [0.3, 0.0, 0.0, 0.7],
            };
            let primary = pick(&mut rng, &primary_weights);
            let mut skills = 1u8 << primary;
            let extra = match kind {
                Kind::Employee => rng.random_range(1..=2),
                Kind::Contractor => rng.random_range(0..=1),
                Kind::Crowd => rng.random_range(0..=1),
            };
            for _ in 0..extra {
                let mut w = primary_weights;
                if kind != Kind::Crowd {
                    w = [1.0, 1.0, 1.0, 1.0];
                }
                skills |= 1 << pick(&mut rng, &w);
            }
            let n_skills = skills.count_ones() as f64;
            let mut queue_weights = [0.0; 4];
            for (q, w) in queue_weights.iter_mut().enumerate() {
                if skills & (1 << q) != 0 {
                    *w = if q == primary || n_skills == 1.0 { 0.6 } else { 0.4 / (n_skills - 1.0) };
                }
            }

            // Usual shift, local time, turned into UTC hours.
            let (local_start, len) = match (kind, site) {
                (Kind::Employee, 1) => (rng.random_range(13..=16), 8),
                (Kind::Employee, _) => (rng.random_range(7..=10), 8),
                (Kind::Contractor, _) => (rng.random_range(7..=14), rng.random_range(4..=8)),
                (Kind::Crowd, _) => (rng.random_range(8..=18), rng.random_range(2..=6)),
            };
            let usual_start_h = (local_start - tz_offset_h).clamp(0, 24 - len);
            let (p_work_weekday, p_work_weekend) = match kind {
                Kind::Employee => (0.92, 0.15),
                Kind::Contractor => (0.8, 0.35),
                Kind::Crowd => (0.55, 0.45),
            };
            let days_per_month = 30.44 * (5.0 * p_work_weekday + 2.0 * p_work_weekend) / 7.0;
            let qa_prob = (p.qa_evaluations_per_agent_month / days_per_month).min(1.0);

            let mut erng = sub_rng(spec.seed, TAG_ENGAGEMENT, i as u64, 0);
            let innovation_sd = (1.0 - p.engagement_ar1 * p.engagement_ar1).sqrt();
            let mut engagement = Vec::with_capacity(n_months);
            let mut e = normal(&mut erng);
            for _ in 0..n_months {
                engagement.push(e);
                e = p.engagement_ar1 * e + innovation_sd * normal(&mut erng);
            }

            let name = format!(
                "{} {}",
                FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
                LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]
            );
            agents.push(Agent {
                id: {
                    let mut buf = [0u8; 24];
                    String::from_utf8_lossy(fmt_id(b'a', i as u64 + 1, agent_width, &mut buf)).into_owned()
                },
                name,
                kind,
                site,
                team: 0,
                timezone,
                tz_offset_h,
                hired_days: start_days - tenure_days,
                skill,
                cx_effect,
                skills,
                queue_weights,
                usual_start_h,
                usual_len_h: len,
                p_work_weekday,
                p_work_weekend,
                qa_prob,
                engagement,
            });
        }

        // Teams of about ten, within a site.
        let mut trng = sub_rng(spec.seed, TAG_TEAMS, 0, 0);
        let mut team_no = 0u32;
        for site in 0..SITES.len() {
            let mut members: Vec<usize> = (0..n).filter(|&i| agents[i].site == site).collect();
            if members.is_empty() {
                continue;
            }
            for i in (1..members.len()).rev() {
                let j = trng.random_range(0..=i);
                members.swap(i, j);
            }
            let n_teams = ((members.len() as f64 / 10.0).round() as usize).max(1);
            for (k, &m) in members.iter().enumerate() {
                agents[m].team = team_no + (k * n_teams / members.len()) as u32 + 1;
            }
            team_no += n_teams as u32;
        }

        // Arrival normalization: an average working agent-day sees `cpad` agent-routed contacts,
        // of which about 13% are repeats and self-service follow-ups created along the way.
        let mean_weight = agents
            .iter()
            .map(|a| (a.usual_start_h..a.usual_start_h + a.usual_len_h).map(|h| HOURLY[h as usize]).sum::<f64>())
            .sum::<f64>()
            / n as f64;
        let fresh_per_weight = spec.contacts_per_agent_day * 0.87 / mean_weight.max(1e-9);

        let expected = f64::from(spec.agents) * f64::from(spec.days) * 0.7 * spec.contacts_per_agent_day * 1.15;
        let customer_pool = (expected / 2.5).clamp(500.0, 4e9) as u32;

        World {
            seed: spec.seed,
            days: spec.days,
            start_days,
            p,
            agents,
            customer_pool,
            customer_width: 6.max(customer_pool.to_string().len()),
            fresh_per_weight,
            first_month: first_month - 1,
            next_interaction: 1,
            next_feedback: 1,
            next_state: 1,
            next_qa: 1,
            pending: vec![Vec::new(); PENDING_RING],
            shift: vec![None; n],
            late_seconds: vec![0; n],
            next_shift: 1,
            next_certification: 1,
            lambda: vec![0.0; n],
            inbound: vec![Vec::new(); n],
            cover: vec![Vec::new(); 5 * 24],
            drafts: Vec::new(),
        }
    }

    fn write_agents(&self, t: &mut TableOut) -> Result<(), GenerateError> {
        const SKILL_ORDER: [u8; 4] = [Q_BILLING, Q_TECH, Q_SALES, Q_GENERAL];
        for a in &self.agents {
            t.s(&a.id);
            t.s(&a.name);
            t.s(a.kind.name());
            t.s(&format!("team-{:02}", a.team));
            t.s(SITES[a.site]);
            t.date(a.hired_days);
            let skills: Vec<&str> =
                SKILL_ORDER.iter().filter(|&&q| a.skills & (1 << q) != 0).map(|&q| QUEUES[q as usize]).collect();
            t.s(&skills.join(";"));
            t.s(a.timezone);
            t.end()?;
        }
        Ok(())
    }

    /// Monthly pulse surveys, answered between the 8th and the 22nd of each month that falls in
    /// the generated range.
    fn write_surveys(&self, t: &mut TableOut) -> Result<(), GenerateError> {
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
        let end_days = self.start_days + i64::from(self.days) - 1;
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
                t.id(b'r', response, 8);
                response += 1;
                t.s(&a.id);
                t.s(&survey);
                t.ts(at);
                t.opt_u(enps);
                t.opt_u(engagement);
                t.opt_u(wellbeing);
                t.opt_u(manager);
                t.opt_u(tools);
                t.opt_s(comment);
                t.end()?;
            }
        }
        Ok(())
    }

    fn run_day(&mut self, day: u32, out: &mut Outputs) -> Result<(), GenerateError> {
        let today = self.start_days + i64::from(day);
        let day0 = today * 86_400;
        let weekday = civil_weekday(today);
        let weekend = matches!(weekday, Weekday::Sat | Weekday::Sun);
        let month = (month_index(today) - self.first_month) as usize;

        // Phase 0: who works when.
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
            let t = &mut out.schedules;
            t.id(b'h', self.next_shift, 9);
            self.next_shift += 1;
            t.s(&a.id);
            t.ts(day0 + start * 3_600);
            t.ts(day0 + (start + len) * 3_600);
            t.end()?;
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
            let mut cert = sub_rng(self.seed, TAG_CERTIFICATION, i as u64, u64::from(day));
            if cert.random::<f64>() < P_CERTIFICATION_PER_DAY {
                let queue = cert.random_range(0..QUEUES.len());
                let t = &mut out.certifications;
                t.id(b'k', self.next_certification, 9);
                self.next_certification += 1;
                t.s(&a.id);
                t.s(&format!("{}_{}", QUEUES[queue], ["basics", "advanced"][cert.random_range(0..2)]));
                t.ts(day0 + (start + len) * 3_600 - 1_800);
                t.end()?;
            }
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

        // Phase 1: self-service contacts, about 10% of all; some come back on an agent channel.
        let slot = |d: i64| (d.rem_euclid(PENDING_RING as i64)) as usize;
        let last_day = self.start_days + i64::from(self.days) - 1;
        {
            let mut rng = sub_rng(self.seed, TAG_SELF_SERVICE, 0, u64::from(day));
            let n = poisson(&mut rng, total_lambda / 0.87 / 9.0);
            for _ in 0..n {
                let offered = day0 + pick(&mut rng, &HOURLY) as i64 * 3_600 + rng.random_range(0..3_600);
                let queue = pick(&mut rng, &QUEUE_MIX) as u8;
                let reason = pick_reason(&mut rng, queue);
                let customer = rng.random_range(0..self.customer_pool);
                let ended = offered + secs(lognormal(&mut rng, 150.0, 0.7)).max(5) as i64;
                let t = &mut out.interactions;
                t.id(b'i', self.next_interaction, 9);
                self.next_interaction += 1;
                t.id(b'c', u64::from(customer), self.customer_width);
                t.null();
                t.s(Channel::SelfService.name());
                t.s(QUEUES[queue as usize]);
                t.s(REASONS[queue as usize][reason as usize]);
                t.ts(offered);
                t.null();
                t.ts(ended);
                t.s("self_service");
                for _ in 0..3 {
                    t.u(0);
                }
                for _ in 0..3 {
                    t.b(false);
                }
                t.u(0);
                t.null();
                t.end()?;
                if rng.random::<f64>() < self.p.self_service_followup_rate {
                    let delay = 300.0 + (exp1(&mut rng) * 3.0 * 3_600.0).min(85_000.0);
                    let at = ended + delay as i64;
                    let channel = if rng.random::<f64>() < 0.7 { Channel::Voice } else { Channel::Chat };
                    let d = at.div_euclid(86_400);
                    if d <= last_day {
                        self.pending[slot(d)].push(Pending { at: Some(at), customer, queue, reason, channel });
                    }
                }
            }
        }

        // Phase 2: repeats and follow-ups due today go to an agent who covers their hour.
        {
            let mut rng = sub_rng(self.seed, TAG_ASSIGN, 0, u64::from(day));
            let due = std::mem::take(&mut self.pending[slot(today)]);
            let working: Vec<u32> =
                (0..self.agents.len() as u32).filter(|&i| self.shift[i as usize].is_some()).collect();
            for p in &due {
                let at = match p.at {
                    Some(at) => at,
                    None => day0 + pick(&mut rng, &HOURLY) as i64 * 3_600 + rng.random_range(0..3_600),
                };
                let hour = ((at - day0) / 3_600).clamp(0, 23) as usize;
                let candidates = [&self.cover[p.queue as usize * 24 + hour], &self.cover[4 * 24 + hour], &working];
                let Some(list) = candidates.into_iter().find(|l| !l.is_empty()) else { continue };
                let agent = list[rng.random_range(0..list.len())] as usize;
                self.inbound[agent].push(Draft {
                    at,
                    customer: p.customer,
                    queue: p.queue,
                    reason: p.reason,
                    channel: p.channel,
                    repeat: true,
                });
            }
            let mut due = due;
            due.clear();
            self.pending[slot(today)] = due;
        }

        // Phase 3: each working agent's contacts, feedback, QA and states.
        for i in 0..self.agents.len() {
            let Some((start_h, len_h)) = self.shift[i] else { continue };
            let mut rng = sub_rng(self.seed, TAG_CONTACTS, i as u64, u64::from(day));
            self.agent_day(i, &mut rng, day0, (start_h, len_h), month, out)?;
        }
        Ok(())
    }

    fn agent_day(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        day0: i64,
        (start_h, len_h): (i64, i64),
        month: usize,
        out: &mut Outputs,
    ) -> Result<(), GenerateError> {
        let shift_weights: Vec<f64> = (start_h..start_h + len_h).map(|h| HOURLY[h as usize]).collect();
        let n = poisson(rng, self.lambda[i]);
        let mut drafts = std::mem::take(&mut self.drafts);
        drafts.clear();
        {
            let a = &self.agents[i];
            for _ in 0..n {
                let hour = start_h + pick(rng, &shift_weights) as i64;
                let at = day0 + hour * 3_600 + rng.random_range(0..3_600);
                let channel = AGENT_CHANNELS[pick(rng, &AGENT_CHANNEL_MIX)];
                let queue = pick(rng, &a.queue_weights) as u8;
                let reason = pick_reason(rng, queue);
                let customer = rng.random_range(0..self.customer_pool);
                drafts.push(Draft { at, customer, queue, reason, channel, repeat: false });
            }
        }
        drafts.append(&mut self.inbound[i]);
        drafts.sort_by_key(|d| d.at);

        let mut handle_seconds = 0u64;
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

        let a = &self.agents[i];
        // QA: about four evaluations per agent and month on one handled contact of the day.
        if let Some((interaction, ended)) = qa_pick
            && rng.random::<f64>() < a.qa_prob
        {
            let p = self.p;
            let score = (p.qa_score_base + p.qa_score_per_skill * a.skill + p.qa_score_noise_sd * normal(rng))
                .clamp(0.0, 100.0);
            let evaluated = ended + rng.random_range(86_400..5 * 86_400);
            let t = &mut out.qa;
            t.id(b'q', self.next_qa, 8);
            self.next_qa += 1;
            t.s(&a.id);
            t.id(b'i', interaction, 9);
            t.ts(evaluated);
            t.fixed(score, 1);
            if rng.random::<f64>() < 0.3 {
                t.s(&format!("lead-team-{:02}", a.team));
            } else {
                t.s(&format!("qa-{:02}", rng.random_range(1..=6)));
            }
            t.end()?;
        }

        // States: idle-ready time consistent with the day's occupancy, and a break.
        let occupancy = rng.random_range(self.p.occupancy_min..self.p.occupancy_max);
        let idle = ((handle_seconds as f64) * (1.0 - occupancy) / occupancy).round().max(300.0) as i64;
        let shift_start = day0 + start_h * 3_600 + rng.random_range(0..300) + self.late_seconds[i];
        let break_len = match a.kind {
            Kind::Employee => rng.random_range(30 * 60..=60 * 60),
            _ => rng.random_range(10 * 60..=30 * 60),
        };
        let break_start = day0 + (start_h * 3_600) + len_h * 1_800 + rng.random_range(-900..=900);
        let t = &mut out.states;
        for (state, from, to) in
            [("available", shift_start, shift_start + idle), ("unavailable", break_start, break_start + break_len)]
        {
            t.id(b's', self.next_state, 9);
            self.next_state += 1;
            t.s(&a.id);
            t.s(state);
            t.ts(from);
            t.ts(to);
            t.end()?;
        }
        Ok(())
    }

    /// Writes one agent-routed contact (and its feedback); returns (interaction number, ended_at,
    /// handle seconds) when it was handled.
    fn contact(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        d: &Draft,
        month: usize,
        out: &mut Outputs,
    ) -> Result<Option<(u64, i64, u64)>, GenerateError> {
        let a = &self.agents[i];
        let p = self.p;
        let id = self.next_interaction;
        self.next_interaction += 1;
        let q = d.queue as usize;
        let hour = (d.at.rem_euclid(86_400) / 3_600) as usize;
        let peak = 0.35 + 0.85 * HOURLY[hour];

        // Queue time and abandonment: exponential waits, longer at peaks, against patience.
        let (wait_mean, patience_mean) = match d.channel {
            Channel::Voice => (28.0 * peak, 470.0),
            Channel::Chat => (42.0 * peak, 700.0),
            Channel::Messaging => (110.0 * peak, 1_800.0),
            _ => (4.0 * 3_600.0, f64::INFINITY),
        };
        let wait = exp1(rng) * wait_mean;
        let patience = if patience_mean.is_finite() { exp1(rng) * patience_mean } else { f64::INFINITY };
        let offered;
        let answered;
        if d.channel == Channel::Email {
            answered = d.at;
            offered = d.at - wait.round() as i64;
        } else {
            offered = d.at;
            answered = offered + wait.round() as i64;
        }
        let t = &mut out.interactions;
        t.id(b'i', id, 9);
        t.id(b'c', u64::from(d.customer), self.customer_width);
        if d.channel != Channel::Email && patience < wait {
            t.null();
            t.s(d.channel.name());
            t.s(QUEUES[q]);
            t.s(REASONS[q][d.reason as usize]);
            t.ts(offered);
            t.null();
            t.ts(offered + patience.round() as i64);
            t.s("abandoned");
            for _ in 0..3 {
                t.u(0);
            }
            for _ in 0..3 {
                t.b(false);
            }
            t.u(0);
            t.null();
            t.end()?;
            return Ok(None);
        }

        let speed = (-0.08 * a.skill).exp() * QUEUE_TALK[q];
        let (talk, hold, wrap) = match d.channel {
            Channel::Voice => {
                let hold = if rng.random::<f64>() < 0.35 { lognormal(rng, 50.0, 0.7) } else { 0.0 };
                (lognormal(rng, 330.0 * speed, 0.55), hold, lognormal(rng, 40.0, 0.5))
            }
            Channel::Chat => (lognormal(rng, 540.0 * speed, 0.5), 0.0, lognormal(rng, 30.0, 0.5)),
            Channel::Messaging => (lognormal(rng, 720.0 * speed, 0.6), 0.0, lognormal(rng, 25.0, 0.5)),
            _ => (lognormal(rng, 300.0 * speed, 0.6), 0.0, lognormal(rng, 90.0, 0.5)),
        };
        let transferable = d.channel != Channel::Email;
        let tech = if q == Q_TECH as usize { 0.4 } else { 0.0 };
        let transferred = transferable
            && rng.random::<f64>() < sigmoid(p.transfer_base_logit + p.skill_to_transfer_logit * a.skill + tech);
        let hold = if transferred { hold + lognormal(rng, 40.0, 0.5) } else { hold };
        let (talk, hold, wrap) = (secs(talk).max(1), secs(hold), secs(wrap));
        let ended = answered + (talk + hold) as i64;
        let answered_field =
            if d.channel == Channel::Email && rng.random::<f64>() < 0.4 { None } else { Some(answered) };

        // Customer satisfaction: an ordered logit whose top-two box carries the planted effects.
        let e_prev = a.engagement[month - 1];
        let e_now = a.engagement[month];
        let long_wait = d.channel != Channel::Email && wait > f64::from(p.long_wait_seconds);
        let eta = p.csat_base_logit
            + p.engagement_to_csat_logit * e_prev
            + p.same_month_engagement_to_csat_logit * e_now
            + p.skill_to_csat_logit * a.skill
            + a.cx_effect
            + if transferred { p.transferred_to_csat_logit } else { 0.0 }
            + if d.repeat { p.repeat_contact_to_csat_logit } else { 0.0 }
            + if long_wait { p.long_wait_to_csat_logit } else { 0.0 };
        let u = eta + logistic_noise(rng);

        let sales_eligible = q == Q_SALES as usize || (q != Q_TECH as usize && rng.random::<f64>() < 0.05);
        let sale = sales_eligible
            && rng.random::<f64>() < sigmoid(p.conversion_base_logit + p.skill_to_conversion_logit * a.skill);
        let revenue = if sale { lognormal(rng, 6_000.0, 0.6).round().clamp(100.0, 1e7) as u64 } else { 0 };
        let sentiment =
            (rng.random::<f64>() < 0.7).then(|| (0.35 * (u - 1.0) + 0.3 * normal(rng)).tanh().clamp(-1.0, 1.0));

        t.s(&a.id);
        t.s(d.channel.name());
        t.s(QUEUES[q]);
        t.s(REASONS[q][d.reason as usize]);
        t.ts(offered);
        t.opt_ts(answered_field);
        t.ts(ended);
        t.s("handled");
        t.u(talk);
        t.u(hold);
        t.u(wrap);
        t.b(transferred);
        t.b(sales_eligible);
        t.b(sale);
        t.u(revenue);
        match sentiment {
            Some(s) => t.fixed(s, 2),
            None => t.null(),
        }
        t.end()?;

        // A repeat contact from the same customer on the same reason, 1–10 days later.
        let p_repeat = sigmoid(
            p.repeat_base_logit
                + p.skill_to_repeat_logit * a.skill
                + if u < 0.0 { p.dissatisfied_to_repeat_logit } else { 0.0 }
                + if transferred { p.transferred_to_repeat_logit } else { 0.0 },
        );
        if rng.random::<f64>() < p_repeat {
            const DELAY: [f64; 10] = [1.0, 0.75, 0.56, 0.42, 0.32, 0.24, 0.18, 0.13, 0.1, 0.075];
            let later = pick(rng, &DELAY) as i64 + 1;
            let target = ended.div_euclid(86_400) + later;
            let last_day = self.start_days + i64::from(self.days) - 1;
            if target <= last_day {
                let channel = if rng.random::<f64>() < 0.6 { d.channel } else { Channel::Voice };
                self.pending[target.rem_euclid(PENDING_RING as i64) as usize].push(Pending {
                    at: None,
                    customer: d.customer,
                    queue: d.queue,
                    reason: d.reason,
                    channel,
                });
            }
        }

        if rng.random::<f64>() < p.feedback_rate {
            self.feedback(i, rng, id, d, ended, u, transferred, long_wait, out)?;
        }
        Ok(Some((id, ended, talk + hold + wrap)))
    }

    #[allow(clippy::too_many_arguments)]
    fn feedback(
        &mut self,
        i: usize,
        rng: &mut ChaCha8Rng,
        interaction: u64,
        d: &Draft,
        ended: i64,
        u: f64,
        transferred: bool,
        long_wait: bool,
        out: &mut Outputs,
    ) -> Result<(), GenerateError> {
        let a = &self.agents[i];
        let csat = match u {
            u if u > 1.5 => 5,
            u if u > 0.0 => 4,
            u if u > -1.2 => 3,
            u if u > -2.5 => 2,
            _ => 1,
        };
        let v = u + 0.8 * normal(rng);
        let nps = (6.2 + 1.2 * v).round().clamp(0.0, 10.0) as u64;
        let ces = (4.6 + 0.7 * u + 0.7 * normal(rng)).round().clamp(1.0, 7.0) as u64;
        let mut csat = (rng.random::<f64>() >= 0.1).then_some(csat);
        let nps = (rng.random::<f64>() >= 0.25).then_some(nps);
        let ces = (rng.random::<f64>() >= 0.4).then_some(ces);
        let comment =
            if rng.random::<f64>() < 0.3 { Some(customer_comment(rng, u, d, transferred, long_wait)) } else { None };
        if csat.is_none() && nps.is_none() && ces.is_none() && comment.is_none() {
            csat = Some(match u {
                u if u > 1.5 => 5,
                u if u > 0.0 => 4,
                u if u > -1.2 => 3,
                u if u > -2.5 => 2,
                _ => 1,
            });
        }
        let responded = ended + 60 + lognormal(rng, 7_200.0, 1.0).min(6.0 * 86_400.0) as i64;
        let t = &mut out.feedback;
        t.id(b'f', self.next_feedback, 9);
        self.next_feedback += 1;
        t.id(b'i', interaction, 9);
        t.id(b'c', u64::from(d.customer), self.customer_width);
        t.s(&a.id);
        t.ts(responded);
        t.opt_u(csat);
        t.opt_u(nps);
        t.opt_u(ces);
        t.opt_s(comment.as_deref());
        t.end()
    }
}

fn pick_reason(rng: &mut ChaCha8Rng, queue: u8) -> u8 {
    let n = REASONS[queue as usize].len();
    pick(rng, &REASON_WEIGHTS[..n]) as u8
}

fn civil_weekday(days: i64) -> Weekday {
    // 1970-01-01 was a Thursday.
    match days.rem_euclid(7) {
        0 => Weekday::Thu,
        1 => Weekday::Fri,
        2 => Weekday::Sat,
        3 => Weekday::Sun,
        4 => Weekday::Mon,
        5 => Weekday::Tue,
        _ => Weekday::Wed,
    }
}

fn customer_comment(rng: &mut ChaCha8Rng, u: f64, d: &Draft, transferred: bool, long_wait: bool) -> String {
    const POSITIVE: [&str; 6] = [
        "Friendly agent",
        "Resolved on the first contact",
        "Quick and helpful",
        "The agent really listened",
        "Problem solved, thank you",
        "Clear explanation",
    ];
    const NEGATIVE: [&str; 5] = [
        "Not resolved",
        "Had to explain everything twice",
        "The agent did not understand my problem",
        "Still waiting for a solution",
        "Unhelpful answer",
    ];
    const NEUTRAL: [&str; 3] = ["It was ok", "Took a while but fine", "Average service"];
    let mut parts: Vec<&str> = Vec::with_capacity(3);
    let list: &[&str] = if u > 1.0 {
        &POSITIVE
    } else if u < -0.5 {
        &NEGATIVE
    } else {
        &NEUTRAL
    };
    parts.push(list[rng.random_range(0..list.len())]);
    if transferred && rng.random::<f64>() < 0.7 {
        parts.push("I was transferred and had to start over");
    }
    if long_wait && rng.random::<f64>() < 0.6 {
        parts.push(if u > 0.0 { "Wait time was long, but worth it" } else { "Long wait time on hold" });
    }
    if u < 0.0 && rng.random::<f64>() < 0.5 {
        parts.push(match d.queue {
            Q_BILLING => "Billing is confusing, I was charged twice",
            Q_TECH => "Internet still drops several times a day",
            Q_SALES => "Price is too high for what you get",
            _ => "Nobody told me the status of my order",
        });
    }
    if d.repeat && rng.random::<f64>() < 0.5 {
        parts.push("Third time I contact you about this");
    }
    parts.join(". ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cxhost-generate-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn read(dir: &Path, table: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
        let mut r = csv::Reader::from_path(dir.join(format!("{table}.csv"))).expect("open csv");
        let headers = r.headers().expect("headers").iter().map(str::to_string).collect();
        let rows = r.records().map(|r| r.expect("record")).collect();
        (headers, rows)
    }

    #[test]
    fn formats() {
        let mut b = [0u8; 20];
        assert_eq!(fmt_ts(0, &mut b), b"1970-01-01T00:00:00Z");
        let t = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(9, 13, 7).unwrap().and_utc().timestamp();
        assert_eq!(fmt_ts(t, &mut b), b"2026-01-05T09:13:07Z");
        let t = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap().and_hms_opt(23, 59, 59).unwrap().and_utc().timestamp();
        assert_eq!(fmt_ts(t, &mut b), b"2024-02-29T23:59:59Z");
        let mut ib = [0u8; 24];
        assert_eq!(fmt_id(b'a', 7, 4, &mut ib), b"a0007");
        assert_eq!(fmt_id(b'a', 123_456, 4, &mut ib), b"a123456");
        for d in [-1_000i64, 0, 10_000, 20_000, 20_458, 30_000] {
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(d);
            assert_eq!(civil_weekday(d), date.weekday());
            let (y, m, dd) = civil_from_days(d);
            assert_eq!((y as i32, m, dd), (date.year(), date.month(), date.day()));
        }
    }

    #[test]
    fn same_spec_same_bytes() {
        let (a, b) = (tmp("det-a"), tmp("det-b"));
        let sa = generate(&SampleSpec::tiny(), &a).unwrap();
        let sb = generate(&SampleSpec::tiny(), &b).unwrap();
        for (table, path, rows) in &sa.files {
            let other = b.join(path.file_name().unwrap());
            assert_eq!(std::fs::read(path).unwrap(), std::fs::read(&other).unwrap(), "{table} differs");
            assert!(*rows > 0, "{table} is empty");
        }
        assert_eq!(std::fs::read(a.join("manifest.json")).unwrap(), std::fs::read(b.join("manifest.json")).unwrap());
        assert_eq!(sa.files.iter().map(|f| f.2).collect::<Vec<_>>(), sb.files.iter().map(|f| f.2).collect::<Vec<_>>());
        let other_seed = tmp("det-c");
        generate(&SampleSpec { seed: 7, ..SampleSpec::tiny() }, &other_seed).unwrap();
        assert_ne!(
            std::fs::read(a.join("interactions.csv")).unwrap(),
            std::fs::read(other_seed.join("interactions.csv")).unwrap()
        );
        for d in [a, b, other_seed] {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    #[test]
    fn rejects_bad_specs() {
        let dir = tmp("bad");
        for spec in [
            SampleSpec { agents: 0, ..SampleSpec::tiny() },
            SampleSpec { days: 0, ..SampleSpec::tiny() },
            SampleSpec { contacts_per_agent_day: f64::NAN, ..SampleSpec::tiny() },
            SampleSpec { contacts_per_agent_day: -1.0, ..SampleSpec::tiny() },
        ] {
            assert!(matches!(generate(&spec, &dir), Err(GenerateError::InvalidSpec(_))));
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn tiny_rows_are_valid() {
        let dir = tmp("valid");
        let summary = generate(&SampleSpec::tiny(), &dir).unwrap();
        let counts: HashMap<&str, u64> = summary.files.iter().map(|(t, _, n)| (t.as_str(), *n)).collect();
        assert_eq!(counts.len(), 8);
        assert_eq!(counts["agents"], 12);
        assert!((250..=700).contains(&counts["interactions"]), "{counts:?}");
        assert!((30..=160).contains(&counts["customer_feedback"]), "{counts:?}");
        assert!((5..=12).contains(&counts["employee_surveys"]), "{counts:?}");
        assert!((150..=300).contains(&counts["agent_states"]), "{counts:?}");
        // Every attended shift has two states (ready, break); a few shifts are missed.
        assert!(counts["schedules"] * 2 > counts["agent_states"], "{counts:?}");
        assert!(counts["schedules"] * 2 < counts["agent_states"] * 13 / 10, "{counts:?}");
        assert!((4..=60).contains(&counts["qa_evaluations"]), "{counts:?}");

        let ts = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}")).timestamp();
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let int_in = |s: &str, lo: i64, hi: i64| {
            let v: i64 = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert!((lo..=hi).contains(&v), "{v} not in {lo}..={hi}");
        };

        for (table, columns) in TABLE_COLUMNS {
            let (headers, rows) = read(&dir, table);
            assert_eq!(headers, *columns, "{table} header");
            assert_eq!(rows.len() as u64, counts[table], "{table} count");
            let ids: HashSet<&str> = rows.iter().map(|r| &r[0]).collect();
            assert_eq!(ids.len(), rows.len(), "{table} ids unique");
            assert!(rows.iter().all(|r| r.len() == columns.len()));
        }

        let (_, agents) = read(&dir, "agents");
        let agent_ids: HashSet<String> = agents.iter().map(|r| r[0].to_string()).collect();
        for a in &agents {
            assert!(EMPLOYMENT_TYPES_OK.contains(&&a[2]));
            assert!(a[3].starts_with("team-") && SITES.contains(&&a[4]));
            let hired = NaiveDate::parse_from_str(&a[5], "%Y-%m-%d").unwrap();
            assert!(hired <= SampleSpec::tiny().start);
            if &a[2] != "employee" {
                assert_eq!(&a[4], "home");
            }
        }

        let (_, interactions) = read(&dir, "interactions");
        let mut handled = HashMap::new();
        for r in &interactions {
            let (agent, channel, outcome) = (opt(&r[2]), &r[3], &r[9]);
            let offered = ts(&r[6]);
            let answered = opt(&r[7]).map(|s| ts(&s));
            let ended = opt(&r[8]).map(|s| ts(&s));
            assert!(["voice", "chat", "email", "messaging", "self_service"].contains(&channel));
            assert!(["handled", "abandoned", "self_service"].contains(&outcome));
            assert!(QUEUES.contains(&&r[4]) && !r[1].is_empty());
            if let Some(a) = &agent {
                assert!(agent_ids.contains(a));
            }
            assert!(answered.is_none_or(|a| a >= offered), "{r:?}");
            assert!(ended.is_none_or(|e| e >= answered.unwrap_or(offered)), "{r:?}");
            assert!(outcome != "handled" || agent.is_some(), "{r:?}");
            assert!(outcome != "handled" || channel == "email" || answered.is_some(), "{r:?}");
            assert!(outcome != "abandoned" || (answered.is_none() && ended.is_some() && agent.is_none()), "{r:?}");
            assert_eq!(outcome == "self_service", channel == "self_service", "{r:?}");
            for c in 10..13 {
                int_in(&r[c], 0, 86_400);
            }
            let flags: Vec<bool> = (13..16).map(|c| r[c].parse().unwrap()).collect();
            assert!(!flags[2] || flags[1], "sale without sales_eligible: {r:?}");
            int_in(&r[16], 0, 1_000_000_000_000_000);
            assert_eq!(flags[2], &r[16] != "0");
            if let Some(s) = opt(&r[17]) {
                let s: f64 = s.parse().unwrap();
                assert!((-1.0..=1.0).contains(&s));
            }
            if outcome == "handled" {
                handled.insert(r[0].to_string(), (r[1].to_string(), r[2].to_string(), ended.unwrap()));
            }
        }

        let (_, feedback) = read(&dir, "customer_feedback");
        for r in &feedback {
            let (customer, agent, ended) = &handled[&r[1]];
            assert_eq!((customer.as_str(), agent.as_str()), (&r[2], &r[3]));
            assert!(ts(&r[4]) > *ended);
            for (c, lo, hi) in [(5, 1, 5), (6, 0, 10), (7, 1, 7)] {
                if !r[c].is_empty() {
                    int_in(&r[c], lo, hi);
                }
            }
            assert!((5..9).any(|c| !r[c].is_empty()), "{r:?}");
        }

        let (_, surveys) = read(&dir, "employee_surveys");
        for r in &surveys {
            assert!(agent_ids.contains(&r[1]) && r[2].starts_with("pulse-"));
            ts(&r[3]);
            for (c, lo, hi) in [(4, 0, 10), (5, 1, 5), (6, 1, 5), (7, 1, 5), (8, 1, 5)] {
                if !r[c].is_empty() {
                    int_in(&r[c], lo, hi);
                }
            }
            assert!((4..10).any(|c| !r[c].is_empty()), "{r:?}");
        }

        let (_, states) = read(&dir, "agent_states");
        for r in &states {
            assert!(agent_ids.contains(&r[1]) && ["available", "unavailable"].contains(&&r[2]));
            assert!(ts(&r[4]) >= ts(&r[3]));
        }
        let (_, certifications) = read(&dir, "certifications");
        for r in &certifications {
            assert!(agent_ids.contains(&r[1]) && r[2].contains('_') && ts(&r[3]) > 0, "{r:?}");
        }
        let (_, schedules) = read(&dir, "schedules");
        for r in &schedules {
            assert!(agent_ids.contains(&r[1]) && ts(&r[3]) > ts(&r[2]), "{r:?}");
        }

        let (_, qa) = read(&dir, "qa_evaluations");
        for r in &qa {
            let (_, agent, ended) = &handled[&r[2]];
            assert_eq!(agent.as_str(), &r[1]);
            assert!(ts(&r[3]) > *ended);
            let score: f64 = r[4].parse().unwrap();
            assert!((0.0..=100.0).contains(&score) && !r[5].is_empty());
        }

        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["files"][1]["file"], "interactions.csv");
        assert_eq!(manifest["planted"]["engagement_to_csat_lag_months"], 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    const EMPLOYMENT_TYPES_OK: [&str; 3] = ["employee", "contractor", "crowd"];
}
