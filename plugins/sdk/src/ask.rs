//! What a metric is asked, whichever entry point asked it, and the two entry points built on
//! one [`Metric`]: a single period, and a sequence of periods whose rows carry their period in
//! the group key until they are split apart here.

use crate::{
    Grain, GroupBy, MetricRecords, MetricRequest, MetricResult, MetricRow, Param, PluginInfo, RecordsQuery,
    RecordsRequest, SeriesRequest, SeriesResult, SeriesRow, TimeRange,
};

/// Between a row's period (µs since the epoch, as text) and its group, in a series' keys.
pub(crate) const PERIOD_SEPARATOR: char = '\u{1f}';

/// A metric's request: the range `[period_start, period_end)` (µs since the Unix epoch, UTC),
/// the grouping, the parameters, and — for a series — the grain that cuts the range into
/// periods, each answered separately.
#[derive(Debug, Clone)]
pub struct Ask {
    /// Start of the range, µs since the Unix epoch (UTC), inclusive.
    pub period_start: i64,
    /// End of the range, µs since the Unix epoch (UTC), exclusive.
    pub period_end: i64,
    /// How the rows are grouped. For a series never `Day`, `Week` or `Month`: its periods come
    /// from `grain`.
    pub group_by: GroupBy,
    /// For a series (`compute-series`), the grain that cuts the range into periods; `None` for
    /// a single period and for `records`. [`grouping`](crate::grouping)'s key then carries
    /// each row's period as well as its group.
    pub grain: Option<Grain>,
    /// Every declared parameter, with the caller's value or the default; read them with
    /// [`ParamsExt`](crate::ParamsExt).
    pub params: Vec<Param>,
    /// For `records`: the one group the host keeps, if it opens one (a hint a query may use to
    /// read less; never set for `compute`).
    pub group: Option<String>,
    /// For `records`: the host uses only records with a part in the figure, so excluded ones
    /// may be left out.
    pub counted_only: bool,
}

impl TimeRange for Ask {
    fn period(&self) -> (i64, i64) {
        (self.period_start, self.period_end)
    }
}

/// A metric written once for both entry points; export it with [`export_metric!`](crate::export_metric).
pub trait Metric {
    /// The plugin's `describe()` answer; build it with [`info`](crate::info).
    fn describe() -> PluginInfo;
    /// The metric over `ask`. Build SQL from [`grouping`](crate::grouping)`(source, ask)` and
    /// name each row's group by its `key`: for a series the key carries the period too.
    fn compute(ask: &Ask) -> Result<MetricResult, String>;
}

/// `compute` of the metric world, answered by `M`: the request as an [`Ask`] without a grain.
/// [`export_metric!`](crate::export_metric) calls it; call it yourself only from a hand-written
/// `Guest`.
pub fn answer_single<M: Metric>(request: MetricRequest) -> Result<MetricResult, String> {
    M::compute(&Ask {
        period_start: request.period_start,
        period_end: request.period_end,
        group_by: request.group_by,
        grain: None,
        params: request.params,
        group: None,
        counted_only: false,
    })
}

/// `records` of the metric-records world, answered by `M`: the request as an [`Ask`] with its
/// `group` and `counted_only`.
pub fn answer_records<M: MetricRecords>(request: RecordsRequest) -> Result<RecordsQuery, String> {
    M::records(&Ask {
        period_start: request.period_start,
        period_end: request.period_end,
        group_by: request.group_by,
        grain: None,
        params: request.params,
        group: request.group,
        counted_only: request.counted_only,
    })
}

/// `compute-series` of the metric-series world, answered by `M` in one computation over the
/// whole range, its rows split by period. A request grouped by day, week or month is refused,
/// and so is a row whose group does not carry its period (SQL that named its groups other
/// than by [`grouping`](crate::grouping)'s key).
pub fn answer_series<M: Metric>(request: SeriesRequest) -> Result<SeriesResult, String> {
    if matches!(request.group_by, GroupBy::Day | GroupBy::Week | GroupBy::Month) {
        return Err("a series is grouped by agent, team, site, queue, channel or total; its periods come from \
                    its grain"
            .to_string());
    }
    let result = M::compute(&Ask {
        period_start: request.period_start,
        period_end: request.period_end,
        group_by: request.group_by,
        grain: Some(request.grain),
        params: request.params,
        group: None,
        counted_only: false,
    })?;
    let rows = result.rows.into_iter().map(split_row).collect::<Result<_, _>>()?;
    Ok(SeriesResult { unit: result.unit, rows })
}

fn split_row(row: MetricRow) -> Result<SeriesRow, String> {
    let parsed = row
        .group
        .split_once(PERIOD_SEPARATOR)
        .and_then(|(period, group)| Some((period.parse::<i64>().ok()?, group.to_string())));
    let Some((period_start, group)) = parsed else {
        return Err(format!(
            "the metric's SQL names a group `{}` without its period: use `grouping(..).key` as the group",
            row.group
        ));
    };
    Ok(SeriesRow { period_start, group, value: row.value, numerator: row.numerator, denominator: row.denominator })
}
