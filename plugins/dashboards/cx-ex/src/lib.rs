//! Standard dashboard `cx_ex`: customer and employee experience side by side — headline
//! figures, the employee→customer correlation with its scatter and trend line, both metrics
//! over time, the matrix of every configured CX metric against every EX metric, and the
//! figures per team (drillable to the team's agents).

use cxhost_dashboard_sdk::prelude::*;
use serde_json::{Value, json};

struct CxEx;

const DEFAULT_MATRIX_CX: &str = "csat,nps,ces,sentiment";
const DEFAULT_MATRIX_EX: &str = "enps,survey_item[item=engagement],survey_item[item=wellbeing],qa_score";

impl dashboard::Guest for CxEx {
    fn describe() -> PluginInfo {
        info(
            "cx_ex",
            "1.0.0",
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
        panels.push(kpi_of(&cx, &cx_total, "customers, whole range"));
        panels.push(kpi_of(&ex, &ex_total, "employees, whole range"));

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
        panels.push(panel::scatter(
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
        ));

        for (name, side) in [(&cx, "customers"), (&ex, "employees")] {
            let per_period = metric(name, &req, period_group, &[])?;
            let series = panel::Series {
                name: name.clone(),
                points: per_period.rows.iter().map(|row| (row.group.clone(), row.value)).collect(),
            };
            panels.push(panel::line(
                &format!("{name} per {period_name} ({side})"),
                period_name,
                &per_period.unit,
                &[series],
            ));
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
        panels.push(panel::table(
            "Per team",
            &["team", cx.as_str(), ex.as_str(), ex_respondents.as_str()],
            rows,
            Some("team"),
        ));

        let cx_site = metric(&cx, &req, GroupBy::Site, &[])?;
        let categories: Vec<String> = cx_site.rows.iter().map(|r| r.group.clone()).collect();
        let values = cx_site.rows.iter().map(|r| r.value).collect();
        panels.push(panel::bar(&format!("{cx} per site"), &cx_site.unit, &categories, &[(cx.clone(), values)]));
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
