//! Builders for each panel kind; the JSON shapes are the ones the host checks. [`MetricLinks`]
//! names the metric behind a panel's figures, so pages link them to their records.

use serde_json::{Value, json};

use crate::{Panel, PanelKind};

fn panel(title: &str, kind: PanelKind, data: Value) -> Panel {
    Panel { title: title.to_string(), kind, data_json: data.to_string() }
}

/// One figure with its unit and a line of explanation.
pub fn kpi(title: &str, value: Option<f64>, unit: &str, note: &str) -> Panel {
    panel(title, PanelKind::Kpi, json!({ "value": value, "unit": unit, "note": note }))
}

/// A table with a header of `columns` and `rows` of JSON strings, numbers or nulls, one value
/// per column; `drill` is `Some("team")` when the first column holds team ids.
pub fn table(title: &str, columns: &[&str], rows: Vec<Vec<Value>>, drill: Option<&str>) -> Panel {
    panel(title, PanelKind::Table, json!({ "columns": columns, "rows": rows, "drill": drill }))
}

/// One named line: (x label, y) in x order.
pub struct Series {
    /// The line's name.
    pub name: String,
    /// `(x label, y)` in x order; `y` is `None` where there is no figure.
    pub points: Vec<(String, Option<f64>)>,
}

/// A line chart of `series`, with labels for its x and y axes.
///
/// ```ignore
/// let weekly = Series { name: "CSAT".into(), points: vec![("2026-03-02".into(), Some(0.81))] };
/// panel::line("CSAT by week", "week", "ratio", &[weekly])
/// ```
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

/// The period a scatter point's figure was measured over, when not the dashboard's whole
/// range: `[from, to)` as dates (`YYYY-MM-DD`) or RFC 3339 times.
pub type Period = (String, String);

/// What a scatter point's figures are of, so pages can open them to their records: the group
/// (when the label says more, e.g. `team-01 2026-01-01`) and the periods x and y cover.
#[derive(Debug, Clone, Default)]
pub struct PointGroup {
    /// The group the point's figures are of; `None`: the point's label.
    pub group: Option<String>,
    /// The period the x figure covers; `None`: the dashboard's whole range.
    pub x_range: Option<Period>,
    /// The period the y figure covers; `None`: the dashboard's whole range.
    pub y_range: Option<Period>,
}

/// Names the metrics behind a panel's figures, so pages link each figure to the records it
/// is made of (`/ui/tenants/{tenant}/metrics/{name}/records`). A metric is named as in the
/// API: `name` or `name[param=value,…]`; a grouping is `agent`, `team`, `site`, `queue`,
/// `channel`, `day`, `week`, `month` or `total`. Each method suits one kind and leaves a
/// panel of another kind as it is.
pub trait MetricLinks: Sized {
    /// A KPI's figure is `metric` over the whole range.
    fn with_metric(self, metric: &str) -> Self;
    /// A table's columns hold these metrics' figures (one entry per column, `None` for the
    /// group column and others); the rows' first column is their group of `group_by`.
    fn with_column_metrics(self, metrics: &[Option<&str>], group_by: &str) -> Self;
    /// A line's or bar chart's series hold these metrics' figures, `(metric, group_by)` per
    /// series in order; the x labels or categories are the groups.
    fn with_series_metrics(self, metrics: &[(&str, &str)]) -> Self;
    /// A scatter's axes: the metric on x and on y, and the grouping of the points' groups.
    fn with_axis_metrics(self, x_metric: Option<&str>, y_metric: Option<&str>, group_by: &str) -> Self;
    /// A scatter's points' groups and periods, one per point in order.
    fn with_point_groups(self, groups: &[PointGroup]) -> Self;
}

impl Panel {
    fn edit(mut self, kind: PanelKind, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Panel {
        if std::mem::discriminant(&self.kind) != std::mem::discriminant(&kind) {
            return self;
        }
        if let Ok(Value::Object(mut data)) = serde_json::from_str::<Value>(&self.data_json) {
            change(&mut data);
            self.data_json = Value::Object(data).to_string();
        }
        self
    }
}

fn range_json(range: &Option<Period>) -> Option<Value> {
    range.as_ref().map(|(from, to)| json!({ "from": from, "to": to }))
}

impl MetricLinks for Panel {
    fn with_metric(self, metric: &str) -> Self {
        self.edit(PanelKind::Kpi, |data| {
            data.insert("metric".into(), json!(metric));
        })
    }

    fn with_column_metrics(self, metrics: &[Option<&str>], group_by: &str) -> Self {
        self.edit(PanelKind::Table, |data| {
            data.insert("metrics".into(), json!(metrics));
            data.insert("group_by".into(), json!(group_by));
        })
    }

    fn with_series_metrics(self, metrics: &[(&str, &str)]) -> Self {
        let name = |data: &mut serde_json::Map<String, Value>| {
            if let Some(Value::Array(series)) = data.get_mut("series") {
                for (s, (metric, group_by)) in series.iter_mut().zip(metrics) {
                    if let Value::Object(s) = s {
                        s.insert("metric".into(), json!(metric));
                        s.insert("group_by".into(), json!(group_by));
                    }
                }
            }
        };
        let kind = if matches!(self.kind, PanelKind::Bar) { PanelKind::Bar } else { PanelKind::Line };
        self.edit(kind, name)
    }

    fn with_axis_metrics(self, x_metric: Option<&str>, y_metric: Option<&str>, group_by: &str) -> Self {
        self.edit(PanelKind::Scatter, |data| {
            if let Some(x) = x_metric {
                data.insert("x_metric".into(), json!(x));
            }
            if let Some(y) = y_metric {
                data.insert("y_metric".into(), json!(y));
            }
            data.insert("group_by".into(), json!(group_by));
        })
    }

    fn with_point_groups(self, groups: &[PointGroup]) -> Self {
        self.edit(PanelKind::Scatter, |data| {
            if let Some(Value::Array(points)) = data.get_mut("points") {
                for (p, g) in points.iter_mut().zip(groups) {
                    if let Value::Object(p) = p {
                        if let Some(group) = &g.group {
                            p.insert("group".into(), json!(group));
                        }
                        if let Some(range) = range_json(&g.x_range) {
                            p.insert("x_range".into(), range);
                        }
                        if let Some(range) = range_json(&g.y_range) {
                            p.insert("y_range".into(), range);
                        }
                    }
                }
            }
        })
    }
}
