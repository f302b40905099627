//! The one HTTP error type: every failure becomes a JSON problem (`application/problem+json`)
//! with a stable `code`, a message a person can act on, the offending rows or field, and the
//! request id. A server failure (`internal`) shows the client only its code and request id;
//! its detail goes to the log under the same request id.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::deploy::DeployError;
use crate::registry::RegistryError;
use crate::runtime::{CallError, LoadError};
use crate::store::{IngestError, SystemError};

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

/// What a client is told of a server failure.
const INTERNAL_DETAIL: &str = "the server failed to answer this request; the operator can find what happened in \
     the server's log by its request id";

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    field: Option<String>,
    report: Option<Box<serde_json::Value>>,
    /// For the log only: what made the server fail.
    internal: Option<Box<str>>,
    retry_after_secs: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            title,
            detail: detail.into(),
            field: None,
            report: None,
            internal: None,
            retry_after_secs: None,
        }
    }

    /// What went wrong, as the problem's `detail` says it.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_report(mut self, report: impl Serialize) -> Self {
        self.report = serde_json::to_value(report).ok().map(Box::new);
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, "Not found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Missing or unknown API key", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed for this key", detail)
    }

    /// A failure of the server itself: the client sees only the code and the request id;
    /// `detail` is logged with the request id when the response is made.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let mut error = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", INTERNAL_DETAIL);
        error.internal = Some(detail.to_string().into());
        error
    }

    /// The server is at a capacity limit; the client may retry after `retry_after_secs`.
    pub fn unavailable(code: &'static str, detail: impl Into<String>, retry_after_secs: u32) -> Self {
        let mut error = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, "Server at capacity", detail);
        error.retry_after_secs = Some(retry_after_secs);
        error
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Logs a server failure's detail with the request id; nothing for other problems.
    pub fn log_internal(&self) {
        if let Some(internal) = &self.internal {
            let request_id = super::request_id::current().unwrap_or_default();
            tracing::error!(request_id = %request_id, error = %internal, "internal error");
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log_internal();
        let body = Problem {
            code: self.code,
            status: self.status.as_u16(),
            title: self.title,
            detail: self.detail,
            field: self.field,
            report: self.report.map(|r| *r),
            request_id: super::request_id::current(),
        };
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<crate::admission::Refused> for ApiError {
    fn from(refused: crate::admission::Refused) -> Self {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_plugin_calls",
            "Too many plugin calls",
            refused.to_string(),
        );
        error.retry_after_secs = Some(u32::try_from(refused.retry_after_secs()).unwrap_or(u32::MAX));
        error
    }
}

impl From<SystemError> for ApiError {
    fn from(e: SystemError) -> Self {
        match e {
            SystemError::TenantExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "tenant_exists", "Tenant exists", e.to_string())
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        let detail = e.to_string();
        match e {
            IngestError::UnknownColumns { .. } => ApiError::bad_request("unknown_columns", detail),
            IngestError::MissingColumns { .. } => ApiError::bad_request("missing_columns", detail),
            IngestError::Unreadable { .. } => ApiError::bad_request("unreadable_batch", detail),
            IngestError::Rejected(report) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "batch_rejected", "Batch rejected", detail)
                    .with_report(&*report)
            }
            IngestError::Db(e) => ApiError::internal(e),
        }
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> Self {
        let detail = e.to_string();
        let (status, code, title) = match e {
            CallError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "plugin_timeout", "Plugin ran out of time"),
            CallError::MemoryCap { .. } => {
                (StatusCode::BAD_GATEWAY, "plugin_memory_cap", "Plugin exceeded its memory cap")
            }
            CallError::Limit { .. } => (StatusCode::BAD_GATEWAY, "plugin_limit", "Plugin exceeded a limit"),
            CallError::Trap { .. } => (StatusCode::BAD_GATEWAY, "plugin_trap", "Plugin crashed"),
            CallError::InvalidResult { .. } => {
                (StatusCode::BAD_GATEWAY, "plugin_invalid_result", "Plugin returned garbage")
            }
            CallError::Plugin { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "plugin_error", "Plugin could not compute this")
            }
            CallError::Busy(why) => {
                tracing::warn!(%why, "no plugin instance could be created");
                return ApiError::unavailable(
                    "busy",
                    "no plugin instance could be created right now; retry shortly",
                    1,
                );
            }
            CallError::HostPanic { .. } => return ApiError::internal(detail),
            CallError::WrongKind { .. } => (StatusCode::BAD_REQUEST, "wrong_kind", "Not that kind of plugin"),
        };
        ApiError::new(status, code, title, detail)
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Rejected(load) => {
                let code = match load {
                    LoadError::NotAComponent(_) => "not_a_component",
                    LoadError::CompileStopped(_) => "compile_stopped",
                    LoadError::WrongWorld { .. } | LoadError::WrongKind { .. } => "wrong_world",
                    LoadError::Describe(_) | LoadError::BadName(_) | LoadError::BadInfo(_) => "bad_describe",
                    LoadError::Cache(_) | LoadError::Engine(_) => return ApiError::internal(load),
                };
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    "Plugin refused",
                    format!("plugin refused: {load}"),
                )
            }
            RegistryError::UnknownVersion { .. } => {
                ApiError::not_found("version_not_found", e.to_string()).with_field("hash")
            }
            RegistryError::AmbiguousVersion { .. } => {
                ApiError::bad_request("ambiguous_version", e.to_string()).with_field("hash")
            }
            RegistryError::KindClash(_) => {
                ApiError::new(StatusCode::CONFLICT, "name_taken", "Name taken by another kind", e.to_string())
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<DeployError> for ApiError {
    fn from(e: DeployError) -> Self {
        match e {
            DeployError::Registry(e) => e.into(),
            DeployError::UnknownPlugin { .. } => {
                ApiError::not_found("plugin_not_found", e.to_string()).with_field("name")
            }
            DeployError::NothingToRollBack { .. } | DeployError::AlreadyActive { .. } => {
                ApiError::new(StatusCode::CONFLICT, "deployment_conflict", "Nothing to change", e.to_string())
            }
            DeployError::BadPercent(_) => {
                ApiError::bad_request("invalid_parameter", e.to_string()).with_field("percent")
            }
        }
    }
}

impl From<crate::store::tenant::TenantDbError> for ApiError {
    fn from(e: crate::store::tenant::TenantDbError) -> Self {
        match e {
            crate::store::tenant::TenantDbError::AtCapacity { .. } => ApiError::unavailable(
                "at_capacity",
                "every tenant database the server can hold open is in use; retry shortly",
                2,
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal(format!("worker task failed: {e}"))
    }
}
