//! Request extractors whose rejections are JSON problems like every other error: a body that
//! is not the expected JSON, a query string or a path segment that does not fit, names what is
//! wrong.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ApiError;

/// `axum::Json`, with a problem response when the body is not the expected JSON: not sent as
/// `application/json` (415), not JSON (400), too large (413), or not of the expected shape
/// (422, naming the field). A number with a zero fraction (`5.0`) is read as the integer it is,
/// as JSON Schema's `integer` allows.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(mut value) = axum::Json::<Value>::from_request(request, state).await?;
        integral_numbers_as_integers(&mut value);
        serde_path_to_error::deserialize(value).map(ApiJson).map_err(|e| {
            let detail = format!("the body does not fit the request: {e}");
            let failure =
                ApiError::new(crate::problem::Class::Unprocessable, "invalid_body", "Invalid request body", detail);
            match e.path().to_string() {
                path if path == "." => failure,
                path => failure.with_field(path),
            }
        })
    }
}

/// Rewrites every number with a zero fraction (`5.0`) as an integer, so an integer field
/// takes it as JSON Schema's `integer` does.
fn integral_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                if f >= 0.0 && f < u64::MAX as f64 {
                    *n = (f as u64).into();
                } else if f < 0.0 && f >= i64::MIN as f64 {
                    *n = (f as i64).into();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// `axum::extract::Query`, with a problem response when the query string does not fit.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path`, with a problem response when a path segment does not fit (e.g. it
/// is not UTF-8 once percent-decoded).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::new(
            crate::problem::Class::of_status(rejection.status().as_u16()),
            "invalid_body",
            "Invalid request body",
            rejection.body_text(),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request("invalid_parameter", rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_server_error() {
            ApiError::internal(rejection.body_text())
        } else {
            ApiError::bad_request("invalid_parameter", rejection.body_text())
        }
    }
}
