//! Builders for each panel kind; the JSON shapes are the ones the host checks.

use serde_json::{Value, json};

use crate::{Panel, PanelKind};

fn panel(title: &str, kind: PanelKind, data: Value) -> Panel {
    Panel { title: title.to_string(), kind, data_json: data.to_string() }
}

/// One figure with its unit and a line of explanation.
pub fn kpi(title: &str, value: Option<f64>, unit: &str, note: &str) -> Panel {
    panel(title, PanelKind::Kpi, json!({ "value": value, "unit": unit, "note": note }))
}

/// A table; `drill` is `Some("team")` when the first column holds team ids.
pub fn table(title: &str, columns: &[&str], rows: Vec<Vec<Value>>, drill: Option<&str>) -> Panel {
    panel(title, PanelKind::Table, json!({ "columns": columns, "rows": rows, "drill": drill }))
}

/// One named line: (x label, y) in x order.
pub struct Series {
    pub name: String,
    pub points: Vec<(String, Option<f64>)>,
}

pub fn line(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> Panel {
    let series: Vec<Value> = series.iter().map(|s| json!({ "name": s.name, "points": s.points })).collect();
    panel(title, PanelKind::Line, json!({ "x_label": x_label, "y_label": y_label, "series": series }))
}

/// Bars: one value per category for each named series.
pub fn bar(title: &str, y_label: &str, categories: &[String], series: &[(String, Vec<Option<f64>>)]) -> Panel {
    let series: Vec<Value> = series.iter().map(|(name, values)| json!({ "name": name, "values": values })).collect();
    panel(title, PanelKind::Bar, json!({ "y_label": y_label, "categories": categories, "series": series }))
}

/// Points (x, y, label) with an optional least-squares trend line (slope, intercept).
pub fn scatter(
    title: &str,
    (x_label, y_label): (&str, &str),
    points: &[(f64, f64, String)],
    trend: Option<(f64, f64)>,
    note: &str,
) -> Panel {
    let points: Vec<Value> = points.iter().map(|(x, y, label)| json!({ "x": x, "y": y, "label": label })).collect();
    let trend = trend.map(|(slope, intercept)| json!({ "slope": slope, "intercept": intercept }));
    panel(
        title,
        PanelKind::Scatter,
        json!({ "x_label": x_label, "y_label": y_label, "points": points, "trend": trend, "note": note }),
    )
}

/// A grid of values coloured on the scale `min`..`max`; `values` is row-major.
pub fn heat_map(
    title: &str,
    (rows, columns): (&[String], &[String]),
    values: Vec<Vec<Option<f64>>>,
    (min, max): (f64, f64),
    note: &str,
) -> Panel {
    panel(
        title,
        PanelKind::HeatMap,
        json!({ "rows": rows, "columns": columns, "values": values, "min": min, "max": max, "note": note }),
    )
}

/// The least-squares line through the points, or none when x does not vary.
pub fn least_squares(points: &[(f64, f64, String)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some((slope, mean_y - slope * mean_x))
}
