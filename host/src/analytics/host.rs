//! The analytics a dashboard or rule plugin calls (`cxhost:plugin/analytics`), served for one
//! tenant through the same services as the metric and correlation routes: the same serving
//! versions, parameter checks, privacy floor and limits. Nested plugin calls get at most the
//! time the caller has left; a rule's calls may not reach past the finished periods it judges.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate};

use super::correlation::Coefficient;
use super::cxex::{AnalyticsError, Level, Scope, cell, check_matrix_side, compute_series, resolve_named};
use super::series::{Period, grain_bounds, series_rows};
use crate::app::Services;
use crate::config::PluginLimits;
use crate::runtime::bindings::{
    CorrelationRequest, GroupBy, MatrixRequest, MetricRequest, MetricResult, ParamValue, SeriesRequest, SeriesResult,
    WitCoefficient, WitCorrelation, WitLevel, WitMatrixCell, WitPeriod, WitPoint,
};
use crate::runtime::host::AnalyticsHost;
use crate::store::TenantDb;
use crate::store::system::Tenant;

/// Most periods one `metric-series` call may ask for (e.g. two years and nine months by day).
pub const MAX_SERIES_PERIODS: usize = 1000;

/// Analytics bound to the tenant (and caller) a dashboard renders for or a rule runs for.
pub struct TenantAnalytics {
    pub state: Arc<Services>,
    pub tenant: Tenant,
    pub subject: String,
    pub db: Arc<TenantDb>,
    pub limits: PluginLimits,
    /// For a rule: the end of the finished periods it may judge (µs); asking for a range that
    /// ends later is refused.
    pub judged_until: Option<i64>,
}

impl TenantAnalytics {
    /// Analytics for a dashboard (or a page) of `tenant`, asked by `subject`: any range.
    pub fn new(state: Arc<Services>, tenant: Tenant, subject: String, db: Arc<TenantDb>, limits: PluginLimits) -> Self {
        TenantAnalytics { state, tenant, subject, db, limits, judged_until: None }
    }

    /// Refuses a range ending at `end` (µs) when it reaches past the finished periods.
    fn finished(&self, end: i64) -> Result<(), String> {
        match self.judged_until {
            Some(until) if end > until => Err(format!(
                "a rule judges finished periods only: this range ends at {}, after the last finished day, which \
                 ends at {}",
                crate::params::micros_text(end),
                crate::params::micros_text(until)
            )),
            _ => Ok(()),
        }
    }

    /// The tenant's limits, with the deadline cut to what is left before `deadline`.
    fn limits_until(&self, deadline: Instant) -> Result<PluginLimits, String> {
        let left = deadline.saturating_duration_since(Instant::now()).as_millis() as u64;
        if left == 0 {
            return Err("the dashboard's deadline has passed".to_string());
        }
        Ok(PluginLimits { deadline_ms: self.limits.deadline_ms.min(left), ..self.limits })
    }

    fn scope(
        &self,
        (level, period): (WitLevel, WitPeriod),
        (start, end): (i64, i64),
        lag: u32,
    ) -> Result<Scope, AnalyticsError> {
        let (from, to) = dates(start, end)?;
        let level = match level {
            WitLevel::Agent => Level::Agent,
            WitLevel::Team => Level::Team,
            WitLevel::Site => Level::Site,
        };
        let period = match period {
            WitPeriod::Week => Period::Week,
            WitPeriod::Month => Period::Month,
        };
        Scope::new(level, period, from, to, lag as usize)
    }
}

/// The days of a request's `[period-start, period-end)` (µs), refused when out of range or empty.
fn dates(start: i64, end: i64) -> Result<(NaiveDate, NaiveDate), AnalyticsError> {
    let date = |field: &'static str, micros: i64| -> Result<NaiveDate, AnalyticsError> {
        DateTime::from_timestamp_micros(micros).map(|t| t.date_naive()).ok_or(AnalyticsError::OutOfRange(field))
    };
    let (from, to) = (date("period-start", start)?, date("period-end", end)?);
    if from >= to {
        return Err(AnalyticsError::Param(crate::params::ParamError::EmptyRange {
            from: from.to_string(),
            to: to.to_string(),
        }));
    }
    Ok((from, to))
}

/// Midnight UTC of `day`, µs.
fn day_micros(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0).map_or(i64::MAX, |t| t.and_utc().timestamp_micros())
}

impl TenantAnalytics {
    /// Refuses a correlation whose whole periods reach past the finished ones.
    fn finished_periods(&self, period: WitPeriod, start: i64, end: i64) -> Result<(), String> {
        if self.judged_until.is_none() {
            return Ok(());
        }
        let (from, to) = dates(start, end).map_err(|e| e.to_string())?;
        let period = match period {
            WitPeriod::Week => Period::Week,
            WitPeriod::Month => Period::Month,
        };
        let bounds = crate::analytics::series::period_bounds(period, from, to);
        bounds.last().map_or(Ok(()), |last| self.finished(day_micros(*last)))
    }
}

fn text_of(value: &ParamValue) -> String {
    match value {
        ParamValue::Integer(v) => v.to_string(),
        ParamValue::Float(v) => v.to_string(),
        ParamValue::Text(v) => v.clone(),
        ParamValue::Boolean(v) => v.to_string(),
    }
}

fn coefficient(c: Option<Coefficient>) -> Option<WitCoefficient> {
    c.map(|c| WitCoefficient { value: c.value, p_value: c.p_value, ci_low: c.ci_low, ci_high: c.ci_high })
}

impl AnalyticsHost for TenantAnalytics {
    fn metric(&self, name: &str, request: MetricRequest, deadline: Instant) -> Result<MetricResult, String> {
        self.finished(request.period_end)?;
        let extra = request.params.iter().map(|p| (p.name.clone(), text_of(&p.value))).collect();
        let (plan, params) =
            resolve_named(&self.state, &self.tenant, &self.subject, name, extra).map_err(|e| e.to_string())?;
        let limits = self.limits_until(deadline)?;
        let context = self.state.call_context(&self.tenant.id, &plan.serve.info.name, self.db.clone(), limits);
        let request = MetricRequest { params, ..request };
        context.answer(&plan, &request).map(|answer| answer.result).map_err(|e| e.to_string())
    }

    fn metric_series(&self, name: &str, request: SeriesRequest, deadline: Instant) -> Result<SeriesResult, String> {
        if matches!(request.group_by, GroupBy::Day | GroupBy::Week | GroupBy::Month) {
            return Err("a series is grouped by agent, team, site, queue, channel or total; its periods come from \
                        its grain"
                .to_string());
        }
        let (from, to) = dates(request.period_start, request.period_end).map_err(|e| e.to_string())?;
        let bounds = grain_bounds(request.grain, from, to);
        if let Some(last) = bounds.last() {
            self.finished(day_micros(*last))?;
        }
        if bounds.len() > MAX_SERIES_PERIODS + 1 {
            return Err(format!(
                "a series has at most {MAX_SERIES_PERIODS} periods; this range has {}",
                bounds.len() - 1
            ));
        }
        let extra = request.params.iter().map(|p| (p.name.clone(), text_of(&p.value))).collect();
        let (plan, params) =
            resolve_named(&self.state, &self.tenant, &self.subject, name, extra).map_err(|e| e.to_string())?;
        let limits = self.limits_until(deadline)?;
        let context = self.state.call_context(&self.tenant.id, &plan.serve.info.name, self.db.clone(), limits);
        series_rows(&context, &plan, &params, (request.group_by, request.grain), &bounds, Some(deadline))
            .map_err(|e| e.to_string())
    }

    fn correlate(&self, request: CorrelationRequest, deadline: Instant) -> Result<WitCorrelation, String> {
        self.finished_periods(request.period, request.period_start, request.period_end)?;
        let limits = self.limits_until(deadline)?;
        let computed = (|| {
            let scope =
                self.scope((request.level, request.period), (request.period_start, request.period_end), request.lag)?;
            let metrics = vec![("ex", request.ex.clone()), ("cx", request.cx.clone())];
            let computed = compute_series(&self.state, &self.tenant, &self.subject, &scope, metrics, limits)?;
            let (paired, stats) = cell(&computed, &request.cx, &request.ex, request.lag as usize)?;
            Ok::<_, AnalyticsError>((computed.min_group, paired, stats))
        })();
        let (min_group, paired, stats) = computed.map_err(|e| e.to_string())?;
        Ok(WitCorrelation {
            n: stats.n as u32,
            pearson: coefficient(stats.pearson),
            spearman: coefficient(stats.spearman),
            withheld_groups: paired.withheld as u32,
            min_group,
            points: paired
                .points
                .into_iter()
                .map(|p| WitPoint { group: p.group, ex_period: p.ex_period, ex: p.ex, cx: p.cx })
                .collect(),
        })
    }

    fn correlate_matrix(&self, request: MatrixRequest, deadline: Instant) -> Result<Vec<WitMatrixCell>, String> {
        check_matrix_side("cx", &request.cx).and(check_matrix_side("ex", &request.ex)).map_err(|e| e.to_string())?;
        self.finished_periods(request.period, request.period_start, request.period_end)?;
        let limits = self.limits_until(deadline)?;
        let cells = (|| {
            let scope =
                self.scope((request.level, request.period), (request.period_start, request.period_end), request.lag)?;
            let metrics = request
                .ex
                .iter()
                .map(|m| ("ex", m.clone()))
                .chain(request.cx.iter().map(|m| ("cx", m.clone())))
                .collect();
            let computed = compute_series(&self.state, &self.tenant, &self.subject, &scope, metrics, limits)?;
            let mut cells = Vec::new();
            for ex in &request.ex {
                for cx in &request.cx {
                    let (paired, stats) = cell(&computed, cx, ex, request.lag as usize)?;
                    cells.push(WitMatrixCell {
                        cx: cx.clone(),
                        ex: ex.clone(),
                        n: stats.n as u32,
                        pearson: coefficient(stats.pearson),
                        spearman: coefficient(stats.spearman),
                        withheld_groups: paired.withheld as u32,
                    });
                }
            }
            Ok::<_, AnalyticsError>(cells)
        })();
        cells.map_err(|e| e.to_string())
    }
}
