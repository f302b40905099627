//! The router: the API's routes under `/v1`, the pages under `/ui`, health, metrics and the
//! OpenAPI document, behind request ids, tracing, body limits and the panic handler. The API,
//! health, metrics and document routes are one table with their OpenAPI operations
//! (`utoipa-axum`), so the document served at `/openapi.json` lists exactly what is routed;
//! the pages are not part of it.

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{Response, StatusCode, header};
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{self, ApiError, health, openapi};
use crate::app::AppState;
use crate::problem::Class;
use crate::request_id;

/// The routes in the OpenAPI document, and the document.
pub fn documented(config: &crate::config::Config) -> (Router<AppState>, openapi::Document) {
    let (routes, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(openapi::document))
        .routes(routes!(health::metrics))
        .nest("/v1", api::routes(config))
        .split_for_parts();
    (routes, openapi::Document::new(document))
}

/// The server's routes.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    let (documented, document) = documented(&state.config);
    let routes = documented
        .merge(crate::ui::routes())
        .route_layer(axum::middleware::from_fn(crate::telemetry::track_requests))
        .layer(Extension(document))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(axum::middleware::map_response(too_large_as_problem));
    with_failure_handling(routes).with_state(state)
}

/// A body refused for its declared length before any handler ran (the body limit layer
/// answers in plain text) becomes a problem like every other refusal.
async fn too_large_as_problem(response: Response<Body>) -> Response<Body> {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(api::error::PROBLEM_JSON.as_bytes()));
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE || is_problem {
        return response;
    }
    axum::response::IntoResponse::into_response(ApiError::new(
        Class::TooLarge,
        "body_too_large",
        "Request body too large",
        "the request body is larger than the server accepts",
    ))
}

/// Every request gets a request id, is traced, and a panic in its handler becomes a `500`
/// problem that names only the request id (the panic goes to the log).
fn with_failure_handling<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|panic: Box<dyn std::any::Any + Send>| {
            let text = crate::store::readonly::panic_text(panic.as_ref());
            axum::response::IntoResponse::into_response(ApiError::internal(format!(
                "the request handler panicked: {text}"
            )))
        }))
        .layer(axum::middleware::from_fn(request_id::assign))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;
    use axum::routing::get;

    async fn answer(router: Router, request_id: Option<&str>) -> (StatusCode, String, serde_json::Value) {
        let mut request = Request::get("/boom");
        if let Some(id) = request_id {
            request = request.header(request_id::HEADER, id);
        }
        let response = router.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let id = response.headers()[request_id::HEADER].to_str().unwrap().to_string();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, id, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn a_panic_becomes_a_problem_with_the_request_id_and_no_detail() {
        let panicking: Router = Router::new().route(
            "/boom",
            get(|| async {
                if true {
                    panic!("secret detail at /srv/cxhost/tenants/acme");
                }
                "unreachable"
            }),
        );
        let (status, id, body) = answer(with_failure_handling(panicking), Some("client-chosen-id-1")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(id, "client-chosen-id-1");
        assert_eq!(body["code"], "internal");
        assert_eq!(body["request_id"], "client-chosen-id-1");
        assert!(!body.to_string().contains("secret") && !body.to_string().contains("/srv"), "{body}");
    }

    #[tokio::test]
    async fn a_server_failure_shows_its_code_and_request_id_only() {
        let failing: Router = Router::new().route(
            "/boom",
            get(|| async { ApiError::internal("duckdb: IO Error: /srv/cxhost/system.duckdb is locked") }),
        );
        let (status, id, body) = answer(with_failure_handling(failing), None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(id.len(), 16, "a fresh id: {id}");
        assert_eq!(body["request_id"], id.as_str());
        assert!(!body.to_string().contains("duckdb") && !body.to_string().contains("/srv"), "{body}");
    }
}
