//! The API's answer to a failure: a [`Failure`](crate::problem::Failure) as a JSON problem
//! (`application/problem+json`) with its code, status, message, field or rows, and the request
//! id; a server failure shows only its code and request id, and its detail is logged under the
//! same id.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::problem::Failure as ApiError;

/// A JSON problem response body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `batch_rejected`.
    pub code: &'static str,
    /// HTTP status.
    pub status: u16,
    /// Short summary of the code.
    pub title: &'static str,
    /// What went wrong and what to do about it.
    pub detail: String,
    /// The offending field or parameter, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Extra structured detail, e.g. the ingest report with per-row errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub report: Option<serde_json::Value>,
    /// The request's id, also in the `x-request-id` header; quote it when reporting a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = crate::request_id::current();
        self.log_internal(request_id.as_deref().unwrap_or_default());
        let status = StatusCode::from_u16(self.class().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = Problem {
            code: self.code(),
            status: status.as_u16(),
            title: self.title(),
            detail: self.detail().to_string(),
            field: self.field().map(str::to_string),
            report: self.report().cloned(),
            request_id,
        };
        let mut response = (status, Json(body)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after_secs() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The media type of every problem answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What a problem answer of `status` means, for the OpenAPI document.
fn meaning(status: u16) -> &'static str {
    match status {
        400 => {
            "Bad request: a parameter or body field is missing, malformed or out of range; `code` says how \
                and `field` names it"
        }
        401 => "No API key, or an unknown one (`unauthorized`)",
        403 => "The key's role or tenant does not allow this (`forbidden`)",
        404 => "No such tenant, or no such thing the path, query or body names; `code` says which",
        409 => "Conflicts with what exists (`tenant_exists`, `name_taken`, `deployment_conflict`)",
        413 => "The body is larger than the server accepts",
        415 => "The body's `Content-Type` is not one this route reads",
        422 => {
            "Well-formed but not something that can be done: the body does not fit the request's schema \
                (`invalid_body`), a rejected batch or plugin, or the plugin's own error"
        }
        429 => {
            "The tenant's places for plugin requests and its queue are taken (`too_many_plugin_calls`); \
                retry after `Retry-After` seconds"
        }
        500 => "The server failed (`internal`); the detail is in its log under `request_id`",
        502 => "The plugin trapped, hit a limit or returned garbage",
        503 => "The server is at capacity (`at_capacity`, `busy`); retry after `Retry-After` seconds",
        504 => "The plugin ran past its deadline (`plugin_timeout`)",
        _ => "A problem; `code` says which",
    }
}

/// The problem answer of `status` as the OpenAPI document shows it.
fn problem_response(status: u16) -> (String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>) {
    use utoipa::openapi::{Content, Ref, ResponseBuilder, header::HeaderBuilder, schema};
    let mut response = ResponseBuilder::new()
        .description(meaning(status))
        .content(PROBLEM_JSON, Content::new(Some(Ref::from_schema_name("Problem"))));
    if matches!(status, 429 | 503) {
        let seconds = schema::ObjectBuilder::new().schema_type(schema::Type::Integer).minimum(Some(0));
        let header = HeaderBuilder::new().schema(seconds).description(Some("Seconds to wait before trying again"));
        response = response.header("Retry-After", header.build());
    }
    (status.to_string(), response.build().into())
}

/// Declares sets of problem answers for the routes' `responses(...)`, so each status is
/// described once: a route lists the sets that apply to it.
macro_rules! problem_answers {
    ($($(#[$doc:meta])* $name:ident = [$($status:literal),+];)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            > {
                [$($status),+].into_iter().map(problem_response).collect()
            }
        }
    )+};
}

problem_answers! {
    /// Any route: the server itself failed.
    ServerFailure = [500];
    /// Every route that takes a key: none or an unknown one, a role or tenant that may not,
    /// and a server failure.
    Keyed = [401, 403, 500];
    /// A query string or body field out of what the route accepts.
    BadRequest = [400];
    /// The tenant, or what the path or body names, does not exist.
    NotFound = [404];
    /// Conflicts with what exists.
    Conflict = [409];
    /// Well-formed but cannot be done.
    Unprocessable = [422];
    /// A JSON body: not JSON (400), too large (413), not sent as `application/json` (415), or
    /// not of the request's schema (422).
    JsonBody = [400, 413, 415, 422];
    /// Routes that open the tenant's database: the server may be at capacity.
    TenantData = [503];
    /// Routes that run a tenant's plugin: the plugin's own error (422), no free place (429),
    /// the plugin failing (502), no instance to be had or the server at capacity (503), and
    /// the plugin's deadline (504).
    PluginCall = [422, 429, 502, 503, 504];
}
