//! Drill-down over HTTP: the records behind one group's figure of a metric, paged, with the
//! totals they add up to; and one contact with the customer's other contacts on its reason.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{BadRequest, Keyed, NotFound, PluginCall, TenantData};
use super::extract::{ApiPath, ApiQuery};
use super::metrics::{PluginRef, rfc3339};
use super::{ApiError, AppState, Caller, GroupByName, PluginPath, Time};
use crate::analytics::records::{self, MAX_PAGE, PageAsk, RecordOut, Totals};
use crate::auth::Action;
use crate::deploy::ServedAs;
use crate::metric_calls::MetricCall;
use crate::params::ParamError;
use crate::problem::Failure;
use crate::store::contacts::{self, ContactView};

/// Records on a page unless `limit` says otherwise.
pub const DEFAULT_PAGE: u32 = 100;

/// The records of one group's figure.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordsResponse {
    pub metric: String,
    /// The version whose records these are (the one serving this caller).
    pub plugin: PluginRef,
    pub served_as: ServedAs,
    pub unit: String,
    /// Whether a higher value of the metric is better.
    pub higher_is_better: bool,
    pub group_by: String,
    pub group: String,
    pub from: String,
    pub to: String,
    /// Every parameter the plugin ran with (given or default).
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, Value>,
    /// The whole group's records counted and summed (whatever `role` filters).
    pub totals: Totals,
    pub offset: u32,
    pub limit: u32,
    /// Where the next page starts; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
    pub records: Vec<RecordOut>,
}

/// The query of a metric's records: the metric's own (period, grouping, parameters), the group
/// to open, and the page.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RecordsQueryParams {
    /// Start (inclusive).
    #[param(value_type = Time, inline)]
    from: String,
    /// End (exclusive); after `from`.
    #[param(value_type = Time, inline)]
    to: String,
    /// The grouping of the figure being opened (default `total`).
    #[param(value_type = Option<GroupByName>, inline)]
    group_by: Option<String>,
    /// The group whose records to list, as the metric names it (an agent id, a team, a day
    /// `YYYY-MM-DD`); required unless `group_by` is `total`.
    group: Option<String>,
    /// Only records with this part in the figure.
    #[param(value_type = Option<String>, pattern = "^(numerator|denominator|excluded)$")]
    role: Option<String>,
    /// Records to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<u32>,
    /// Records on the page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// Who the canary share is decided for (default: the API key).
    subject: Option<String>,
}

/// The query parameters this route reads itself, for errors about the others.
const OWN_PARAMS: &str = "from, to, group_by, group, role, offset, limit";

/// Open one group's figure of a metric to the records behind it: contacts, answers, shifts or
/// evaluations, each with its part (numerator, denominator only, or excluded and why), paged,
/// with totals equal to the figure's numerator and denominator. Employee answers are shown only
/// for groups at the tenant's privacy floor, never by agent, and never with who or when.
#[utoipa::path(get, path = "/tenants/{tenant}/metrics/{name}/records", tag = "metrics",
    operation_id = "metric_records",
    params(PluginPath, RecordsQueryParams),
    responses((status = 200, body = RecordsResponse, description = "one page of the group's records"), Keyed,
        BadRequest, NotFound, TenantData, PluginCall),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(PluginPath { tenant: tenant_id, name }): ApiPath<PluginPath>,
    ApiQuery(mut query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<RecordsResponse>, ApiError> {
    let tenant = caller.require(&state, Action::Query, &tenant_id)?;
    let page = take_page(&mut query)?;
    let call = MetricCall::prepare_with(&state, &tenant, &name, &caller.0.actor(), query, OWN_PARAMS)?;
    let group = match (page.group, call.group_by.as_str()) {
        (Some(group), _) => group,
        (None, "total") => "total".to_string(),
        (None, _) => {
            return Err(Failure::bad_request(
                "missing_parameter",
                "query parameter `group` is required unless group_by is total: name the group to open, as the \
                 metric's answer names it",
            )
            .with_field("group"));
        }
    };
    let (offset, limit) = (page.offset, page.limit);
    let ask = PageAsk { group: group.clone(), role: page.role, offset, limit };
    let limits = state.limits_of(&tenant);
    let floor = records::floor_of(&call, tenant.min_group_size);
    let admitted = state.admit(&tenant).await?;
    let db = state.tenants.get(&tenant_id)?;
    let worker = state.clone();
    let (call, answer) = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        let answer = records::open(&worker, &call, (floor, &ask), db, limits);
        (call, answer)
    })
    .await?;
    let (source, page) = answer?;
    Ok(Json(RecordsResponse {
        metric: name,
        plugin: PluginRef::of(&state.registry, &source.plugin),
        served_as: call.plan.served_as,
        unit: source.query.unit.clone(),
        higher_is_better: source.query.higher_is_better,
        group_by: call.group_by.clone(),
        group,
        from: rfc3339(call.from),
        to: rfc3339(call.to),
        params: call.params.clone(),
        totals: page.totals,
        offset,
        limit,
        next_offset: page.next_offset,
        records: page.records,
    }))
}

/// The page asked for, taken out of the query.
struct PageParams {
    group: Option<String>,
    role: Option<String>,
    offset: u32,
    limit: u32,
}

fn take_page(query: &mut HashMap<String, String>) -> Result<PageParams, ParamError> {
    let group = query.remove("group");
    let role = query.remove("role");
    if let Some(role) = &role
        && !matches!(role.as_str(), "numerator" | "denominator" | "excluded")
    {
        return Err(ParamError::BadValue {
            name: "role".into(),
            expected: "numerator, denominator or excluded",
            text: role.clone(),
        });
    }
    let number = |name: &str, text: Option<String>, default: u32, range: std::ops::RangeInclusive<u32>| {
        let Some(text) = text else { return Ok(default) };
        text.parse::<u32>().ok().filter(|n| range.contains(n)).ok_or(ParamError::BadValue {
            name: name.to_string(),
            expected: if name == "limit" { "a whole number from 1 to 1000" } else { "a whole number of at least 0" },
            text,
        })
    };
    let offset = number("offset", query.remove("offset"), 0, 0..=u32::MAX)?;
    let limit = number("limit", query.remove("limit"), DEFAULT_PAGE, 1..=MAX_PAGE)?;
    Ok(PageParams { group, role, offset, limit })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ContactPath {
    /// The tenant's id.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
    /// The contact's `interaction_id`.
    pub interaction_id: String,
}

/// One contact as a drill-down ends on it: its columns, the customer's feedback about it, and
/// the customer's other contacts on the same reason.
#[utoipa::path(get, path = "/tenants/{tenant}/contacts/{interaction_id}", tag = "metrics",
    operation_id = "show_contact",
    params(ContactPath),
    responses((status = 200, body = ContactView, description = "the contact and its neighbours"), Keyed, NotFound,
        TenantData),
    security(("api_key" = [])))]
pub async fn contact(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ContactPath { tenant: tenant_id, interaction_id }): ApiPath<ContactPath>,
) -> Result<Json<ContactView>, ApiError> {
    caller.require(&state, Action::Query, &tenant_id)?;
    let db = state.tenants.get(&tenant_id)?;
    let id = interaction_id.clone();
    let view = tokio::task::spawn_blocking(move || contacts::contact(&db, &id)).await?.map_err(Failure::internal)?;
    view.map(Json).ok_or_else(|| {
        Failure::not_found("contact_not_found", format!("tenant `{tenant_id}` has no contact `{interaction_id}`"))
    })
}
