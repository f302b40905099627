//! Pearson and Spearman correlation of paired figures, each with n, a two-sided p-value and a
//! 95% confidence interval.
//!
//! - Pearson's r; p from Student's t with n − 2 degrees of freedom (what `scipy.stats.pearsonr`
//!   reports); the interval by Fisher's z-transform, z ± 1.959964 / √(n − 3), as scipy's
//!   `confidence_interval()`.
//! - Spearman's ρ is Pearson's r of the average ranks (ties share their mean rank); p from
//!   Student's t as `scipy.stats.spearmanr`; the interval by the same Fisher transform.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CorrelationError {
    #[error("the two series have different lengths ({0} and {1})")]
    Lengths(usize, usize),
    #[error("a value is not a finite number")]
    NotFinite,
}

/// One correlation coefficient with its test and interval. Fields are `None` where the data
/// cannot give them (fewer than 3 pairs for a p-value, fewer than 4 for an interval).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Coefficient {
    pub value: f64,
    pub p_value: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Correlation {
    /// Number of pairs.
    pub n: usize,
    /// `None` when fewer than 2 pairs or a series is constant.
    pub pearson: Option<Coefficient>,
    pub spearman: Option<Coefficient>,
}

/// Correlates `x` with `y` pair by pair.
pub fn correlate(x: &[f64], y: &[f64]) -> Result<Correlation, CorrelationError> {
    if x.len() != y.len() {
        return Err(CorrelationError::Lengths(x.len(), y.len()));
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return Err(CorrelationError::NotFinite);
    }
    let n = x.len();
    let pearson = pearson_r(x, y).map(|r| coefficient(r, n));
    let spearman = pearson_r(&ranks(x), &ranks(y)).map(|r| coefficient(r, n));
    Ok(Correlation { n, pearson, spearman })
}

/// Pearson's r, or `None` for fewer than 2 pairs or a constant series.
fn pearson_r(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    let r = (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0);
    // A perfect relation computed in floating point can land a hair inside ±1.
    Some(if 1.0 - r.abs() < 1e-12 { r.signum() } else { r })
}

fn coefficient(r: f64, n: usize) -> Coefficient {
    let p_value = (n >= 3).then(|| {
        let df = (n - 2) as f64;
        if r.abs() >= 1.0 {
            return 0.0;
        }
        let t = r * (df / (1.0 - r * r)).sqrt();
        let dist = StudentsT::new(0.0, 1.0, df).expect("df > 0");
        (2.0 * dist.sf(t.abs())).min(1.0)
    });
    let (ci_low, ci_high) = if n >= 4 && r.abs() < 1.0 {
        let z = r.atanh();
        let half = Normal::standard().inverse_cdf(0.975) / ((n - 3) as f64).sqrt();
        (Some((z - half).tanh()), Some((z + half).tanh()))
    } else {
        (None, None)
    };
    Coefficient { value: r, p_value, ci_low, ci_high }
}

/// 1-based ranks, ties given the mean of the ranks they span.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    // Ties share their mean rank, so their order among themselves does not matter.
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mean_rank;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference figures from SciPy 1.x on the same data: `pearsonr` (statistic, pvalue,
    /// `confidence_interval(0.95)`), `spearmanr` (statistic, pvalue), and the Fisher interval of
    /// ρ computed with `norm.ppf(0.975)`.
    #[allow(clippy::type_complexity)]
    fn cases() -> Vec<(&'static str, Vec<f64>, Vec<f64>, [f64; 4], [f64; 4])> {
        vec![
            (
                "ties",
                vec![1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                vec![2.5, 3.1, 2.9, 4.0, 3.8, 5.2, 4.9, 5.0, 6.1, 5.8, 7.2, 7.9],
                [0.9833336155072405, 9.848170921591869e-09, 0.9397900795548508, 0.995460363969875],
                [0.9771103027358351, 4.762226955852511e-08, 0.9179797909428532, 0.9937509734973399],
            ),
            (
                "weak",
                (0..30).map(|i| ((i * 37) % 23) as f64).collect(),
                (0..30).map(|i| ((i * 11) % 17) as f64 + 0.25 * ((i * 37) % 23) as f64).collect(),
                [0.47052789207900425, 0.008688760302544549, 0.1327644660144775, 0.7103764332452572],
                [0.40173796791443855, 0.02776722689682468, 0.04848636196523291, 0.6656632079968059],
            ),
        ]
    }

    /// Within 1e-9 of SciPy's figure.
    fn close(what: &str, actual: Option<f64>, expected: f64) {
        let actual = actual.unwrap_or_else(|| panic!("{what} missing"));
        assert!((actual - expected).abs() <= 1e-9, "{what}: {actual} vs {expected}");
    }

    #[test]
    fn pearson_and_spearman_match_scipy() {
        for (name, x, y, pearson, spearman) in cases() {
            let c = correlate(&x, &y).unwrap();
            assert_eq!(c.n, x.len());
            for (which, got, want) in
                [("pearson", c.pearson.unwrap(), pearson), ("spearman", c.spearman.unwrap(), spearman)]
            {
                close(&format!("{name} {which} r"), Some(got.value), want[0]);
                close(&format!("{name} {which} p"), got.p_value, want[1]);
                close(&format!("{name} {which} ci low"), got.ci_low, want[2]);
                close(&format!("{name} {which} ci high"), got.ci_high, want[3]);
            }
        }
    }

    #[test]
    fn a_perfect_rank_order_has_no_interval_and_constant_series_no_coefficient() {
        let x = [0.1, 0.4, 0.35, 0.8, 0.55, 0.9, 0.2];
        let y = [9.0, 7.5, 8.1, 2.0, 6.0, 1.5, 8.8];
        let c = correlate(&x, &y).unwrap();
        let spearman = c.spearman.unwrap();
        assert_eq!((spearman.value, spearman.p_value, spearman.ci_low), (-1.0, Some(0.0), None));
        close("pearson r", Some(c.pearson.unwrap().value), -0.9752834398852104);
        close("pearson p", c.pearson.unwrap().p_value, 0.00018203253968916399);
        assert_eq!(correlate(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]).unwrap().pearson, None);
        assert_eq!(correlate(&[1.0], &[2.0, 3.0]), Err(CorrelationError::Lengths(1, 2)));
        assert_eq!(correlate(&[1.0, f64::NAN], &[2.0, 3.0]), Err(CorrelationError::NotFinite));
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }
}
