//! What callers ask for, read from text: time ranges, groupings and plugin parameters, the
//! last checked against the parameters the plugin declares in `describe()`. The API's query
//! strings and bodies, the pages' forms and the demo all read them here.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::runtime::bindings::{GroupBy, Param, ParamType, ParamValue, PluginInfo};
use crate::runtime::kind_name;

#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    #[error("query parameter `{0}` is required (RFC 3339 timestamp or YYYY-MM-DD)")]
    Missing(&'static str),
    #[error("`{field}` = `{text}` is neither an RFC 3339 timestamp (2026-03-02T00:00:00Z) nor a date (2026-03-02)")]
    BadTime { field: &'static str, text: String },
    #[error("`from` ({from}) must be before `to` ({to})")]
    EmptyRange { from: String, to: String },
    #[error("group_by `{0}` is not one of agent, team, site, queue, channel, day, week, month, total")]
    BadGroupBy(String),
    #[error("{kind} `{plugin}` has no parameter `{name}`; it accepts {accepted}")]
    Unknown { kind: &'static str, plugin: String, name: String, accepted: String },
    #[error("parameter `{name}` must be {expected}, got `{text}`")]
    BadValue { name: String, expected: &'static str, text: String },
}

impl ParamError {
    /// The parameter or field at fault.
    pub fn field(&self) -> &str {
        match self {
            ParamError::Missing(field) | ParamError::BadTime { field, .. } => field,
            ParamError::EmptyRange { .. } => "from",
            ParamError::BadGroupBy(_) => "group_by",
            ParamError::Unknown { name, .. } | ParamError::BadValue { name, .. } => name,
        }
    }
}

const GROUP_BYS: &[(&str, GroupBy)] = &[
    ("agent", GroupBy::Agent),
    ("team", GroupBy::Team),
    ("site", GroupBy::Site),
    ("queue", GroupBy::Queue),
    ("channel", GroupBy::Channel),
    ("day", GroupBy::Day),
    ("week", GroupBy::Week),
    ("month", GroupBy::Month),
    ("total", GroupBy::Total),
];

/// A `group_by` value.
pub fn parse_group_by(text: &str) -> Result<GroupBy, ParamError> {
    GROUP_BYS.iter().find(|(n, _)| *n == text).map(|(_, g)| *g).ok_or_else(|| ParamError::BadGroupBy(text.to_string()))
}

/// An RFC 3339 timestamp, or a date meaning midnight UTC.
/// The optional bounds of a listing: from, to.
pub type Bounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The optional bounds of a listing, `from` and `to`, each read like [`parse_time`].
pub fn optional_bounds(from: Option<&str>, to: Option<&str>) -> Result<Bounds, ParamError> {
    Ok((from.map(|t| parse_time("from", t)).transpose()?, to.map(|t| parse_time("to", t)).transpose()?))
}

pub fn parse_time(field: &'static str, text: &str) -> Result<DateTime<Utc>, ParamError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(ParamError::BadTime { field, text: text.to_string() })
}

/// `[from, to)` from the two texts; `from` must come first.
/// µs since the Unix epoch as an RFC 3339 timestamp (UTC), for messages.
pub fn micros_text(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map_or_else(|| format!("{micros} µs"), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

pub fn parse_range(from_text: &str, to_text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), ParamError> {
    let from = parse_time("from", from_text)?;
    let to = parse_time("to", to_text)?;
    if from >= to {
        return Err(ParamError::EmptyRange { from: from_text.to_string(), to: to_text.to_string() });
    }
    Ok((from, to))
}

/// `[from, to)` taken out of a query's `from` and `to`, both required.
pub fn take_range(query: &mut HashMap<String, String>) -> Result<(DateTime<Utc>, DateTime<Utc>), ParamError> {
    let from = query.remove("from").ok_or(ParamError::Missing("from"))?;
    let to = query.remove("to").ok_or(ParamError::Missing("to"))?;
    parse_range(&from, &to)
}

/// One parameter's value from its text, as the declared type.
pub fn parse_param(name: &str, ty: ParamType, text: &str) -> Result<ParamValue, ParamError> {
    let bad =
        |expected: &'static str| ParamError::BadValue { name: name.to_string(), expected, text: text.to_string() };
    Ok(match ty {
        ParamType::Integer => ParamValue::Integer(text.parse().map_err(|_| bad("an integer"))?),
        ParamType::Float => {
            let v: f64 = text.parse().map_err(|_| bad("a number"))?;
            if !v.is_finite() {
                return Err(bad("a finite number"));
            }
            ParamValue::Float(v)
        }
        ParamType::Boolean => ParamValue::Boolean(text.parse().map_err(|_| bad("true or false"))?),
        ParamType::Text => ParamValue::Text(text.to_string()),
    })
}

/// A parameter value as JSON.
pub fn value_json(value: &ParamValue) -> Value {
    match value {
        ParamValue::Integer(v) => Value::from(*v),
        ParamValue::Float(v) => Value::from(*v),
        ParamValue::Text(v) => Value::from(v.as_str()),
        ParamValue::Boolean(v) => Value::from(*v),
    }
}

/// Every parameter the plugin declares, from `given` or its default, also as JSON for the
/// answer to echo. A given parameter the plugin does not declare is an error naming the ones
/// it accepts (`fixed` lists the route's own).
pub fn plugin_params(
    info: &PluginInfo,
    mut given: HashMap<String, String>,
    fixed: &str,
) -> Result<(Vec<Param>, BTreeMap<String, Value>), ParamError> {
    let mut params = Vec::new();
    let mut echoed = BTreeMap::new();
    for spec in &info.params {
        let value = match given.remove(&spec.name) {
            Some(text) => parse_param(&spec.name, spec.type_, &text)?,
            None => spec.default.clone(),
        };
        echoed.insert(spec.name.clone(), value_json(&value));
        params.push(Param { name: spec.name.clone(), value });
    }
    if let Some(unknown) = given.keys().min() {
        let declared: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
        let accepted =
            if declared.is_empty() { fixed.to_string() } else { format!("{fixed}, {}", declared.join(", ")) };
        return Err(ParamError::Unknown {
            kind: kind_name(info.kind),
            plugin: info.name.clone(),
            name: unknown.clone(),
            accepted,
        });
    }
    Ok((params, echoed))
}

/// JSON parameters (a run's body) as the texts [`plugin_params`] reads.
pub fn texts_of(params: &serde_json::Map<String, Value>) -> HashMap<String, String> {
    params.iter().map(|(k, v)| (k.clone(), if let Value::String(s) = v { s.clone() } else { v.to_string() })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::bindings::{ParamSpec, PluginKind};

    fn info() -> PluginInfo {
        PluginInfo {
            name: "fcr".into(),
            version: "1.0.0".into(),
            kind: PluginKind::Metric,
            description: String::new(),
            params: vec![ParamSpec {
                name: "window_days".into(),
                type_: ParamType::Integer,
                default: ParamValue::Integer(7),
                description: String::new(),
            }],
        }
    }

    #[test]
    fn parameters_take_their_defaults_and_refuse_what_the_plugin_does_not_declare() {
        let (params, echoed) = plugin_params(&info(), HashMap::new(), "from, to").unwrap();
        assert_eq!(params[0].name, "window_days");
        assert_eq!(echoed["window_days"], 7);
        let given = HashMap::from([("window_days".to_string(), "three".to_string())]);
        let bad = plugin_params(&info(), given, "from, to").unwrap_err();
        assert_eq!(bad.to_string(), "parameter `window_days` must be an integer, got `three`");
        let given = HashMap::from([("colour".to_string(), "red".to_string())]);
        let unknown = plugin_params(&info(), given, "from, to").unwrap_err();
        assert_eq!(unknown.to_string(), "metric `fcr` has no parameter `colour`; it accepts from, to, window_days");
        assert_eq!(unknown.field(), "colour");
    }

    #[test]
    fn ranges_are_dates_or_timestamps_in_order() {
        let (from, to) = parse_range("2026-03-02", "2026-03-09T00:00:00Z").unwrap();
        assert_eq!((to - from).num_days(), 7);
        assert_eq!(parse_range("2026-03-09", "2026-03-02").unwrap_err().field(), "from");
        assert!(matches!(parse_time("to", "March"), Err(ParamError::BadTime { field: "to", .. })));
    }
}
