//! Request ids: every request gets one (a client's own `x-request-id` when it is a plain token,
//! otherwise a fresh random one), every response carries it in `x-request-id`, every problem
//! body names it, and the server's log line for a failure quotes it, so a client can report a
//! failure without the server showing it any internal detail.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

fn acceptable(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn fresh() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

/// Assigns the request its id and serves it within that id's scope.
pub async fn assign(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable(id))
        .map_or_else(fresh, str::to_string);
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_are_taken_from_clients() {
        assert!(acceptable("0123abcd-ef"));
        for bad in ["short", "has space inside", "new\nline-0000", &"x".repeat(65)] {
            assert!(!acceptable(bad), "{bad:?}");
        }
        assert_eq!(fresh().len(), 16);
    }
}
