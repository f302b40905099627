//! Dashboard panels: the data shape each panel kind fixes, parsed from a plugin's JSON and
//! checked (finite numbers, consistent dimensions, size caps) before anything renders it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::runtime::bindings::{Panel, PanelKind};

/// Most points in one scatter or line series, rows in a table, cells in a heat map.
pub const MAX_ITEMS: usize = 50_000;
/// Most panels one dashboard may return.
pub const MAX_PANELS: usize = 40;

/// A single figure with its unit, e.g. CSAT 0.82 (ratio).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Kpi {
    pub value: Option<f64>,
    #[serde(default)]
    pub unit: String,
    /// A line under the figure, e.g. what it counts or why it is missing.
    #[serde(default)]
    pub note: String,
}

/// A table cell: text, number, boolean or empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CellValue {
    Number(f64),
    Text(String),
    Boolean(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<CellValue>>>,
    /// `team` when the first column holds team ids that pages may drill into.
    #[serde(default)]
    pub drill: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineSeries {
    pub name: String,
    /// (x label, y) in x order; y is null where the series has no value.
    #[schema(value_type = Vec<Object>)]
    pub points: Vec<(String, Option<f64>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Line {
    #[serde(default)]
    pub x_label: String,
    #[serde(default)]
    pub y_label: String,
    pub series: Vec<LineSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BarSeries {
    pub name: String,
    /// One value per category.
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bar {
    #[serde(default)]
    pub y_label: String,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScatterPoint {
    pub x: f64,
    pub y: f64,
    #[serde(default)]
    pub label: String,
}

/// y = intercept + slope · x.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Trend {
    pub slope: f64,
    pub intercept: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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

fn check(data: &PanelData) -> Result<(), String> {
    match data {
        PanelData::Kpi(kpi) => kpi.value.map_or(Ok(()), |v| finite("value", v)),
        PanelData::Table(table) => {
            count("rows", table.rows.len())?;
            for (i, row) in table.rows.iter().enumerate() {
                if row.len() != table.columns.len() {
                    return Err(format!("row {} has {} cells for {} columns", i + 1, row.len(), table.columns.len()));
                }
            }
            match table.drill.as_deref() {
                None | Some("team") => Ok(()),
                Some(other) => Err(format!("drill `{other}` is not supported; use `team` or leave it out")),
            }
        }
        PanelData::Line(line) => {
            for series in &line.series {
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
            }
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
            PanelData::Kpi(Kpi { value: Some(0.8), unit: "ratio".into(), note: String::new() })
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
}
