//! Dashboard panels: the data shape each panel kind fixes, parsed from a plugin's JSON and
//! checked (finite numbers, consistent dimensions, size caps) before anything renders it.
//! Panels may name the metric behind their figures (optional `metric`, `metrics`, `x_metric`,
//! `y_metric` with `group_by`), which pages turn into links to the figures' records.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::runtime::bindings::{Panel, PanelKind};

/// Most points in one scatter or line series, rows in a table, cells in a heat map.
pub const MAX_ITEMS: usize = 50_000;
/// Most panels one dashboard may return.
pub const MAX_PANELS: usize = 40;

/// A single figure with its unit, e.g. CSAT 0.82 (ratio).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Kpi {
    pub value: Option<f64>,
    #[serde(default)]
    pub unit: String,
    /// A line under the figure, e.g. what it counts or why it is missing.
    #[serde(default)]
    pub note: String,
    /// The metric whose figure (for the whole range, `group_by` total) this is, named as in the
    /// API: `name` or `name[param=value,…]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
}

/// A table cell: text, number, boolean or empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CellValue {
    Number(f64),
    Text(String),
    Boolean(bool),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<CellValue>>>,
    /// `team` when the first column holds team ids that pages may drill into.
    #[serde(default)]
    pub drill: Option<String>,
    /// One entry per column: the metric whose figures the column holds (`name` or
    /// `name[param=value,…]`), or null; the rows' first column is then their group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<Option<String>>>,
    /// How the rows are grouped (`agent`, `team`, `site`, `queue`, `channel`, `day`, `week`,
    /// `month`, `total`); required with `metrics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineSeries {
    pub name: String,
    /// (x label, y) in x order; y is null where the series has no value.
    #[schema(value_type = Vec<Object>)]
    pub points: Vec<(String, Option<f64>)>,
    /// The metric whose figures the series holds (`name` or `name[param=value,…]`); the x
    /// labels are then its groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// How the metric was grouped (`day`, `week`, `month`, …); required with `metric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Line {
    #[serde(default)]
    pub x_label: String,
    #[serde(default)]
    pub y_label: String,
    pub series: Vec<LineSeries>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BarSeries {
    pub name: String,
    /// One value per category.
    pub values: Vec<Option<f64>>,
    /// The metric whose figures the series holds (`name` or `name[param=value,…]`); the
    /// categories are then its groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// How the metric was grouped (`site`, `team`, …); required with `metric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bar {
    #[serde(default)]
    pub y_label: String,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScatterPoint {
    pub x: f64,
    pub y: f64,
    #[serde(default)]
    pub label: String,
    /// The group the point's figures are of, when the label says more (default: the label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The period x was measured over, when not the dashboard's whole range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_range: Option<Range>,
    /// The period y was measured over, when not the dashboard's whole range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_range: Option<Range>,
}

/// `[from, to)`: dates (`YYYY-MM-DD`) or RFC 3339 times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub from: String,
    pub to: String,
}

/// y = intercept + slope · x.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Trend {
    pub slope: f64,
    pub intercept: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scatter {
    #[serde(default)]
    pub x_label: String,
    #[serde(default)]
    pub y_label: String,
    pub points: Vec<ScatterPoint>,
    #[serde(default)]
    pub trend: Option<Trend>,
    #[serde(default)]
    pub note: String,
    /// The metric on the horizontal axis (`name` or `name[param=value,…]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_metric: Option<String>,
    /// The metric on the vertical axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_metric: Option<String>,
    /// How the points' groups are grouped; required with `x_metric` or `y_metric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeatMap {
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// Row-major, one list per row, one value per column.
    pub values: Vec<Vec<Option<f64>>>,
    /// The value range the colour scale spans, e.g. −1 to 1 for correlations.
    pub min: f64,
    pub max: f64,
    #[serde(default)]
    pub note: String,
}

/// A panel's data, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum PanelData {
    Kpi(Kpi),
    Table(Table),
    Line(Line),
    Bar(Bar),
    Scatter(Scatter),
    HeatMap(HeatMap),
}

/// A checked panel.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CheckedPanel {
    pub title: String,
    #[serde(flatten)]
    pub data: PanelData,
}

/// Parses and checks every panel; the error names the panel (number and title) and what is wrong.
pub fn check_panels(panels: Vec<Panel>) -> Result<Vec<CheckedPanel>, String> {
    if panels.len() > MAX_PANELS {
        return Err(format!("{} panels, more than the limit of {MAX_PANELS}", panels.len()));
    }
    panels
        .into_iter()
        .enumerate()
        .map(|(index, panel)| {
            crate::text::check_label("the title", &panel.title, 200)
                .map_err(|why| format!("panel {}: {why}", index + 1))?;
            let data = parse(panel.kind, &panel.data_json)
                .map_err(|why| format!("panel {} (`{}`): {why}", index + 1, crate::text::shown(&panel.title)))?;
            Ok(CheckedPanel { title: panel.title, data })
        })
        .collect()
}

fn parse(kind: PanelKind, json: &str) -> Result<PanelData, String> {
    fn de<T: for<'de> Deserialize<'de>>(kind: &str, json: &str) -> Result<T, String> {
        serde_json::from_str(json).map_err(|e| format!("data is not a valid {kind} panel: {e}"))
    }
    let data = match kind {
        PanelKind::Kpi => PanelData::Kpi(de("kpi", json)?),
        PanelKind::Table => PanelData::Table(de("table", json)?),
        PanelKind::Line => PanelData::Line(de("line", json)?),
        PanelKind::Bar => PanelData::Bar(de("bar", json)?),
        PanelKind::Scatter => PanelData::Scatter(de("scatter", json)?),
        PanelKind::HeatMap => PanelData::HeatMap(de("heat-map", json)?),
    };
    check(&data)?;
    Ok(data)
}

fn finite(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() { Ok(()) } else { Err(format!("{what} is not a finite number")) }
}

fn count(what: &str, n: usize) -> Result<(), String> {
    if n <= MAX_ITEMS { Ok(()) } else { Err(format!("{n} {what}, more than the limit of {MAX_ITEMS}")) }
}

/// Checks a metric named as the API names it (`name` or `name[param=value,…]`); whether the
/// tenant has it is found out when a page opens its records.
fn metric_name(what: &str, text: &str) -> Result<(), String> {
    crate::text::check_label(what, text, 200)?;
    crate::analytics::cxex::parse_metric_name("metric", text).map_err(|e| format!("{what}: {e}"))?;
    Ok(())
}

/// Checks the grouping that goes with named metrics: required when any metric is named.
fn grouping(what: &str, group_by: Option<&str>, named: bool) -> Result<(), String> {
    match group_by {
        Some(g) => crate::params::parse_group_by(g).map(|_| ()).map_err(|e| format!("{what}: {e}")),
        None if named => Err(format!("{what} names a metric but no `group_by`")),
        None => Ok(()),
    }
}

fn range(what: &str, range: &Option<Range>) -> Result<(), String> {
    let Some(range) = range else { return Ok(()) };
    let from = crate::params::parse_time("from", &range.from).map_err(|e| format!("{what}: {e}"))?;
    let to = crate::params::parse_time("to", &range.to).map_err(|e| format!("{what}: {e}"))?;
    if from >= to {
        return Err(format!("{what}: `from` ({}) must come before `to` ({})", range.from, range.to));
    }
    Ok(())
}

fn check(data: &PanelData) -> Result<(), String> {
    match data {
        PanelData::Kpi(kpi) => {
            if let Some(metric) = &kpi.metric {
                metric_name("metric", metric)?;
            }
            kpi.value.map_or(Ok(()), |v| finite("value", v))
        }
        PanelData::Table(table) => {
            count("rows", table.rows.len())?;
            for (i, row) in table.rows.iter().enumerate() {
                if row.len() != table.columns.len() {
                    return Err(format!("row {} has {} cells for {} columns", i + 1, row.len(), table.columns.len()));
                }
            }
            if let Some(metrics) = &table.metrics {
                if metrics.len() != table.columns.len() {
                    return Err(format!("`metrics` has {} entries for {} columns", metrics.len(), table.columns.len()));
                }
                for (i, metric) in metrics.iter().enumerate() {
                    if let Some(metric) = metric {
                        metric_name(&format!("the metric of column {}", i + 1), metric)?;
                    }
                }
            }
            let named = table.metrics.as_ref().is_some_and(|m| m.iter().any(Option::is_some));
            grouping("the table", table.group_by.as_deref(), named)?;
            match table.drill.as_deref() {
                None | Some("team") => Ok(()),
                Some(other) => Err(format!("drill `{other}` is not supported; use `team` or leave it out")),
            }
        }
        PanelData::Line(line) => {
            for series in &line.series {
                let what = format!("series `{}`", series.name);
                if let Some(metric) = &series.metric {
                    metric_name(&what, metric)?;
                }
                grouping(&what, series.group_by.as_deref(), series.metric.is_some())?;
                count("points", series.points.len())?;
                for (x, y) in &series.points {
                    if let Some(y) = y {
                        finite(&format!("series `{}` at `{x}`", series.name), *y)?;
                    }
                }
            }
            Ok(())
        }
        PanelData::Bar(bar) => {
            count("categories", bar.categories.len())?;
            for series in &bar.series {
                let what = format!("series `{}`", series.name);
                if let Some(metric) = &series.metric {
                    metric_name(&what, metric)?;
                }
                grouping(&what, series.group_by.as_deref(), series.metric.is_some())?;
                if series.values.len() != bar.categories.len() {
                    return Err(format!(
                        "series `{}` has {} values for {} categories",
                        series.name,
                        series.values.len(),
                        bar.categories.len()
                    ));
                }
                for v in series.values.iter().flatten() {
                    finite(&format!("a value of series `{}`", series.name), *v)?;
                }
            }
            Ok(())
        }
        PanelData::Scatter(scatter) => {
            count("points", scatter.points.len())?;
            for (i, p) in scatter.points.iter().enumerate() {
                finite(&format!("point {} x", i + 1), p.x)?;
                finite(&format!("point {} y", i + 1), p.y)?;
                range(&format!("point {} x_range", i + 1), &p.x_range)?;
                range(&format!("point {} y_range", i + 1), &p.y_range)?;
            }
            for (what, metric) in [("x_metric", &scatter.x_metric), ("y_metric", &scatter.y_metric)] {
                if let Some(metric) = metric {
                    metric_name(what, metric)?;
                }
            }
            let named = scatter.x_metric.is_some() || scatter.y_metric.is_some();
            grouping("the scatter", scatter.group_by.as_deref(), named)?;
            if let Some(trend) = scatter.trend {
                finite("trend slope", trend.slope)?;
                finite("trend intercept", trend.intercept)?;
            }
            Ok(())
        }
        PanelData::HeatMap(map) => {
            count("cells", map.rows.len() * map.columns.len())?;
            if map.values.len() != map.rows.len() {
                return Err(format!("{} value rows for {} rows", map.values.len(), map.rows.len()));
            }
            for (i, row) in map.values.iter().enumerate() {
                if row.len() != map.columns.len() {
                    return Err(format!(
                        "value row {} has {} values for {} columns",
                        i + 1,
                        row.len(),
                        map.columns.len()
                    ));
                }
                for v in row.iter().flatten() {
                    finite(&format!("a value in row `{}`", map.rows[i]), *v)?;
                }
            }
            finite("min", map.min)?;
            finite("max", map.max)?;
            if map.min >= map.max {
                return Err(format!("min ({}) must be below max ({})", map.min, map.max));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(kind: PanelKind, json: &str) -> Panel {
        Panel { title: "T".into(), kind, data_json: json.into() }
    }

    #[test]
    fn good_panels_parse_into_their_kind() {
        let checked = check_panels(vec![
            panel(PanelKind::Kpi, r#"{"value": 0.8, "unit": "ratio"}"#),
            panel(PanelKind::HeatMap, r#"{"rows":["a"],"columns":["x","y"],"values":[[0.5,null]],"min":-1,"max":1}"#),
        ])
        .unwrap();
        assert_eq!(
            checked[0].data,
            PanelData::Kpi(Kpi { value: Some(0.8), unit: "ratio".into(), note: String::new(), metric: None })
        );
        let json = serde_json::to_value(&checked[1]).unwrap();
        assert_eq!(json["kind"], "heat_map");
        assert_eq!(json["data"]["values"][0][1], serde_json::Value::Null);
    }

    #[test]
    fn bad_panels_are_refused_with_panel_and_reason() {
        let err = check_panels(vec![
            panel(PanelKind::Kpi, r#"{"value": 1}"#),
            panel(PanelKind::Table, r#"{"columns":["a","b"],"rows":[["x"]]}"#),
        ])
        .unwrap_err();
        assert_eq!(err, "panel 2 (`T`): row 1 has 1 cells for 2 columns");
        let err =
            check_panels(vec![panel(PanelKind::Scatter, r#"{"points":[{"x":1,"y":2}],"colour":"red"}"#)]).unwrap_err();
        assert!(err.starts_with("panel 1 (`T`): data is not a valid scatter panel: unknown field `colour`"), "{err}");
    }

    #[test]
    fn panels_may_name_the_metric_behind_their_figures() {
        let checked = check_panels(vec![
            panel(
                PanelKind::Table,
                r#"{"columns":["team","csat"],"rows":[["t1",0.8]],"metrics":[null,"csat"],"group_by":"team"}"#,
            ),
            panel(
                PanelKind::Bar,
                r#"{"categories":["s1"],"series":[{"name":"x","values":[1],"metric":"survey_item[item=wellbeing]","group_by":"site"}]}"#,
            ),
            panel(
                PanelKind::Scatter,
                r#"{"points":[{"x":1,"y":2,"label":"t1 2026-01-01","group":"t1","x_range":{"from":"2026-01-01","to":"2026-02-01"}}],
                    "x_metric":"enps","y_metric":"csat","group_by":"team"}"#,
            ),
            panel(PanelKind::Kpi, r#"{"value":1,"metric":"aht"}"#),
        ])
        .unwrap();
        let PanelData::Table(table) = &checked[0].data else { panic!("a table") };
        assert_eq!(table.metrics, Some(vec![None, Some("csat".to_string())]));
        // Old panels serialize as before: no new fields appear.
        let old = check_panels(vec![panel(PanelKind::Table, r#"{"columns":["a"],"rows":[["x"]]}"#)]).unwrap();
        assert_eq!(
            serde_json::to_value(&old[0]).unwrap()["data"],
            serde_json::json!({"columns":["a"],"rows":[["x"]],"drill":null})
        );
    }

    #[test]
    fn named_metrics_are_checked() {
        let refused = |kind, json: &str| check_panels(vec![panel(kind, json)]).unwrap_err();
        let err = refused(PanelKind::Table, r#"{"columns":["a","b"],"rows":[],"metrics":["csat"],"group_by":"team"}"#);
        assert_eq!(err, "panel 1 (`T`): `metrics` has 1 entries for 2 columns");
        let err = refused(PanelKind::Table, r#"{"columns":["a","b"],"rows":[],"metrics":[null,"csat"]}"#);
        assert_eq!(err, "panel 1 (`T`): the table names a metric but no `group_by`");
        let err =
            refused(PanelKind::Line, r#"{"series":[{"name":"s","points":[],"metric":"csat[x","group_by":"week"}]}"#);
        assert!(err.contains("series `s`") && err.contains("missing `]`"), "{err}");
        let err = refused(
            PanelKind::Bar,
            r#"{"categories":[],"series":[{"name":"s","values":[],"metric":"csat","group_by":"planet"}]}"#,
        );
        assert!(err.contains("series `s`") && err.contains("planet"), "{err}");
        let err = refused(
            PanelKind::Scatter,
            r#"{"points":[{"x":1,"y":2,"y_range":{"from":"2026-02-01","to":"2026-01-01"}}],"y_metric":"csat","group_by":"team"}"#,
        );
        assert!(err.contains("point 1 y_range") && err.contains("must come before"), "{err}");
    }
}
