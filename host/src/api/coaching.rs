//! Coaching: the tenant's coaching sessions, and the impact of coaching on a metric — each
//! session's difference in differences against comparable uncoached agents, and in total.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{BadRequest, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState, Caller, TenantPath, Time};
use crate::analytics::coaching::{Compare, ImpactAsk, ImpactReport, MAX_WEEKS, impact};
use crate::auth::Action;
use crate::params::{optional_bounds, parse_range};
use crate::store::actions::{self, Session};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImpactQuery {
    /// The metric, as the API names it: `name` or `name[param=value,…]`.
    #[param(example = "aht")]
    pub metric: String,
    /// Sessions held at or after this time.
    #[param(value_type = Time, inline)]
    pub from: String,
    /// Sessions held before this time; after `from`.
    #[param(value_type = Time, inline)]
    pub to: String,
    /// Whole weeks before the session's week and after it (1–26, default 4).
    #[param(minimum = 1, maximum = 26)]
    pub weeks: Option<u32>,
    /// Who the coached agent is compared with: agents of the same `team` (default) or with the
    /// same main `queue`.
    #[param(value_type = Option<Compare>, inline)]
    pub compare: Option<String>,
    /// A figure counts with at least this sample (the metric's denominator) each side (default 1).
    #[param(minimum = 0)]
    pub min_sample: Option<f64>,
    /// Fewest comparison agents a session needs (2–1000, default 3).
    #[param(minimum = 2, maximum = 1000)]
    pub min_comparison: Option<u32>,
    /// Every session whatever its topic (default false: sessions whose topic is the metric).
    pub all_topics: Option<bool>,
}

fn invalid(field: &'static str, detail: String) -> ApiError {
    ApiError::bad_request("invalid_parameter", detail).with_field(field)
}

/// The impact of coaching on a metric: for every session held in `[from, to)` (on the metric,
/// unless `all_topics`), the coached agent's figure over the `weeks` whole weeks before the
/// session's week and the `weeks` after it, against the same change for comparison agents
/// (same team or main queue, no coaching session in that window) — the difference in
/// differences with a 95% interval — and the mean effect over every session with enough data.
/// Sessions without enough data are listed with the reason.
#[utoipa::path(get, path = "/tenants/{tenant}/coaching/impact", tag = "coaching", operation_id = "coaching_impact",
    params(TenantPath, ImpactQuery),
    responses((status = 200, body = ImpactReport, description = "each session's effect and the total"), Keyed, BadRequest,
        NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn impact_of(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant: tenant_id }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<ImpactQuery>,
) -> Result<Json<ImpactReport>, ApiError> {
    let tenant = caller.require(&state, Action::Query, &tenant_id)?;
    let (from, to) = parse_range(&query.from, &query.to)?;
    if (to - from).num_days() > 3 * 366 {
        return Err(invalid("to", "sessions of at most three years at once; narrow `from`–`to`".to_string()));
    }
    let weeks = query.weeks.unwrap_or(4);
    if !(1..=MAX_WEEKS).contains(&weeks) {
        return Err(invalid("weeks", format!("`weeks` must be 1 to {MAX_WEEKS}, got {weeks}")));
    }
    let compare = match query.compare.as_deref() {
        None | Some("team") => Compare::Team,
        Some("queue") => Compare::Queue,
        Some(other) => {
            return Err(invalid(
                "compare",
                format!("`compare` is `team` or `queue`, got `{}`", crate::text::shown(other)),
            ));
        }
    };
    let min_sample = query.min_sample.unwrap_or(1.0);
    if !min_sample.is_finite() || min_sample < 0.0 {
        return Err(invalid("min_sample", "`min_sample` must be a number of at least 0".to_string()));
    }
    let min_comparison = query.min_comparison.unwrap_or(3);
    if !(2..=1000).contains(&min_comparison) {
        return Err(invalid("min_comparison", format!("`min_comparison` must be 2 to 1000, got {min_comparison}")));
    }
    let ask = ImpactAsk {
        metric: query.metric,
        from,
        to,
        weeks,
        compare,
        min_sample,
        min_comparison: min_comparison as usize,
        all_topics: query.all_topics.unwrap_or(false),
    };
    let limits = state.limits_of(&tenant);
    let subject = caller.0.actor();
    let admitted = state.admit(&tenant).await?;
    let worker = state.clone();
    let report = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        impact(&worker, &tenant, &subject, &ask, limits)
    })
    .await??;
    Ok(Json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionsQuery {
    /// Only this agent's sessions.
    pub agent: Option<String>,
    /// Held at or after this time.
    #[param(value_type = Option<Time>, inline)]
    pub from: Option<String>,
    /// Held before this time.
    #[param(value_type = Option<Time>, inline)]
    pub to: Option<String>,
    /// At most this many, newest first (default 500, at most 10000).
    #[param(minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
}

/// Coaching sessions, ingested or recorded when a task was marked done; newest first.
#[utoipa::path(get, path = "/tenants/{tenant}/coaching/sessions", tag = "coaching", operation_id = "coaching_sessions",
    params(TenantPath, SessionsQuery),
    responses((status = 200, body = Vec<Session>, description = "the sessions"), Keyed, BadRequest, NotFound, TenantData),
    security(("api_key" = [])))]
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TenantPath { tenant }): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<SessionsQuery>,
) -> Result<Json<Vec<Session>>, ApiError> {
    caller.require(&state, Action::Query, &tenant)?;
    let (from, to) = optional_bounds(query.from.as_deref(), query.to.as_deref())?;
    let limit = query.limit.unwrap_or(500).min(10_000);
    let db = state.tenants.get(&tenant)?;
    let agent = query.agent;
    Ok(Json(tokio::task::spawn_blocking(move || actions::sessions(&db, agent.as_deref(), (from, to), limit)).await??))
}
