//! Standard dashboard `cx_ex`: customer and employee experience side by side — headline
//! figures, the employee→customer correlation with its scatter and trend line, both metrics
//! over time, the matrix of every configured CX metric against every EX metric, and the
//! figures per team (drillable to the team's agents). Every panel of metric figures names its
//! metrics, so pages open each figure to its records.

use cxhost_dashboard_sdk::prelude::*;
use serde_json::{Value, json};

struct CxEx;

const DEFAULT_MATRIX_CX: &str = "csat,nps,ces,sentiment";
const DEFAULT_MATRIX_EX: &str = "enps,survey_item[item=engagement],survey_item[item=wellbeing],qa_score";

impl dashboard::Guest for CxEx {
    fn describe() -> PluginInfo {
        info(
            "cx_ex",
            "1.1.0",
            "CX–EX overview. Panels: the customer metric `cx` and employee metric `ex` over the \
             whole range (KPIs); Pearson r of `ex` against `cx` taken `lag` periods later, per \
             `level` and `period`, with n, p and the 95% interval; the paired points as a \
             scatter with its least-squares line; `cx` and `ex` per period (lines); Pearson r \
             of every `matrix_ex` metric against every `matrix_cx` metric (heat map, −1 to 1); \
             `cx`, `ex` and respondents per team (table, drillable); `cx` per site (bars). \
             Employee figures of groups under the tenant's minimum size are withheld by the \
             metrics themselves and counted in the notes.",
            vec![
                param_text("cx", "csat", "customer metric, `name` or `name[param=value,…]`"),
                param_text("ex", "enps", "employee metric, same form"),
                param_text("level", "team", "agent, team or site: the groups correlated"),
                param_text("period", "month", "week or month"),
                param_int("lag", 0, "customer figure taken this many periods after the employee one (0–12)"),
                param_text("matrix_cx", DEFAULT_MATRIX_CX, "customer metrics of the heat map, comma-separated"),
                param_text("matrix_ex", DEFAULT_MATRIX_EX, "employee metrics of the heat map, comma-separated"),
            ],
        )
    }

    fn render(req: DashboardRequest) -> Result<Vec<Panel>, String> {
        let p = &req.params;
        let (cx, ex) = (p.text("cx")?.to_string(), p.text("ex")?.to_string());
        let level = match p.text("level")? {
            "agent" => Level::Agent,
            "team" => Level::Team,
            "site" => Level::Site,
            other => return Err(format!("level `{other}` is not agent, team or site")),
        };
        let (period, period_group) = match p.text("period")? {
            "week" => (Period::Week, GroupBy::Week),
            "month" => (Period::Month, GroupBy::Month),
            other => return Err(format!("period `{other}` is not week or month")),
        };
        let lag = u32::try_from(p.int("lag")?).map_err(|_| "lag must not be negative".to_string())?;
        let level_name = p.text("level")?;
        let period_name = p.text("period")?;

        let mut panels = Vec::new();
        let cx_total = metric(&cx, &req, GroupBy::Total, &[])?;
        let ex_total = metric(&ex, &req, GroupBy::Total, &[])?;
        panels.push(kpi_of(&cx, &cx_total, "customers, whole range").with_metric(&cx));
        panels.push(kpi_of(&ex, &ex_total, "employees, whole range").with_metric(&ex));

        let correlation = correlate(&CorrelationRequest {
            cx: cx.clone(),
            ex: ex.clone(),
            level,
            period,
            period_start: req.period_start,
            period_end: req.period_end,
            lag,
        })?;
        let r = correlation.pearson.as_ref().map(|c| c.value);
        panels.push(panel::kpi(
            &format!("Pearson r, {ex} → {cx}"),
            r,
            "r",
            &coefficient_note(&correlation, level_name, period_name, lag),
        ));
        let points: Vec<(f64, f64, String)> =
            correlation.points.iter().map(|pt| (pt.ex, pt.cx, format!("{} {}", pt.group, pt.ex_period))).collect();
        // Each point: the group's employee figure over its period and its customer figure
        // `lag` periods later.
        let groups: Vec<panel::PointGroup> = correlation
            .points
            .iter()
            .map(|pt| panel::PointGroup {
                group: Some(pt.group.clone()),
                x_range: period_range(&pt.ex_period, period_name, 0),
                y_range: period_range(&pt.ex_period, period_name, i64::from(lag)),
            })
            .collect();
        let scatter = panel::scatter(
            &format!("{ex} against {cx} per {level_name} and {period_name}"),
            (&ex, &cx),
            &points,
            panel::least_squares(&points),
            &format!(
                "{} points; {} employee figures withheld (fewer than {} respondents)",
                points.len(),
                correlation.withheld_groups,
                correlation.min_group
            ),
        );
        panels.push(scatter.with_axis_metrics(Some(&ex), Some(&cx), level_name).with_point_groups(&groups));

        for (name, side) in [(&cx, "customers"), (&ex, "employees")] {
            let per_period = metric(name, &req, period_group, &[])?;
            let series = panel::Series {
                name: name.clone(),
                points: per_period.rows.iter().map(|row| (row.group.clone(), row.value)).collect(),
            };
            panels.push(
                panel::line(&format!("{name} per {period_name} ({side})"), period_name, &per_period.unit, &[series])
                    .with_series_metrics(&[(name, period_name)]),
            );
        }

        let matrix_cx = split(p.text("matrix_cx")?);
        let matrix_ex = split(p.text("matrix_ex")?);
        let cells = correlate_matrix(&MatrixRequest {
            cx: matrix_cx.clone(),
            ex: matrix_ex.clone(),
            level,
            period,
            period_start: req.period_start,
            period_end: req.period_end,
            lag,
        })?;
        let values: Vec<Vec<Option<f64>>> = matrix_ex
            .iter()
            .map(|e| {
                matrix_cx
                    .iter()
                    .map(|c| {
                        cells
                            .iter()
                            .find(|cell| &cell.ex == e && &cell.cx == c)
                            .and_then(|cell| cell.pearson.as_ref().map(|coef| coef.value))
                    })
                    .collect()
            })
            .collect();
        let least_n = cells.iter().map(|c| c.n).min().unwrap_or(0);
        panels.push(panel::heat_map(
            &format!("Pearson r: employee (rows) × customer (columns), per {level_name} and {period_name}"),
            (&matrix_ex, &matrix_cx),
            values,
            (-1.0, 1.0),
            &format!("lag {lag}; each cell from at least {least_n} pairs"),
        ));

        let cx_team = metric(&cx, &req, GroupBy::Team, &[])?;
        let ex_team = metric(&ex, &req, GroupBy::Team, &[])?;
        let rows: Vec<Vec<Value>> = cx_team
            .rows
            .iter()
            .map(|row| {
                let employee = ex_team.rows.iter().find(|e| e.group == row.group);
                vec![
                    json!(row.group),
                    json!(row.value),
                    json!(employee.and_then(|e| e.value)),
                    json!(employee.and_then(|e| e.denominator)),
                ]
            })
            .collect();
        let ex_respondents = format!("{ex} respondents");
        panels.push(
            panel::table("Per team", &["team", cx.as_str(), ex.as_str(), ex_respondents.as_str()], rows, Some("team"))
                .with_column_metrics(&[None, Some(&cx), Some(&ex), Some(&ex)], "team"),
        );

        let cx_site = metric(&cx, &req, GroupBy::Site, &[])?;
        let categories: Vec<String> = cx_site.rows.iter().map(|r| r.group.clone()).collect();
        let values = cx_site.rows.iter().map(|r| r.value).collect();
        panels.push(
            panel::bar(&format!("{cx} per site"), &cx_site.unit, &categories, &[(cx.clone(), values)])
                .with_series_metrics(&[(&cx, "site")]),
        );
        Ok(panels)
    }
}

fn kpi_of(name: &str, result: &MetricResult, note: &str) -> Panel {
    let row = result.rows.first();
    let detail = match row.and_then(|r| r.denominator) {
        Some(n) => format!("{note}; n = {n}"),
        None => note.to_string(),
    };
    panel::kpi(name, row.and_then(|r| r.value), &result.unit, &detail)
}

fn coefficient_note(c: &Correlation, level: &str, period: &str, lag: u32) -> String {
    match &c.pearson {
        None => format!("not enough pairs ({} per {level} and {period})", c.n),
        Some(coef) => {
            let p = coef.p_value.map_or("–".to_string(), |p| format!("{p:.3}"));
            let ci = match (coef.ci_low, coef.ci_high) {
                (Some(lo), Some(hi)) => format!("[{lo:.2}, {hi:.2}]"),
                _ => "–".to_string(),
            };
            let rho = c.spearman.as_ref().map_or("–".to_string(), |s| format!("{:.2}", s.value));
            format!("n = {} per {level} and {period}, lag {lag}; p = {p}; 95% CI {ci}; Spearman ρ = {rho}", c.n)
        }
    }
}

/// `[start, end)` of the period `shift` periods after the one starting on `start`
/// (`YYYY-MM-DD`), a `week` or a `month`.
fn period_range(start: &str, period: &str, shift: i64) -> Option<(String, String)> {
    let mut parts = start.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    match period {
        "week" => {
            let first = days_from_civil(y, m, d) + 7 * shift;
            Some((civil_text(first), civil_text(first + 7)))
        }
        _ => {
            let month = |k: i64| {
                let index = y * 12 + (m - 1) + k;
                format!("{:04}-{:02}-01", index.div_euclid(12), index.rem_euclid(12) + 1)
            };
            Some((month(shift), month(shift + 1)))
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_text(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Splits a comma-separated metric list, keeping commas inside `[…]`.
fn split(text: &str) -> Vec<String> {
    let (mut out, mut current, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_string());
    out.into_iter().filter(|m| !m.is_empty()).collect()
}

export_dashboard!(CxEx);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_shift_by_weeks_and_months() {
        let range = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(period_range("2026-01-01", "month", 0), range("2026-01-01", "2026-02-01"));
        assert_eq!(period_range("2026-11-01", "month", 1), range("2026-12-01", "2027-01-01"));
        assert_eq!(period_range("2026-12-28", "week", 1), range("2027-01-04", "2027-01-11"));
        assert_eq!(period_range("2024-02-26", "week", 0), range("2024-02-26", "2024-03-04"));
        assert_eq!(period_range("nope", "week", 0), None);
    }
}
