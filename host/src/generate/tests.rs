//! Tests of the generator as a whole: determinism (down to known file hashes), spec
//! validation, the schema's tables and columns in every file, and the validity of every row.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::roster::SITES;
use super::vocabulary::QUEUES;
use super::{GenerateError, SampleSpec, generate};
use crate::store::schema;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cxhost-generate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A generated CSV file, its values looked up by column name.
struct CsvFile {
    headers: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl CsvFile {
    fn read(dir: &Path, table: &str) -> Self {
        let mut r = csv::Reader::from_path(dir.join(format!("{table}.csv"))).expect("open csv");
        let headers = r.headers().expect("headers").iter().map(str::to_string).collect();
        let rows = r.records().map(|r| r.expect("record")).collect();
        CsvFile { headers, rows }
    }

    /// The position of `column`; panics when the file has no such column.
    fn col(&self, column: &str) -> usize {
        self.headers.iter().position(|h| h == column).unwrap_or_else(|| panic!("no column {column}"))
    }
}

/// SHA-256 of every file `generate(&SampleSpec::tiny(), …)` writes; the output must never
/// change by accident (a deliberate change of the generated data updates these: the last was
/// the empty `notes` column of interactions, so only their header and one comma per row changed).
const TINY_SHA256: [(&str, &str); 10] = [
    ("agent_states.csv", "e00edb2a91abfe58259a1dbea0b53463fac198969296fd1b23acd2a495e26e37"),
    ("agents.csv", "979663cd72d7f73003d871f1d05f5d6b28683ce9a7961dc9f7ebcd802d0ebf8e"),
    ("certifications.csv", "d139635dd3bb190246ecf2548247378627a6827a51a0abea6914d9b7b93a3165"),
    ("coaching_sessions.csv", "259cab62e2a121a54ac62e27fac84805048043032c253282bd32c749c9e636b4"),
    ("customer_feedback.csv", "93b3c7f585f2e717cd80ba0c76261f15c4e2be1d88bf1af5180f73bb9a63f963"),
    ("employee_surveys.csv", "7429f08f734941355c2b97609fd9cb0fac7a42f17e2761143b9ffc834a33210c"),
    ("interactions.csv", "faaaf109ba9305452a3aa62957fd5476df7ae7f85f2da27d0813e2ec6fa990ec"),
    ("manifest.json", "b5155efd6485cd89f34446fc21afc6203756645f14dca0b703974ced8d547f04"),
    ("qa_evaluations.csv", "eff4c2d572db69d47947c0291f63a035f57a57fc97e055ff95fb5c78531c85e9"),
    ("schedules.csv", "f9d181610697512d83dac762b52e584fc23f1dccc8d08c2e57a67b04b94535aa"),
];

#[test]
fn tiny_files_have_the_known_sha256() {
    let dir = tmp("sha");
    generate(&SampleSpec::tiny(), &dir).unwrap();
    let mut written: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written, TINY_SHA256.map(|(file, _)| file), "files written");
    for (file, expected) in TINY_SHA256 {
        let actual = hex::encode(Sha256::digest(std::fs::read(dir.join(file)).unwrap()));
        assert_eq!(actual, expected, "SHA-256 of {file}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn same_spec_same_bytes() {
    let (a, b) = (tmp("det-a"), tmp("det-b"));
    let sa = generate(&SampleSpec::tiny(), &a).unwrap();
    let sb = generate(&SampleSpec::tiny(), &b).unwrap();
    for (table, path, rows) in &sa.files {
        let other = b.join(path.file_name().unwrap());
        assert_eq!(std::fs::read(path).unwrap(), std::fs::read(&other).unwrap(), "{table} differs");
        // Coaching sessions are sparse (about one per agent and quarter): two weeks of a
        // dozen agents may hold none.
        assert!(*rows > 0 || table == "coaching_sessions", "{table} is empty");
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

/// Every table of the schema gets a file, in the schema's order, whose header is the schema's
/// columns; a schema column the generator gives no value panics while generating (see
/// `table_out`), so this test fails the moment a column is added to the schema alone.
#[test]
fn every_schema_table_and_column_is_generated() {
    let dir = tmp("schema");
    // Eight weeks, so that the sparse tables (coaching sessions) have rows too.
    let summary = generate(&SampleSpec { days: 56, ..SampleSpec::tiny() }, &dir).unwrap();
    let tables: Vec<&str> = summary.files.iter().map(|(table, _, _)| table.as_str()).collect();
    assert_eq!(tables, schema::TABLES.iter().map(|t| t.name).collect::<Vec<_>>());
    for table in schema::TABLES {
        let file = CsvFile::read(&dir, table.name);
        assert_eq!(file.headers, table.columns.iter().map(|c| c.name).collect::<Vec<_>>(), "{} header", table.name);
        assert!(file.rows.iter().all(|r| r.len() == table.columns.len()), "{} row lengths", table.name);
        // Each column has a value somewhere: none is written empty on every row.
        for (i, column) in table.columns.iter().enumerate() {
            if (table.name, column.name) == ("coaching_sessions", "action_id") {
                continue; // generated sessions answer no rule's task
            }
            if (table.name, column.name) == ("interactions", "notes") {
                continue; // the sample has no transcripts: the vendor's score stays each contact's sentiment
            }
            assert!(file.rows.iter().any(|r| !r[i].is_empty()), "{}.{} is always empty", table.name, column.name);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn tiny_rows_are_valid() {
    let dir = tmp("valid");
    let summary = generate(&SampleSpec::tiny(), &dir).unwrap();
    let counts: HashMap<&str, u64> = summary.files.iter().map(|(t, _, n)| (t.as_str(), *n)).collect();
    assert_eq!(counts.len(), 9);
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

    for table in schema::TABLES {
        let file = CsvFile::read(&dir, table.name);
        assert_eq!(file.rows.len() as u64, counts[table.name], "{} count", table.name);
        let key = file.col(table.key);
        let ids: HashSet<&str> = file.rows.iter().map(|r| &r[key]).collect();
        assert_eq!(ids.len(), file.rows.len(), "{} ids unique", table.name);
    }

    let agents = CsvFile::read(&dir, "agents");
    let agent_ids: HashSet<String> = agents.rows.iter().map(|r| r[agents.col("agent_id")].to_string()).collect();
    for a in &agents.rows {
        let (kind, site) = (&a[agents.col("employment_type")], &a[agents.col("site")]);
        assert!(schema::EMPLOYMENT_TYPES.contains(&kind));
        assert!(a[agents.col("team")].starts_with("team-") && SITES.contains(&site));
        let hired = NaiveDate::parse_from_str(&a[agents.col("hired_at")], "%Y-%m-%d").unwrap();
        assert!(hired <= SampleSpec::tiny().start);
        if kind != "employee" {
            assert_eq!(site, "home");
        }
    }

    let interactions = CsvFile::read(&dir, "interactions");
    let c = |name: &str| interactions.col(name);
    let mut handled = HashMap::new();
    for r in &interactions.rows {
        let (agent, channel, outcome) = (opt(&r[c("agent_id")]), &r[c("channel")], &r[c("outcome")]);
        let offered = ts(&r[c("offered_at")]);
        let answered = opt(&r[c("answered_at")]).map(|s| ts(&s));
        let ended = opt(&r[c("ended_at")]).map(|s| ts(&s));
        assert!(schema::CHANNELS.contains(&channel));
        assert!(schema::OUTCOMES.contains(&outcome));
        assert!(QUEUES.contains(&&r[c("queue")]) && !r[c("customer_id")].is_empty());
        if let Some(a) = &agent {
            assert!(agent_ids.contains(a));
        }
        assert!(answered.is_none_or(|a| a >= offered), "{r:?}");
        assert!(ended.is_none_or(|e| e >= answered.unwrap_or(offered)), "{r:?}");
        assert!(outcome != "handled" || agent.is_some(), "{r:?}");
        assert!(outcome != "handled" || channel == "email" || answered.is_some(), "{r:?}");
        assert!(outcome != "abandoned" || (answered.is_none() && ended.is_some() && agent.is_none()), "{r:?}");
        assert_eq!(outcome == "self_service", channel == "self_service", "{r:?}");
        for column in ["talk_seconds", "hold_seconds", "wrap_seconds"] {
            int_in(&r[c(column)], 0, 86_400);
        }
        let flag = |column: &str| -> bool { r[c(column)].parse().unwrap() };
        assert!(!flag("sale") || flag("sales_eligible"), "sale without sales_eligible: {r:?}");
        int_in(&r[c("revenue_cents")], 0, 1_000_000_000_000_000);
        assert_eq!(flag("sale"), &r[c("revenue_cents")] != "0");
        if let Some(s) = opt(&r[c("sentiment")]) {
            let s: f64 = s.parse().unwrap();
            assert!((-1.0..=1.0).contains(&s));
        }
        if outcome == "handled" {
            let customer_and_agent = (r[c("customer_id")].to_string(), r[c("agent_id")].to_string());
            handled.insert(r[c("interaction_id")].to_string(), (customer_and_agent, ended.unwrap()));
        }
    }

    let feedback = CsvFile::read(&dir, "customer_feedback");
    let c = |name: &str| feedback.col(name);
    for r in &feedback.rows {
        let ((customer, agent), ended) = &handled[&r[c("interaction_id")]];
        assert_eq!((customer.as_str(), agent.as_str()), (&r[c("customer_id")], &r[c("agent_id")]));
        assert!(ts(&r[c("responded_at")]) > *ended);
        for (column, lo, hi) in [("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)] {
            if !r[c(column)].is_empty() {
                int_in(&r[c(column)], lo, hi);
            }
        }
        assert!(["csat", "nps", "ces", "comment"].iter().any(|&column| !r[c(column)].is_empty()), "{r:?}");
    }

    let surveys = CsvFile::read(&dir, "employee_surveys");
    let c = |name: &str| surveys.col(name);
    for r in &surveys.rows {
        assert!(agent_ids.contains(&r[c("agent_id")]) && r[c("survey")].starts_with("pulse-"));
        ts(&r[c("responded_at")]);
        let items =
            [("enps", 0, 10), ("engagement", 1, 5), ("wellbeing", 1, 5), ("manager_support", 1, 5), ("tools", 1, 5)];
        for (column, lo, hi) in items {
            if !r[c(column)].is_empty() {
                int_in(&r[c(column)], lo, hi);
            }
        }
        assert!(items.iter().any(|(column, _, _)| !r[c(column)].is_empty()) || !r[c("comment")].is_empty(), "{r:?}");
    }

    let states = CsvFile::read(&dir, "agent_states");
    let c = |name: &str| states.col(name);
    for r in &states.rows {
        assert!(agent_ids.contains(&r[c("agent_id")]) && schema::AGENT_STATES.contains(&&r[c("state")]));
        assert!(ts(&r[c("ended_at")]) >= ts(&r[c("started_at")]));
    }
    let certifications = CsvFile::read(&dir, "certifications");
    let c = |name: &str| certifications.col(name);
    for r in &certifications.rows {
        let (agent, certification, completed) = (&r[c("agent_id")], &r[c("certification")], &r[c("completed_at")]);
        assert!(agent_ids.contains(agent) && certification.contains('_') && ts(completed) > 0, "{r:?}");
    }
    let schedules = CsvFile::read(&dir, "schedules");
    let c = |name: &str| schedules.col(name);
    for r in &schedules.rows {
        assert!(agent_ids.contains(&r[c("agent_id")]) && ts(&r[c("ends_at")]) > ts(&r[c("starts_at")]), "{r:?}");
    }

    let qa = CsvFile::read(&dir, "qa_evaluations");
    let c = |name: &str| qa.col(name);
    for r in &qa.rows {
        let ((_, agent), ended) = &handled[&r[c("interaction_id")]];
        assert_eq!(agent.as_str(), &r[c("agent_id")]);
        assert!(ts(&r[c("evaluated_at")]) > *ended);
        let score: f64 = r[c("score")].parse().unwrap();
        assert!((0.0..=100.0).contains(&score) && !r[c("evaluator")].is_empty());
    }

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"][1]["file"], "interactions.csv");
    assert_eq!(manifest["planted"]["engagement_to_csat_lag_months"], 1);
    let _ = std::fs::remove_dir_all(dir);
}
