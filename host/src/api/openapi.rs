//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "cxhost", description = "Contact-center analytics with sandboxed WebAssembly plugins. \
        Errors are JSON problems (`application/problem+json`) with a stable `code`."),
    paths(
        super::health::healthz, super::health::readyz,
        super::tenants::create, super::tenants::list, super::tenants::show, super::tenants::set_limits, super::tenants::set_privacy,
        super::tenants::create_key,
        super::ingest::ingest,
        super::plugins::list, super::plugins::upload,
        super::metrics::query,
        super::deploy::versions, super::deploy::activate, super::deploy::rollback,
        super::deploy::start_canary, super::deploy::stop_canary,
        super::deploy::start_shadow, super::deploy::stop_shadow, super::deploy::shadow_report,
        super::deploy::shadow_run, super::deploy::set_policy, super::deploy::stats, super::deploy::audit,
        super::correlations::correlate_metrics, super::correlations::matrix, super::dashboards::show,
        super::pay::run, super::pay::statements, super::pay::statements_csv,
        super::awards::run, super::awards::ledger, super::awards::flags, super::awards::leaderboard, super::awards::standing,
        super::topics::set_taxonomy, super::topics::taxonomy, super::topics::side_by_side_topics,
    ),
    components(schemas(super::error::Problem)),
    modifiers(&BearerKey),
)]
pub struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("cxk_…").build()),
        );
    }
}

/// The OpenAPI document of this server.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
