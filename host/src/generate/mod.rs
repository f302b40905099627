//! The sample-data generator's public API: what to generate ([`SampleSpec`]), [`generate`]
//! itself, what was written ([`SampleSummary`], [`PlantedEffects`]) and how it fails
//! ([`GenerateError`]).
//!
//! Deterministic sample data for a distributed contact center: agents, interactions, customer
//! feedback, employee surveys, agent states, schedules, QA evaluations, certifications and
//! coaching sessions as CSV files in the canonical schema, with a planted CX–EX relationship (an
//! agent's engagement this month drives the satisfaction of the customers they serve next
//! month) and a planted coaching effect (a coached agent's talk time shrinks) that analysis is
//! meant to find.
//!
//! The same [`SampleSpec`] always produces byte-identical files. Rows are streamed to buffered
//! writers: memory grows with the number of agents (and the few days of pending repeat
//! contacts), never with the number of rows written.
//!
//! Every file's header and column order come from `store::schema` (see `table_out`): a column
//! of the schema that the generator gives no value fails the module's unit tests.
//!
//! The work is divided as follows:
//! - `planted`: the true parameters of the planted effects;
//! - `world`: the state shared by one run; `day`: the order of one simulated day;
//! - `roster`: the agents and their latent traits; `vocabulary`: queues, reasons, channels;
//! - `shifts`: schedules, attendance and agent states; `volume`: how many contacts arrive
//!   and who gets them; `interactions`: what happens on a contact; `feedback`: customer
//!   surveys; `surveys`: employee pulse surveys; `qa`: QA evaluations, certifications and
//!   coaching sessions;
//! - `table_out`: the CSV writers; `fields`: field formatting; `calendar`: day arithmetic;
//!   `random`: the random streams and distributions.

mod calendar;
mod day;
mod feedback;
mod fields;
mod interactions;
mod planted;
mod qa;
mod random;
mod roster;
mod shifts;
mod surveys;
mod table_out;
#[cfg(test)]
mod tests;
mod vocabulary;
mod volume;
mod world;

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};

pub use planted::PlantedEffects;
use table_out::Outputs;
use world::World;

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

/// Writes one CSV file per table of the schema, and `manifest.json`, into `dir` (created when
/// missing).
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
        files.push((t.table.name.to_string(), t.path.clone(), t.rows));
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
