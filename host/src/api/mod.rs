//! The HTTP API under `/v1`: one module per resource, the authenticated caller, and the one
//! error type every route answers with.

pub mod actions;
pub mod awards;
pub mod coaching;
pub mod correlations;
pub mod dashboards;
pub mod deploy;
pub mod enrichment;
pub mod error;
pub mod extract;
pub mod health;
pub mod ingest;
pub mod metric_values;
pub mod metrics;
pub mod openapi;
pub mod pay;
pub mod plugins;
pub mod rankings;
pub mod records;
pub mod routing;
pub mod rules;
pub mod runs;
pub mod tenants;
pub mod topics;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use self::error::ApiError;
pub use crate::app::{AppState, Services};
use crate::auth::{Action, Principal};
use crate::config::Config;
use crate::store::system::Tenant;

/// The routes under `/v1`, each with its OpenAPI operation: one table feeds the router and
/// the document, so they cannot drift.
pub fn routes(config: &Config) -> OpenApiRouter<AppState> {
    let plugin_limit = DefaultBodyLimit::max(config.max_plugin_bytes);
    OpenApiRouter::new()
        .routes(routes!(tenants::create, tenants::list))
        .routes(routes!(tenants::show))
        .routes(routes!(tenants::set_limits))
        .routes(routes!(tenants::set_privacy))
        .routes(routes!(tenants::create_key))
        .routes(routes!(ingest::ingest))
        .routes(routes!(enrichment::settings, enrichment::set_settings))
        .routes(routes!(enrichment::status))
        .routes(routes!(enrichment::recompute))
        .routes(routes!(enrichment::of_row))
        .routes(routes!(routing::route))
        .routes(routes!(routing::settings, routing::set_settings))
        .routes(routes!(routing::rebuild_snapshot))
        .routes(routes!(routing::decisions))
        .routes(routes!(plugins::list, plugins::upload).layer(plugin_limit))
        .routes(routes!(deploy::versions))
        .routes(routes!(deploy::activate))
        .routes(routes!(deploy::rollback))
        .routes(routes!(deploy::start_canary, deploy::stop_canary))
        .routes(routes!(deploy::start_shadow, deploy::stop_shadow, deploy::shadow_report))
        .routes(routes!(deploy::shadow_run))
        .routes(routes!(deploy::set_policy))
        .routes(routes!(deploy::stats))
        .routes(routes!(deploy::audit))
        .routes(routes!(correlations::correlate_metrics))
        .routes(routes!(correlations::matrix))
        .routes(routes!(topics::taxonomy, topics::set_taxonomy))
        .routes(routes!(topics::side_by_side_topics))
        .routes(routes!(metrics::query))
        .routes(routes!(records::list))
        .routes(routes!(records::contact))
        .routes(routes!(rankings::rankings))
        .routes(routes!(rankings::quartiles_of))
        .routes(routes!(metric_values::values))
        .routes(routes!(metric_values::value, metric_values::set_value))
        .routes(routes!(dashboards::show))
        .routes(routes!(awards::run))
        .routes(routes!(awards::ledger))
        .routes(routes!(awards::flags))
        .routes(routes!(awards::leaderboard))
        .routes(routes!(awards::standing))
        .routes(routes!(pay::run))
        .routes(routes!(pay::statements))
        .routes(routes!(pay::statements_csv))
        .routes(routes!(rules::run, rules::runs))
        .routes(routes!(rules::schedules))
        .routes(routes!(rules::set_schedule, rules::schedule_of, rules::remove_schedule))
        .routes(routes!(actions::list))
        .routes(routes!(actions::show, actions::change))
        .routes(routes!(coaching::impact_of))
        .routes(routes!(coaching::sessions))
}

/// The path of a tenant's routes, `/tenants/{tenant}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantPath {
    /// The tenant's id: 1–40 lowercase letters, digits, `-` or `_`, starting with a letter.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
}

/// The path of one of a tenant's plugins, `/tenants/{tenant}/plugins/{name}` (and of the
/// metric and dashboard routes, which name a plugin too).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PluginPath {
    /// The tenant's id.
    #[param(pattern = r"^[a-z][a-z0-9_-]{0,39}$", example = "demo")]
    pub tenant: String,
    /// The plugin's name, as `describe()` gives it (1–64 lowercase letters, digits or `_`).
    #[param(example = "aht")]
    pub name: String,
}

/// A point in time as the API reads it: an RFC 3339 timestamp, or a date (`YYYY-MM-DD`)
/// meaning midnight UTC.
pub struct Time;

impl utoipa::PartialSchema for Time {
    fn schema() -> RefOr<Schema> {
        let string =
            |format| ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(format)));
        OneOfBuilder::new()
            .item(string(KnownFormat::DateTime))
            .item(string(KnownFormat::Date))
            .description(Some("An RFC 3339 timestamp, or a date (YYYY-MM-DD) meaning midnight UTC"))
            .into()
    }
}

impl utoipa::ToSchema for Time {}

/// What a metric's rows are grouped by.
pub struct GroupByName;

/// Every grouping [`crate::params::parse_group_by`] reads.
const GROUP_BYS: [&str; 9] = ["agent", "team", "site", "queue", "channel", "day", "week", "month", "total"];

impl utoipa::PartialSchema for GroupByName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(GROUP_BYS)).into()
    }
}

impl utoipa::ToSchema for GroupByName {}

/// A body of raw bytes.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .min_length(Some(1))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}

/// The authenticated caller, from `Authorization: Bearer <key>`.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send an API key as `Authorization: Bearer <key>`"))?;
        let key = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <key>`"))?;
        state.keys.authenticate(key.trim()).map(Caller).ok_or_else(|| ApiError::unauthorized("unknown API key"))
    }
}

impl Caller {
    /// The tenant, once the caller is known to be allowed `action` on it.
    pub fn require(&self, state: &Services, action: Action, tenant: &str) -> Result<Tenant, ApiError> {
        Ok(state.authorize(&self.0, action, tenant)?)
    }

    /// Checks the caller may do `action` platform-wide.
    pub fn require_platform(&self, action: Action) -> Result<(), ApiError> {
        Ok(self.0.require(action, None)?)
    }
}
