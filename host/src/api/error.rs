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
