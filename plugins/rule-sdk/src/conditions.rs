//! Conditions over a metric's figures: each group's value and sample per period, a threshold
//! met in X of the last Y periods (a period counts only with enough sample), and percentiles.

use std::collections::BTreeMap;

use crate::{EvidenceItem, SeriesResult, Window};

/// One group's figure in one period: the metric's value and its sample (the denominator).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// The metric's value.
    pub value: f64,
    /// The sample behind it (the metric's denominator: contacts, answers), when it has one.
    pub sample: Option<f64>,
}

/// A series cut per group: each group's cell per period of the window, oldest first (`None`
/// where the group has no figure).
pub struct Figures {
    /// Group → one cell per period of the window, oldest first.
    pub groups: BTreeMap<String, Vec<Option<Cell>>>,
}

impl Figures {
    /// Cuts `series` (as [`series`](crate::series) answers it over `window`) per group. Rows
    /// without a value, or of a period that does not start one of the window's, are left out.
    pub fn of(series: &SeriesResult, window: &Window) -> Figures {
        let starts = window.starts();
        let mut groups: BTreeMap<String, Vec<Option<Cell>>> = BTreeMap::new();
        for row in &series.rows {
            let (Some(index), Some(value)) = (starts.iter().position(|s| *s == row.period_start), row.value) else {
                continue;
            };
            let cells = groups.entry(row.group.clone()).or_insert_with(|| vec![None; starts.len()]);
            cells[index] = Some(Cell { value, sample: row.denominator });
        }
        Figures { groups }
    }

    /// Each group with its cells, in group order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<Option<Cell>>)> {
        self.groups.iter()
    }
}

/// Which side of a threshold is a breach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// A value strictly below the threshold.
    Below(f64),
    /// A value strictly above the threshold.
    Above(f64),
}

impl Condition {
    /// The threshold, whichever side.
    pub fn threshold(&self) -> f64 {
        match self {
            Condition::Below(t) | Condition::Above(t) => *t,
        }
    }

    /// Whether `value` is a breach: strictly below (or above) the threshold.
    pub fn holds(&self, value: f64) -> bool {
        match self {
            Condition::Below(t) => value < *t,
            Condition::Above(t) => value > *t,
        }
    }

    /// `below` or `above`.
    pub fn words(&self) -> &'static str {
        match self {
            Condition::Below(_) => "below",
            Condition::Above(_) => "above",
        }
    }
}

/// When `condition` holds in at least `x` of the window's periods — counting only periods
/// whose sample is at least `min_sample` — the evidence of every period (each figure, its
/// sample, the threshold and whether it counted as a breach); otherwise `None`.
///
/// `cells` are one group's cells of [`Figures`] for `window`; `metric` names the metric in
/// the evidence as the API names it (e.g. `fcr`). A cell without a sample always counts.
///
/// ```ignore
/// // FCR under 0.70 in 3 of the last 4 weeks, weeks with fewer than 10 contacts not counted.
/// if let Some(evidence) = x_of_last_y(cells, &window, "fcr", Condition::Below(0.70), 3, 10.0) {
///     actions.push(task(agent, "fcr", "fcr-below-0.7", "FCR under 0.70 in 3 of 4 weeks", evidence));
/// }
/// ```
pub fn x_of_last_y(
    cells: &[Option<Cell>],
    window: &Window,
    metric: &str,
    condition: Condition,
    x: u32,
    min_sample: f64,
) -> Option<Vec<EvidenceItem>> {
    let starts = window.starts();
    let mut breaches = 0;
    let mut evidence = Vec::with_capacity(cells.len());
    for (cell, start) in cells.iter().zip(&starts) {
        let counted = cell.filter(|c| c.sample.unwrap_or(f64::INFINITY) >= min_sample);
        let breach = counted.is_some_and(|c| condition.holds(c.value));
        breaches += u32::from(breach);
        evidence.push(EvidenceItem {
            metric: metric.to_string(),
            period_start: *start,
            period_end: window.end_of(*start),
            value: cell.map(|c| c.value),
            threshold: Some(condition.threshold()),
            sample: cell.and_then(|c| c.sample),
            breach,
        });
    }
    (breaches >= x).then_some(evidence)
}

/// The `p`-th percentile (0–100) of `values`, interpolated linearly between the closest ranks
/// (as DuckDB's `quantile_cont`); `None` for no values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    Some(sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64))
}
