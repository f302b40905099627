//! Standard metric: service level (share of real-time contacts answered within a threshold).

use cxhost_plugin_sdk::prelude::*;

struct ServiceLevel;

/// The values the `abandons` parameter accepts.
const ABANDON_TREATMENTS: &str = "exclude_short, include_all, exclude_all";

impl Metric for ServiceLevel {
    fn describe() -> PluginInfo {
        info(
            "service_level",
            "1.0.0",
            "Service level as a ratio (0..1) = contacts answered within `threshold_seconds` / \
             (answered contacts + counted abandons). Only real-time contacts are offered: channel \
             `voice`, `chat` or `messaging` with outcome `handled` or `abandoned`, offered in the \
             range. Wait = `answered_at - offered_at`; a wait equal to the threshold is within it. \
             Abandon time = `ended_at - offered_at`. `abandons` decides which abandoned contacts \
             join the denominator: `exclude_short` (default) those whose abandon time is at least \
             `short_abandon_seconds` (shorter ones are left out entirely), `include_all` every \
             abandoned contact, `exclude_all` none (answered contacts only). Email and \
             self-service are never counted. Cannot be grouped by agent, team or site: abandoned \
             contacts, which count in the denominator, have no agent. A group whose denominator \
             is 0 (e.g. only short abandons) has value none.",
            vec![
                param_float(
                    "threshold_seconds",
                    20.0,
                    "Answer within this many seconds (inclusive) to count as within service level.",
                ),
                param_float(
                    "short_abandon_seconds",
                    5.0,
                    "Abandons after less than this many seconds are short abandons.",
                ),
                param_text(
                    "abandons",
                    "exclude_short",
                    "Abandoned contacts in the denominator: exclude_short, include_all or exclude_all.",
                ),
            ],
        )
    }

    fn compute(req: &Ask) -> Result<MetricResult, String> {
        let Settings { threshold, short, abandons } = settings(req)?;
        let mut params = vec![SqlValue::Float(threshold)];
        let counted = match abandons {
            Abandons::ExcludeShort => {
                params.push(SqlValue::Float(short));
                "i.outcome = 'handled' OR epoch(i.ended_at - i.offered_at) >= ?"
            }
            Abandons::IncludeAll => "TRUE",
            Abandons::ExcludeAll => "i.outcome = 'handled'",
        };
        let g = grouping(Source::Interactions, req)?;
        let sql = format!(
            "SELECT {key} AS grp, \
             CAST(count(*) FILTER (WHERE i.outcome = 'handled' \
             AND epoch(i.answered_at - i.offered_at) <= ?) AS DOUBLE) AS num, \
             CAST(count(*) FILTER (WHERE {counted}) AS DOUBLE) AS den \
             FROM {from} \
             WHERE i.channel IN ('voice', 'chat', 'messaging') \
             AND i.outcome IN ('handled', 'abandoned') AND {time} \
             GROUP BY 1 ORDER BY 1",
            key = g.key,
            from = g.from,
            time = g.time_filter
        );
        params.extend(time_range(req));
        Ok(MetricResult { unit: "ratio".to_string(), rows: ratio_rows(&sql, &params, req)? })
    }
}

/// Which abandoned contacts join the denominator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Abandons {
    ExcludeShort,
    IncludeAll,
    ExcludeAll,
}

/// The parameters `compute` and `records` share, checked, after the same refusals.
struct Settings {
    threshold: f64,
    short: f64,
    abandons: Abandons,
}

fn settings(req: &Ask) -> Result<Settings, String> {
    if matches!(req.group_by, GroupBy::Agent | GroupBy::Team | GroupBy::Site) {
        return Err("service_level cannot be grouped by agent, team or site: abandoned contacts, \
                    which count in its denominator, have no agent; group by queue, channel or a \
                    period instead"
            .to_string());
    }
    let threshold = req.params.float("threshold_seconds")?;
    let short = req.params.float("short_abandon_seconds")?;
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(format!("parameter `threshold_seconds` must be a number >= 0, got {threshold}"));
    }
    if !(short.is_finite() && short >= 0.0) {
        return Err(format!("parameter `short_abandon_seconds` must be a number >= 0, got {short}"));
    }
    let abandons = match req.params.text("abandons")? {
        "exclude_short" => Abandons::ExcludeShort,
        "include_all" => Abandons::IncludeAll,
        "exclude_all" => Abandons::ExcludeAll,
        other => {
            return Err(format!("parameter `abandons` must be one of {ABANDON_TREATMENTS}, got `{other}`"));
        }
    };
    Ok(Settings { threshold, short, abandons })
}

/// `x` (an SQL number) as text: whole numbers without a decimal point, others to one place.
fn number_text(x: &str) -> String {
    format!(
        "CASE WHEN ({x}) = trunc({x}) THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE CAST(round({x}, 1) AS VARCHAR) END"
    )
}

/// A validated finite number as the people reading a reason write it.
fn plain(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

impl MetricRecords for ServiceLevel {
    /// Every contact offered in the range: answered real-time contacts and the counted abandons
    /// are in the denominator (those answered within the threshold in the numerator too); the
    /// others are excluded with the reason.
    fn records(req: &Ask) -> Result<RecordsQuery, String> {
        let Settings { threshold, short, abandons } = settings(req)?;
        let wait = "epoch(i.answered_at - i.offered_at)";
        let abandon_seconds = "epoch(i.ended_at - i.offered_at)";
        // Thresholds are validated finite numbers, written as DOUBLE literals (`{:?}` keeps
        // their exact value, with an exponent where needed).
        let abandon_counted = match abandons {
            Abandons::ExcludeShort => {
                format!("i.outcome = 'handled' OR {abandon_seconds} >= CAST({short:?} AS DOUBLE)")
            }
            Abandons::IncludeAll => "TRUE".to_string(),
            Abandons::ExcludeAll => "i.outcome = 'handled'".to_string(),
        };
        let counted = format!(
            "i.channel IN ('voice', 'chat', 'messaging') AND i.outcome IN ('handled', 'abandoned') \
             AND ({abandon_counted})"
        );
        let num =
            format!("CASE WHEN i.outcome = 'handled' AND {wait} <= CAST({threshold:?} AS DOUBLE) THEN 1 ELSE 0 END");
        let abandon_excluded = match abandons {
            Abandons::ExcludeShort => format!("'short abandon (' || {} || ' s)'", number_text(abandon_seconds)),
            _ => "'abandoned: abandons are not counted (abandons=exclude_all)'".to_string(),
        };
        let excluded_reason = format!(
            "CASE WHEN i.channel NOT IN ('voice', 'chat', 'messaging') THEN i.channel || ': not a real-time channel' \
             WHEN i.outcome NOT IN ('handled', 'abandoned') THEN 'outcome ' || i.outcome || ': neither handled nor abandoned' \
             ELSE {abandon_excluded} END"
        );
        let within = plain(threshold);
        let denominator_reason = format!(
            "CASE WHEN i.outcome = 'abandoned' \
             THEN 'abandoned after ' || {abandoned} || ' s, not answered within {within} s' \
             WHEN i.answered_at IS NULL THEN 'no answer time, not answered within {within} s' \
             ELSE 'answered after ' || {waited} || ' s, not within {within} s' END",
            abandoned = number_text(abandon_seconds),
            waited = number_text(wait),
        );
        let definition = RowRatio {
            source: Source::Interactions,
            num: &num,
            den: "1",
            counted: &counted,
            excluded_reason: &excluded_reason,
            denominator_reason: &denominator_reason,
            unit: "ratio",
            higher_is_better: true,
        };
        definition.records(req)
    }
}

export_metric!(ServiceLevel, records);
