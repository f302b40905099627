//! Fixture cases of a plugin project (`fixtures/<case>/` with `data/`, `request.json` and
//! `expected.json`; docs/PLUGIN-CLI.md) and the comparison of a run's output with the
//! expected one: numbers within a tolerance, everything else exactly, key order ignored.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::run::{Request, Tolerance};

/// How many differences a failed case shows.
pub const SHOWN_DIFFERENCES: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid: {detail}")]
    Invalid { path: PathBuf, detail: String },
    #[error("no fixture cases in {0}: make a directory per case with data/, request.json and expected.json")]
    NoCases(PathBuf),
    #[error("case `{case}` has no data: give it data/, or put shared data in {shared}")]
    NoData { case: String, shared: PathBuf },
}

/// One case: its name, data, request and expected output (none when `expected.json` is missing).
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub data: PathBuf,
    pub request: Request,
    pub expected: Option<Value>,
}

/// Every case under `fixtures`, by name: each subdirectory but the shared `data/`.
pub fn cases(fixtures: &Path) -> Result<Vec<Case>, FixtureError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FixtureError::Io { path, source }
    };
    let shared = fixtures.join("data");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures)
        .map_err(io(fixtures))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && *p != shared)
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(FixtureError::NoCases(fixtures.to_path_buf()));
    }
    let mut cases = Vec::new();
    for dir in dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let data = match dir.join("data") {
            own if own.is_dir() => own,
            _ if shared.is_dir() => shared.clone(),
            _ => return Err(FixtureError::NoData { case: name, shared }),
        };
        let request = match read_json(&dir.join("request.json"))? {
            Some(value) => serde_json::from_value(value)
                .map_err(|e| FixtureError::Invalid { path: dir.join("request.json"), detail: e.to_string() })?,
            None => Request::default(),
        };
        let expected = read_json(&dir.join("expected.json"))?;
        cases.push(Case { name, data, request, expected });
    }
    Ok(cases)
}

fn read_json(path: &Path) -> Result<Option<Value>, FixtureError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| FixtureError::Invalid { path: path.to_path_buf(), detail: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FixtureError::Io { path: path.to_path_buf(), source }),
    }
}

/// One place where the output differs from the expected output.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Where, e.g. `rows[0].value` (empty for the whole output).
    pub path: String,
    /// The expected value as JSON, or `nothing` when the output has a field not expected.
    pub expected: String,
    /// The output's value as JSON, or `nothing` when an expected field is missing.
    pub actual: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.path.is_empty() { "the output" } else { &self.path };
        write!(f, "at {at}: expected {}, got {}", self.expected, self.actual)
    }
}

/// Every difference between `expected` and `actual`, objects' keys in sorted order: numbers match within
/// `tolerance`, other values exactly; object key order does not matter.
pub fn compare(expected: &Value, actual: &Value, tolerance: Tolerance) -> Vec<Difference> {
    let mut found = Vec::new();
    walk(expected, actual, tolerance, String::new(), &mut found);
    found
}

fn walk(expected: &Value, actual: &Value, tolerance: Tolerance, path: String, found: &mut Vec<Difference>) {
    let differ = |found: &mut Vec<Difference>, path: String| {
        found.push(Difference { path, expected: expected.to_string(), actual: actual.to_string() })
    };
    let child = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
            let gap = (a - b).abs();
            if !(gap <= tolerance.absolute || gap <= tolerance.relative * a.abs()) {
                differ(found, path);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => walk(value, other, tolerance, child(key), found),
                    None => found.push(Difference {
                        path: child(key),
                        expected: value.to_string(),
                        actual: "nothing".to_string(),
                    }),
                }
            }
            for (key, value) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                found.push(Difference { path: child(key), expected: "nothing".to_string(), actual: value.to_string() });
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(x, y, tolerance, format!("{path}[{i}]"), found);
            }
        }
        (Value::Array(a), Value::Array(b)) => found.push(Difference {
            path,
            expected: format!("{} items", a.len()),
            actual: format!("{} items", b.len()),
        }),
        _ if expected == actual => {}
        _ => differ(found, path),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_match_within_the_tolerance_and_the_rest_exactly() {
        let tolerance = Tolerance { relative: 0.01, absolute: 0.0 };
        let expected = json!({"rows": [{"group": "a", "value": 100.0}], "unit": "s"});
        assert!(
            compare(&expected, &json!({"unit": "s", "rows": [{"value": 100.9, "group": "a"}]}), tolerance).is_empty()
        );
        let differences = compare(&expected, &json!({"rows": [{"group": "b", "value": 102}], "extra": 1}), tolerance);
        let shown: Vec<String> = differences.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            shown,
            [
                "at rows[0].group: expected \"a\", got \"b\"",
                "at rows[0].value: expected 100.0, got 102",
                "at unit: expected \"s\", got nothing",
                "at extra: expected nothing, got 1",
            ]
        );
        assert_eq!(
            compare(&json!([1, 2]), &json!([1]), tolerance)[0].to_string(),
            "at the output: expected 2 items, got 1 items"
        );
    }
}
