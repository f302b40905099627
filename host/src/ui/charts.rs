//! Panels as HTML: KPIs and tables as markup, lines, bars, scatters and heat maps as inline
//! SVG drawn on the server (no script, no external asset), each chart with a title, a
//! description and its data as a table for screen readers; and estimates with their
//! intervals (a forest plot), which pages draw outside panels. A figure whose panel names its
//! metric links to its records: the SVG mark wrapped in `<a href>` and the data table's cell.

use maud::{Markup, PreEscaped, html};

use crate::analytics::panels::{Bar, CellValue, CheckedPanel, HeatMap, Kpi, Line, PanelData, Range, Scatter, Table};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 48.0;
const PALETTE: &[&str] = &["#1f5fa8", "#b8322a", "#2b7a3d", "#6d3fa0", "#a35a00"];

/// Where a table's team cells link to: `{base}/{team}{query}`; and where figures that name
/// their metric link to (none: they do not link).
pub struct Drill<'a> {
    pub base: &'a str,
    pub query: &'a str,
    pub records: Option<super::records::RecordsLinks<'a>>,
}

impl Drill<'_> {
    /// No links at all.
    pub fn none() -> Drill<'static> {
        Drill { base: "", query: "", records: None }
    }

    /// The records page of `metric`'s figure for `group`, when figures link.
    fn href(&self, metric: Option<&str>, group_by: Option<&str>, group: &str, range: Option<&Range>) -> Option<String> {
        let records = self.records.as_ref()?;
        records.href(metric?, group_by.unwrap_or("total"), group, range.map(|r| (r.from.as_str(), r.to.as_str())))
    }
}

/// `inner` inside `<a href>` when there is a link; as it is when not.
fn linked(href: Option<String>, inner: Markup) -> Markup {
    html! { @if let Some(href) = href { a href=(href) { (inner) } } @else { (inner) } }
}

/// One panel as a `<section>`; `id` makes its element ids unique on the page.
pub fn panel(id: usize, panel: &CheckedPanel, drill: &Drill) -> Markup {
    let heading = format!("panel-{id}-title");
    html! {
        section.panel aria-labelledby=(heading) {
            h2 id=(heading) { (panel.title) }
            @match &panel.data {
                PanelData::Kpi(kpi) => (kpi_html(kpi, drill)),
                PanelData::Table(table) => (table_html(table, drill)),
                PanelData::Line(line) => (line_svg(id, &panel.title, line, drill)),
                PanelData::Bar(bar) => (bar_svg(id, &panel.title, bar, drill)),
                PanelData::Scatter(scatter) => (scatter_svg(id, &panel.title, scatter, drill)),
                PanelData::HeatMap(map) => (heat_map_svg(id, &panel.title, map)),
            }
        }
    }
}

/// A figure with about three significant digits.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn optional(v: Option<f64>) -> String {
    v.map_or("–".to_string(), number)
}

fn kpi_html(kpi: &Kpi, drill: &Drill) -> Markup {
    let href = kpi.value.and_then(|_| drill.href(kpi.metric.as_deref(), Some("total"), "total", None));
    html! {
        p.kpi { (linked(href, html! { span.kpi-value { (optional(kpi.value)) } })) " " span.kpi-unit { (kpi.unit) } }
        @if !kpi.note.is_empty() { p.note { (kpi.note) } }
    }
}

fn cell_text(cell: &Option<CellValue>) -> String {
    match cell {
        None => "–".to_string(),
        Some(CellValue::Number(v)) => number(*v),
        Some(CellValue::Text(t)) => t.clone(),
        Some(CellValue::Boolean(b)) => b.to_string(),
    }
}

/// The group a table row's first cell names, as text.
fn group_of(row: &[Option<CellValue>]) -> Option<String> {
    match row.first()? {
        Some(CellValue::Text(t)) => Some(t.clone()),
        Some(CellValue::Number(v)) => Some(v.to_string()),
        _ => None,
    }
}

fn table_html(table: &Table, drill: &Drill) -> Markup {
    let drills = table.drill.as_deref() == Some("team");
    let metric_of = |i: usize| table.metrics.as_ref().and_then(|m| m.get(i)).and_then(|m| m.as_deref());
    html! {
        table.data {
            thead { tr { @for c in &table.columns { th scope="col" { (c) } } } }
            tbody {
                @for row in &table.rows {
                    @let group = group_of(row);
                    tr {
                        @for (i, cell) in row.iter().enumerate() {
                            @if i == 0 && drills {
                                @if let Some(CellValue::Text(team)) = cell {
                                    th scope="row" { a href=(format!("{}/{}{}", drill.base, super::path_segment(team), drill.query)) { (team) } }
                                } @else { th scope="row" { (cell_text(cell)) } }
                            } @else if i > 0 && cell.is_some() && group.is_some() {
                                @let href = drill.href(metric_of(i), table.group_by.as_deref(), group.as_deref().unwrap_or_default(), None);
                                td { (linked(href, html! { (cell_text(cell)) })) }
                            } @else {
                                td { (cell_text(cell)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A linear scale from a data range onto a pixel range, with a little headroom.
struct Scale {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Scale {
    fn new(values: impl Iterator<Item = f64>, from: f64, to: f64) -> Scale {
        let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo < 1e-12 {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }
        let pad = (hi - lo) * 0.05;
        Scale { lo: lo - pad, hi: hi + pad, from, to }
    }

    /// The same scale with zero as its floor (or ceiling), for bars that grow from zero.
    fn anchored_at_zero(mut self) -> Scale {
        if self.lo < 0.0 && self.lo > -(self.hi - self.lo) * 0.1 {
            self.lo = 0.0;
        }
        if self.hi > 0.0 && self.hi < (self.hi - self.lo) * 0.1 {
            self.hi = 0.0;
        }
        self
    }

    fn at(&self, v: f64) -> f64 {
        self.from + (v - self.lo) / (self.hi - self.lo) * (self.to - self.from)
    }

    fn ticks(&self) -> Vec<f64> {
        (0..=4).map(|i| self.lo + (self.hi - self.lo) * f64::from(i) / 4.0).collect()
    }
}

fn svg_open(id: usize, title: &str, desc: &str) -> (Markup, String, String) {
    let (t, d) = (format!("chart-{id}-title"), format!("chart-{id}-desc"));
    let head = html! { title id=(t) { (title) } desc id=(d) { (desc) } };
    (head, t, d)
}

fn y_axis(y: &Scale, label: &str) -> Markup {
    html! {
        g.axis {
            line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(HEIGHT - BOTTOM) {}
            line x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH - RIGHT) y2=(HEIGHT - BOTTOM) {}
            @for t in y.ticks() {
                line.grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y.at(t)) y2=(y.at(t)) {}
                text x=(LEFT - 6.0) y=(y.at(t) + 4.0) text-anchor="end" { (number(t)) }
            }
            text x="14" y=(TOP + (HEIGHT - TOP - BOTTOM) / 2.0) text-anchor="middle"
                transform=(format!("rotate(-90 14 {})", TOP + (HEIGHT - TOP - BOTTOM) / 2.0)) { (label) }
        }
    }
}

fn x_labels(labels: &[String], at: impl Fn(usize) -> f64, axis_label: &str) -> Markup {
    let every = labels.len().div_ceil(12).max(1);
    html! {
        g.axis {
            @for (i, label) in labels.iter().enumerate() {
                @if i % every == 0 {
                    text x=(at(i)) y=(HEIGHT - BOTTOM + 16.0) text-anchor="middle" { (label) }
                }
            }
            text x=(LEFT + (WIDTH - LEFT - RIGHT) / 2.0) y=(HEIGHT - 8.0) text-anchor="middle" { (axis_label) }
        }
    }
}

fn legend(names: &[&str]) -> Markup {
    html! {
        @if names.len() > 1 {
            ul.legend {
                @for (i, name) in names.iter().enumerate() {
                    li { span.swatch style=(format!("background:{}", PALETTE[i % PALETTE.len()])) {} (name) }
                }
            }
        }
    }
}

fn line_svg(id: usize, title: &str, line: &Line, drill: &Drill) -> Markup {
    let mut labels: Vec<String> = Vec::new();
    for s in &line.series {
        for (x, _) in &s.points {
            if !labels.contains(x) {
                labels.push(x.clone());
            }
        }
    }
    let values = line.series.iter().flat_map(|s| s.points.iter().filter_map(|p| p.1));
    let y = Scale::new(values, HEIGHT - BOTTOM, TOP);
    let step = (WIDTH - LEFT - RIGHT) / labels.len().max(1) as f64;
    let x_at = |i: usize| LEFT + step * (i as f64 + 0.5);
    let index = |x: &String| labels.iter().position(|l| l == x).unwrap_or(0);
    let desc = format!("Line chart of {} over {} {}", line.y_label, labels.len(), line.x_label);
    let (head, t, d) = svg_open(id, title, &desc);
    let names: Vec<&str> = line.series.iter().map(|s| s.name.as_str()).collect();
    html! {
        svg.chart data-chart="line" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(format!("{t} {d}")) {
            (head)
            (y_axis(&y, &line.y_label))
            (x_labels(&labels, x_at, &line.x_label))
            @for (n, s) in line.series.iter().enumerate() {
                @let colour = PALETTE[n % PALETTE.len()];
                @for segment in s.points.split(|p| p.1.is_none()).filter(|seg| seg.len() > 1) {
                    polyline.series fill="none" stroke=(colour) stroke-width="2"
                        points=(segment.iter().map(|(x, v)| format!("{:.1},{:.1}", x_at(index(x)), y.at(v.unwrap_or_default()))).collect::<Vec<_>>().join(" ")) {}
                }
                @for (x, v) in &s.points {
                    @if let Some(v) = v {
                        (linked(drill.href(s.metric.as_deref(), s.group_by.as_deref(), x, None), html! {
                            circle.point cx=(format!("{:.1}", x_at(index(x)))) cy=(format!("{:.1}", y.at(*v))) r="3.5" fill=(colour) {
                                title { (s.name) " " (x) ": " (number(*v)) }
                            }
                        }))
                    }
                }
            }
        }
        (legend(&names))
        details { summary { "Data" }
            table.data {
                thead { tr { th scope="col" { (line.x_label) } @for s in &line.series { th scope="col" { (s.name) } } } }
                tbody { @for label in &labels { tr {
                    th scope="row" { (label) }
                    @for s in &line.series {
                        @let value = s.points.iter().find(|p| &p.0 == label).and_then(|p| p.1);
                        td { (linked(value.and_then(|_| drill.href(s.metric.as_deref(), s.group_by.as_deref(), label, None)), html! { (optional(value)) })) }
                    }
                } } }
            }
        }
    }
}

fn bar_svg(id: usize, title: &str, bar: &Bar, drill: &Drill) -> Markup {
    let values = bar.series.iter().flat_map(|s| s.values.iter().flatten().copied()).chain(std::iter::once(0.0));
    let y = Scale::new(values, HEIGHT - BOTTOM, TOP).anchored_at_zero();
    let groups = bar.categories.len().max(1) as f64;
    let group_width = (WIDTH - LEFT - RIGHT) / groups;
    let bar_width = group_width * 0.8 / bar.series.len().max(1) as f64;
    let x_at = |i: usize| LEFT + group_width * (i as f64 + 0.5);
    let desc = format!("Bar chart of {} for {} categories", bar.y_label, bar.categories.len());
    let (head, t, d) = svg_open(id, title, &desc);
    let names: Vec<&str> = bar.series.iter().map(|s| s.name.as_str()).collect();
    let zero = y.at(0.0_f64.clamp(y.lo, y.hi));
    html! {
        svg.chart data-chart="bar" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(format!("{t} {d}")) {
            (head)
            (y_axis(&y, &bar.y_label))
            (x_labels(&bar.categories, x_at, ""))
            @for (n, s) in bar.series.iter().enumerate() {
                @for (i, v) in s.values.iter().enumerate() {
                    @if let Some(v) = v {
                        @let x = LEFT + group_width * i as f64 + group_width * 0.1 + bar_width * n as f64;
                        @let top = y.at(*v).min(zero);
                        (linked(drill.href(s.metric.as_deref(), s.group_by.as_deref(), &bar.categories[i], None), html! {
                            rect.bar x=(format!("{x:.1}")) y=(format!("{top:.1}")) width=(format!("{bar_width:.1}"))
                                height=(format!("{:.1}", (y.at(*v) - zero).abs().max(1.0))) fill=(PALETTE[n % PALETTE.len()]) {
                                title { (s.name) " " (bar.categories[i]) ": " (number(*v)) }
                            }
                        }))
                    }
                }
            }
        }
        (legend(&names))
        details { summary { "Data" }
            table.data {
                thead { tr { th scope="col" { "category" } @for s in &bar.series { th scope="col" { (s.name) } } } }
                tbody { @for (i, c) in bar.categories.iter().enumerate() { tr {
                    th scope="row" { (c) }
                    @for s in &bar.series {
                        td { (linked(s.values[i].and_then(|_| drill.href(s.metric.as_deref(), s.group_by.as_deref(), c, None)), html! { (optional(s.values[i])) })) }
                    }
                } } }
            }
        }
    }
}

fn scatter_svg(id: usize, title: &str, scatter: &Scatter, drill: &Drill) -> Markup {
    let x = Scale::new(scatter.points.iter().map(|p| p.x), LEFT, WIDTH - RIGHT);
    let y = Scale::new(scatter.points.iter().map(|p| p.y), HEIGHT - BOTTOM, TOP);
    let desc = format!(
        "Scatter plot of {} points, {} on the horizontal axis against {} on the vertical{}",
        scatter.points.len(),
        scatter.x_label,
        scatter.y_label,
        if scatter.trend.is_some() { ", with a least-squares trend line" } else { "" }
    );
    let (head, t, d) = svg_open(id, title, &desc);
    let ticks = x.ticks();
    let group_by = scatter.group_by.as_deref();
    let group = |p: &crate::analytics::panels::ScatterPoint| p.group.clone().unwrap_or_else(|| p.label.clone());
    let x_href = |p: &crate::analytics::panels::ScatterPoint| {
        drill.href(scatter.x_metric.as_deref(), group_by, &group(p), p.x_range.as_ref())
    };
    let y_href = |p: &crate::analytics::panels::ScatterPoint| {
        drill.href(scatter.y_metric.as_deref(), group_by, &group(p), p.y_range.as_ref())
    };
    html! {
        svg.chart data-chart="scatter" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(format!("{t} {d}")) {
            (head)
            (y_axis(&y, &scatter.y_label))
            g.axis {
                @for tick in &ticks {
                    text x=(x.at(*tick)) y=(HEIGHT - BOTTOM + 16.0) text-anchor="middle" { (number(*tick)) }
                }
                text x=(LEFT + (WIDTH - LEFT - RIGHT) / 2.0) y=(HEIGHT - 8.0) text-anchor="middle" { (scatter.x_label) }
            }
            @for p in &scatter.points {
                (linked(y_href(p).or_else(|| x_href(p)), html! {
                    circle.point cx=(format!("{:.1}", x.at(p.x))) cy=(format!("{:.1}", y.at(p.y))) r="4" fill=(PALETTE[0]) fill-opacity="0.7" {
                        title { (p.label) ": " (number(p.x)) ", " (number(p.y)) }
                    }
                }))
            }
            @if let Some(trend) = scatter.trend {
                @let (x0, x1) = (x.lo, x.hi);
                line.trend x1=(format!("{:.1}", x.at(x0))) y1=(format!("{:.1}", y.at(trend.intercept + trend.slope * x0).clamp(TOP, HEIGHT - BOTTOM)))
                    x2=(format!("{:.1}", x.at(x1))) y2=(format!("{:.1}", y.at(trend.intercept + trend.slope * x1).clamp(TOP, HEIGHT - BOTTOM)))
                    stroke=(PALETTE[1]) stroke-width="2" {}
            }
        }
        @if !scatter.note.is_empty() { p.note { (scatter.note) } }
        details { summary { "Data" }
            table.data {
                thead { tr { th scope="col" { "point" } th scope="col" { (scatter.x_label) } th scope="col" { (scatter.y_label) } } }
                tbody { @for p in &scatter.points { tr {
                    th scope="row" { (p.label) }
                    td { (linked(x_href(p), html! { (number(p.x)) })) }
                    td { (linked(y_href(p), html! { (number(p.y)) })) }
                } } }
            }
        }
    }
}

/// One row of an interval chart: an estimate and its interval, when it has one.
pub struct Estimate {
    pub label: String,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Drawn apart (bold, in the second colour): a total among its parts.
    pub total: bool,
}

/// Estimates with their intervals, one row each, on one horizontal axis with a line at zero:
/// `circle.point` for each estimate, `line.interval` for each interval, `line.zero` at zero.
pub fn intervals_svg(id: usize, title: &str, axis_label: &str, rows: &[Estimate]) -> Markup {
    let label_width = 200.0;
    let row_h = 24.0;
    let height = TOP + row_h * rows.len().max(1) as f64 + BOTTOM;
    let values = rows.iter().flat_map(|r| [Some(r.value), r.low, r.high]).flatten().chain(std::iter::once(0.0));
    let x = Scale::new(values, label_width, WIDTH - RIGHT);
    let desc = format!(
        "{} estimates of {axis_label} with their 95% intervals, as points with horizontal lines, and a line at zero",
        rows.len()
    );
    let (head, t, d) = svg_open(id, title, &desc);
    let y_at = |i: usize| TOP + row_h * (i as f64 + 0.5);
    let bottom = TOP + row_h * rows.len().max(1) as f64;
    html! {
        svg.chart data-chart="intervals" viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-labelledby=(format!("{t} {d}")) {
            (head)
            g.axis {
                line x1=(label_width) y1=(bottom) x2=(WIDTH - RIGHT) y2=(bottom) {}
                @for tick in x.ticks() {
                    line.grid x1=(format!("{:.1}", x.at(tick))) x2=(format!("{:.1}", x.at(tick))) y1=(TOP) y2=(bottom) {}
                    text x=(format!("{:.1}", x.at(tick))) y=(bottom + 16.0) text-anchor="middle" { (number(tick)) }
                }
                text x=(label_width + (WIDTH - label_width - RIGHT) / 2.0) y=(height - 8.0) text-anchor="middle" { (axis_label) }
            }
            line.zero x1=(format!("{:.1}", x.at(0.0))) x2=(format!("{:.1}", x.at(0.0))) y1=(TOP) y2=(bottom) stroke="#555" stroke-dasharray="4 3" {}
            @for (i, row) in rows.iter().enumerate() {
                @let colour = PALETTE[usize::from(row.total)];
                text x=(label_width - 8.0) y=(format!("{:.1}", y_at(i) + 4.0)) text-anchor="end" font-weight=(if row.total { "bold" } else { "normal" }) { (row.label) }
                @if let (Some(low), Some(high)) = (row.low, row.high) {
                    line.interval x1=(format!("{:.1}", x.at(low))) x2=(format!("{:.1}", x.at(high)))
                        y1=(format!("{:.1}", y_at(i))) y2=(format!("{:.1}", y_at(i))) stroke=(colour) stroke-width="2" {}
                }
                circle.point cx=(format!("{:.1}", x.at(row.value))) cy=(format!("{:.1}", y_at(i))) r=(if row.total { "5" } else { "3.5" }) fill=(colour) {
                    title { (row.label) ": " (number(row.value)) @if let (Some(low), Some(high)) = (row.low, row.high) { " (" (number(low)) " to " (number(high)) ")" } }
                }
            }
        }
        details { summary { "Data" }
            table.data {
                thead { tr { th scope="col" { "" } th scope="col" { (axis_label) } th scope="col" { "95% interval" } } }
                tbody { @for row in rows { tr {
                    th scope="row" { (row.label) } td { (number(row.value)) }
                    td { @if let (Some(low), Some(high)) = (row.low, row.high) { (number(low)) " to " (number(high)) } @else { "–" } }
                } } }
            }
        }
    }
}

/// A diverging colour: blue below the middle of the scale, red above, white at the middle.
fn heat_colour(v: f64, min: f64, max: f64) -> String {
    let mid = (min + max) / 2.0;
    let t = ((v - mid) / ((max - min) / 2.0)).clamp(-1.0, 1.0);
    let fade = |c: f64| (255.0 - (255.0 - c) * t.abs()).round() as u8;
    let (r, g, b) =
        if t >= 0.0 { (fade(178.0), fade(34.0), fade(34.0)) } else { (fade(33.0), fade(102.0), fade(172.0)) };
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn heat_map_svg(id: usize, title: &str, map: &HeatMap) -> Markup {
    let label_width = 220.0;
    let cell_w = (WIDTH - label_width - RIGHT) / map.columns.len().max(1) as f64;
    let cell_h = 36.0;
    let height = TOP + 40.0 + cell_h * map.rows.len() as f64 + 8.0;
    let desc = format!(
        "Heat map of {} rows by {} columns, scale {} to {}",
        map.rows.len(),
        map.columns.len(),
        map.min,
        map.max
    );
    let (head, t, d) = svg_open(id, title, &desc);
    html! {
        svg.chart data-chart="heat_map" viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-labelledby=(format!("{t} {d}")) {
            (head)
            @for (j, column) in map.columns.iter().enumerate() {
                text x=(format!("{:.1}", label_width + cell_w * (j as f64 + 0.5))) y=(TOP + 24.0) text-anchor="middle" { (column) }
            }
            @for (i, row) in map.rows.iter().enumerate() {
                @let top = TOP + 40.0 + cell_h * i as f64;
                text x=(label_width - 8.0) y=(format!("{:.1}", top + cell_h / 2.0 + 4.0)) text-anchor="end" { (row) }
                @for (j, v) in map.values[i].iter().enumerate() {
                    @let x = label_width + cell_w * j as f64;
                    rect.cell x=(format!("{x:.1}")) y=(format!("{top:.1}")) width=(format!("{:.1}", cell_w - 2.0)) height=(cell_h - 2.0)
                        fill=(v.map_or("#e6e6e6".to_string(), |v| heat_colour(v, map.min, map.max))) {
                        title { (row) " × " (map.columns[j]) ": " (optional(*v)) }
                    }
                    text x=(format!("{:.1}", x + cell_w / 2.0)) y=(format!("{:.1}", top + cell_h / 2.0 + 4.0)) text-anchor="middle" { (optional(*v)) }
                }
            }
        }
        @if !map.note.is_empty() { p.note { (map.note) } }
        details { summary { "Data" }
            table.data {
                thead { tr { th scope="col" {} @for c in &map.columns { th scope="col" { (c) } } } }
                tbody { @for (i, row) in map.rows.iter().enumerate() { tr {
                    th scope="row" { (row) } @for v in &map.values[i] { td { (optional(*v)) } }
                } } }
            }
        }
    }
}

/// The page stylesheet, inlined so pages need nothing but the server.
pub const STYLE: PreEscaped<&str> = PreEscaped(
    "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f7f7f5}\
     header,main{max-width:1100px;margin:0 auto;padding:0 1rem}\
     header{display:flex;gap:1rem;align-items:center;justify-content:space-between}\
     a{color:#1f4f8f}\
     .skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
     .panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}\
     .panel{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem}\
     .panel h2{font-size:1rem;margin:0 0 .5rem}\
     .kpi-value{font-size:2.2rem;font-weight:600}.kpi-unit{color:#555}\
     .note{color:#444;font-size:.9rem}\
     svg.chart{width:100%;height:auto;font-size:11px}\
     .axis line{stroke:#555}.axis line.grid{stroke:#e3e3e3}\
     table.data{border-collapse:collapse;width:100%;font-size:.9rem}\
     table.data th,table.data td{border-bottom:1px solid #e3e3e3;padding:.25rem .5rem;text-align:left}\
     ul.legend{list-style:none;display:flex;gap:1rem;padding:0}\
     .swatch{display:inline-block;width:12px;height:12px;margin-right:4px}\
     form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin:1rem 0}\
     form.filters label{display:flex;flex-direction:column;font-size:.85rem}\
     .error{background:#fde8e6;border:1px solid #b8322a;padding:.75rem;border-radius:6px}\
     .notice{background:#e7f3ea;border:1px solid #2b7a3d;padding:.75rem;border-radius:6px}\
     article.task{margin:1rem 0}.task h2{font-size:1.05rem}\
     .task-forms{display:flex;flex-wrap:wrap;gap:1rem;margin-top:.75rem}\
     .task-forms form{display:flex;align-items:end;gap:.25rem}\
     .task-forms label{display:flex;flex-direction:column;font-size:.85rem}\
     table.data caption{text-align:left;font-weight:600;padding:.25rem 0}\
     svg.chart a:hover circle,svg.chart a:hover rect,svg.chart a:focus circle,svg.chart a:focus rect{stroke:#111;stroke-width:2}\
     a .kpi-value{color:inherit}\
     tr.moved-most{background:#fff4d6}.up{color:#2b7a3d;font-weight:600}.down{color:#b8322a;font-weight:600}\
     fieldset.adjust{display:flex;gap:.5rem;border:1px solid #ddd;font-size:.85rem}fieldset.adjust label{flex-direction:row}\
     nav.pager{margin-top:.75rem}div.scroll{overflow-x:auto}td.time{white-space:nowrap}",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_colours_run_blue_white_red() {
        assert_eq!(heat_colour(-1.0, -1.0, 1.0), "#2166ac");
        assert_eq!(heat_colour(0.0, -1.0, 1.0), "#ffffff");
        assert_eq!(heat_colour(1.0, -1.0, 1.0), "#b22222");
    }

    #[test]
    fn numbers_keep_about_three_significant_digits() {
        assert_eq!(number(0.76528), "0.765");
        assert_eq!(number(-36.8983), "-36.90");
        assert_eq!(number(412.36), "412.4");
    }
}
