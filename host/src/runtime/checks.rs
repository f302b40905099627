//! What the host accepts from a plugin before anything is stored, listed or served: its
//! `describe()` answer (name, version, description, parameter declarations) and a metric's
//! result or series (units, unique groups, finite and consistent figures). The other worlds' outputs are
//! checked by their consumers (panels, pay ledger, points ledger) with the same size helpers.

use std::collections::HashSet;

use super::bindings::{MetricResult, ParamType, ParamValue, PluginInfo, RecordsQuery, SeriesResult};
use crate::config::PluginLimits;
pub use crate::text::{check_label, check_text, shown, shown_long};

/// Parameter names the routes use themselves; a plugin may not declare them.
pub const RESERVED_PARAMS: &[&str] = &["from", "to", "group_by", "subject", "plugin", "hash", "params"];

pub const MAX_VERSION_BYTES: usize = 64;
pub const MAX_DESCRIPTION_BYTES: usize = 8 << 10;
pub const MAX_PARAMS: usize = 64;
pub const MAX_PARAM_DESCRIPTION_BYTES: usize = 1 << 10;
pub const MAX_TEXT_DEFAULT_BYTES: usize = 4 << 10;
pub const MAX_UNIT_BYTES: usize = 64;
pub const MAX_GROUP_BYTES: usize = 256;

fn type_of(value: &ParamValue) -> ParamType {
    match value {
        ParamValue::Integer(_) => ParamType::Integer,
        ParamValue::Float(_) => ParamType::Float,
        ParamValue::Text(_) => ParamType::Text,
        ParamValue::Boolean(_) => ParamType::Boolean,
    }
}

/// A parameter type as the API names it.
pub fn type_name(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Integer => "integer",
        ParamType::Float => "float",
        ParamType::Text => "text",
        ParamType::Boolean => "boolean",
    }
}

fn valid_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a `describe()` answer; the name's own rules are checked by the loader.
pub fn check_info(info: &PluginInfo) -> Result<(), String> {
    check_label("the version", &info.version, MAX_VERSION_BYTES)?;
    if info.version.is_empty() || info.version.contains(' ') {
        return Err(format!("the version `{}` must be non-empty, without spaces", shown(&info.version)));
    }
    check_text("the description", &info.description, MAX_DESCRIPTION_BYTES)?;
    if info.params.len() > MAX_PARAMS {
        return Err(format!("{} parameters are declared, more than the limit of {MAX_PARAMS}", info.params.len()));
    }
    let mut seen = HashSet::new();
    for spec in &info.params {
        let name = &spec.name;
        if !valid_param_name(name) {
            return Err(format!(
                "parameter name `{}` is not 1–64 lowercase letters, digits and `_` starting with a letter",
                shown(name)
            ));
        }
        if RESERVED_PARAMS.contains(&name.as_str()) {
            return Err(format!(
                "parameter `{name}` clashes with the routes' own parameters ({})",
                RESERVED_PARAMS.join(", ")
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(format!("parameter `{name}` is declared twice"));
        }
        if type_of(&spec.default) != spec.type_ {
            return Err(format!(
                "parameter `{name}` is declared as {} but its default is {}",
                type_name(spec.type_),
                type_name(type_of(&spec.default))
            ));
        }
        match &spec.default {
            ParamValue::Float(v) if !v.is_finite() => {
                return Err(format!("parameter `{name}` has a non-finite default"));
            }
            ParamValue::Text(text) => {
                check_text(&format!("the default of parameter `{name}`"), text, MAX_TEXT_DEFAULT_BYTES)?
            }
            _ => {}
        }
        check_text(&format!("the description of parameter `{name}`"), &spec.description, MAX_PARAM_DESCRIPTION_BYTES)?;
    }
    Ok(())
}

/// Checks that outputs of the given sizes add up to at most the result limit.
pub fn check_size(sizes: impl Iterator<Item = usize>, what: &str, limits: &PluginLimits) -> Result<(), String> {
    let size: u64 = sizes.map(|s| s as u64).sum();
    if size > limits.max_result_bytes {
        return Err(format!("{size} bytes of {what}, more than the limit of {} bytes", limits.max_result_bytes));
    }
    Ok(())
}

/// Checks a metric's output: its size, its unit, and each row (see [`check_row`]); a group
/// appears once.
pub fn check_metric_result(result: &MetricResult, max_bytes: u64) -> Result<(), String> {
    let size: u64 = result.unit.len() as u64 + result.rows.iter().map(|r| r.group.len() as u64 + 32).sum::<u64>();
    if size > max_bytes {
        return Err(format!("{size} bytes, more than the limit of {max_bytes} bytes"));
    }
    check_label("the unit", &result.unit, MAX_UNIT_BYTES)?;
    let mut groups = HashSet::with_capacity(result.rows.len());
    for row in &result.rows {
        check_row(&row.group, row.value, row.numerator, row.denominator)?;
        if !groups.insert(row.group.as_str()) {
            return Err(format!("group `{}` appears more than once", shown(&row.group)));
        }
    }
    Ok(())
}

/// Checks a metric's series output like [`check_metric_result`]; a group appears once per
/// period. Whether each period is one that was asked for, the caller checks.
pub fn check_series_result(result: &SeriesResult, max_bytes: u64) -> Result<(), String> {
    let size: u64 = result.unit.len() as u64 + result.rows.iter().map(|r| r.group.len() as u64 + 40).sum::<u64>();
    if size > max_bytes {
        return Err(format!("{size} bytes, more than the limit of {max_bytes} bytes"));
    }
    check_label("the unit", &result.unit, MAX_UNIT_BYTES)?;
    let mut cells = HashSet::with_capacity(result.rows.len());
    for row in &result.rows {
        check_row(&row.group, row.value, row.numerator, row.denominator)?;
        if !cells.insert((row.period_start, row.group.as_str())) {
            return Err(format!(
                "group `{}` appears more than once in the period starting at {} µs",
                shown(&row.group),
                row.period_start
            ));
        }
    }
    Ok(())
}

/// The most parameters a records query may bind.
const MAX_RECORDS_PARAMS: usize = 256;

/// Checks a metric's records query: SQL within the size a plugin may send, and a bounded
/// number of parameters. Whether it is a single SELECT with the right columns, the host learns
/// when it runs it in the plugins' sandbox.
pub fn check_records_query(query: &RecordsQuery) -> Result<(), String> {
    if query.sql.trim().is_empty() {
        return Err("the records query is empty".to_string());
    }
    if query.sql.len() > crate::store::readonly::MAX_SQL_BYTES {
        return Err(format!(
            "the records query has {} bytes, more than the limit of {}",
            query.sql.len(),
            crate::store::readonly::MAX_SQL_BYTES
        ));
    }
    if query.params.len() > MAX_RECORDS_PARAMS {
        return Err(format!(
            "the records query binds {} parameters, more than the limit of {MAX_RECORDS_PARAMS}",
            query.params.len()
        ));
    }
    Ok(())
}

/// One row of a metric: a non-empty printable group name; finite figures; a denominator that
/// is not negative, and none of 0 under a value; a value equal to numerator over denominator
/// when all three are given.
fn check_row(group: &str, value: Option<f64>, numerator: Option<f64>, denominator: Option<f64>) -> Result<(), String> {
    if group.is_empty() {
        return Err("a row has an empty group name".to_string());
    }
    check_label("a group name", group, MAX_GROUP_BYTES)?;
    for (what, v) in [("value", value), ("numerator", numerator), ("denominator", denominator)] {
        if let Some(v) = v
            && !v.is_finite()
        {
            return Err(format!("group `{}` has a non-finite {what} ({v})", shown(group)));
        }
    }
    // The group is quoted only for a fault: this runs on every row of every result.
    let fault = match (value, numerator, denominator) {
        (_, _, Some(d)) if d < 0.0 => format!("has a negative denominator ({d})"),
        (Some(v), _, Some(0.0)) => format!("has the value {v} over a denominator of 0"),
        (Some(v), Some(n), Some(d)) if (v - n / d).abs() > 1e-9 * v.abs().max(1.0) => {
            format!("has the value {v}, but its numerator over denominator is {}", n / d)
        }
        _ => return Ok(()),
    };
    Err(format!("group `{}` {fault}", shown(group)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::bindings::{MetricRow, ParamSpec, PluginKind};

    fn info(params: Vec<ParamSpec>) -> PluginInfo {
        PluginInfo {
            name: "m".into(),
            version: "1.0.0".into(),
            kind: PluginKind::Metric,
            description: "A metric.".into(),
            params,
        }
    }

    fn spec(name: &str, type_: ParamType, default: ParamValue) -> ParamSpec {
        ParamSpec { name: name.into(), type_, default, description: String::new() }
    }

    #[test]
    fn parameter_declarations_are_checked() {
        let int = |name: &str| spec(name, ParamType::Integer, ParamValue::Integer(1));
        assert_eq!(check_info(&info(vec![int("days"), int("min_responses")])), Ok(()));
        for (params, error) in [
            (vec![int("from")], "parameter `from` clashes with the routes' own parameters"),
            (vec![int("group_by")], "parameter `group_by` clashes"),
            (vec![int("")], "parameter name `` is not"),
            (vec![int("Days")], "parameter name `Days` is not"),
            (vec![int("days"), int("days")], "parameter `days` is declared twice"),
            (
                vec![spec("k", ParamType::Integer, ParamValue::Text("seven".into()))],
                "parameter `k` is declared as integer but its default is text",
            ),
            (vec![int("p"); 65], "65 parameters are declared"),
        ] {
            let found = check_info(&info(params)).unwrap_err();
            assert!(found.starts_with(error), "{found}");
        }
        let mut long = info(vec![]);
        long.description = "x".repeat(MAX_DESCRIPTION_BYTES + 1);
        assert!(check_info(&long).unwrap_err().starts_with("the description has 8193 bytes"));
        long.description = "ok\u{1b}[31m".into();
        assert!(check_info(&long).unwrap_err().contains("control character"));
    }

    fn row(group: &str, value: Option<f64>, numerator: Option<f64>, denominator: Option<f64>) -> MetricRow {
        MetricRow { group: group.into(), value, numerator, denominator }
    }

    #[test]
    fn metric_results_must_be_unique_named_finite_and_consistent() {
        let check = |rows: Vec<MetricRow>| check_metric_result(&MetricResult { unit: "ratio".into(), rows }, 1 << 20);
        assert_eq!(
            check(vec![row("a", Some(0.25), Some(1.0), Some(4.0)), row("b", None, Some(0.0), Some(0.0))]),
            Ok(())
        );
        assert_eq!(check(vec![row("a", Some(3.5), None, None)]), Ok(()));
        for (rows, error) in [
            (
                vec![row("a", Some(1.0), None, None), row("a", Some(2.0), None, None)],
                "group `a` appears more than once",
            ),
            (vec![row("", Some(1.0), None, None)], "a row has an empty group name"),
            (vec![row("t", Some(0.9), Some(0.0), Some(0.0))], "group `t` has the value 0.9 over a denominator of 0"),
            (vec![row("t", Some(0.9), Some(1.0), Some(4.0))], "group `t` has the value 0.9, but its numerator"),
            (vec![row("t", Some(0.5), Some(-1.0), Some(-2.0))], "group `t` has a negative denominator"),
            (vec![row("t", Some(f64::NAN), None, None)], "group `t` has a non-finite value"),
            (vec![row(&"g".repeat(300), Some(1.0), None, None)], "a group name has 300 bytes"),
            (vec![row("a\nb", Some(1.0), None, None)], "a group name `a\\nb` must be on one line"),
        ] {
            let found = check(rows).unwrap_err();
            assert!(found.starts_with(error), "{found}");
        }
    }
}
