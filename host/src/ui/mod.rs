//! HTML pages for people under `/ui`: sign-in with an API key (a session token in an HttpOnly
//! cookie stands for it),
//! the page layout, and errors as pages rather than JSON problems. Pages are server-rendered,
//! need no script and load nothing from outside the server.

pub mod charts;
pub mod ledgers;
pub mod pages;
pub mod sessions;

use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};

use crate::app::AppState;
use crate::auth::Principal;
use crate::problem::Failure;

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "cxhost_key";

/// No script, no remote anything: styles and images from the page itself only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui", get(pages::home))
        .route("/ui/", get(pages::home))
        .route("/ui/login", get(pages::login_form).post(pages::login))
        .route("/ui/logout", axum::routing::post(pages::logout))
        .route("/ui/tenants/{tenant}", get(pages::overview))
        .route("/ui/tenants/{tenant}/dashboards/{name}", get(pages::dashboard))
        .route("/ui/tenants/{tenant}/teams/{team}", get(pages::team))
        .route("/ui/tenants/{tenant}/plugins/{name}", get(pages::plugin))
        .route("/ui/tenants/{tenant}/leaderboard", get(ledgers::leaderboard))
        .route("/ui/tenants/{tenant}/flags", get(ledgers::flags))
        .route("/ui/tenants/{tenant}/agents/{agent}", get(ledgers::agent))
}

/// A full page with the common head, header and security headers.
pub fn page(title: &str, who: Option<&Principal>, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No icon request to the server (and no 404 in the console).
                link rel="icon" href="data:,";
                title { (title) " · cxhost" }
                style { (charts::STYLE) }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    p { a href="/ui" { strong { "cxhost" } } }
                    @if let Some(who) = who {
                        form method="post" action="/ui/logout" {
                            span { "Signed in as " (who.role.as_str()) " " (who.name) " " }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" { h1 { (title) } (body) }
            }
        }
    };
    with_headers(markup.into_string()).into_response()
}

fn with_headers(body: String) -> impl IntoResponse {
    (
        [
            (CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        axum::response::Html(body),
    )
}

/// A failure shown as a page with the problem's status and message.
pub struct UiError {
    status: StatusCode,
    message: String,
}

impl<E: Into<Failure>> From<E> for UiError {
    fn from(e: E) -> Self {
        let e: Failure = e.into();
        e.log_internal(&crate::request_id::current().unwrap_or_default());
        let status = StatusCode::from_u16(e.class().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        UiError { status, message: e.detail().to_string() }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let body = html! { p.error role="alert" { (self.message) } p { a href="/ui" { "Back to the start page" } } };
        let mut response = page(self.status.canonical_reason().unwrap_or("Error"), None, body);
        *response.status_mut() = self.status;
        response
    }
}

/// The signed-in person, from the session cookie; pages without one redirect to sign-in.
pub struct Viewer(pub Principal);

/// Sends the browser to the sign-in page, coming back to `next` afterwards.
pub struct SignIn(String);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        let target = format!("/ui/login?next={}", form_urlencoded_path(&self.0));
        (StatusCode::SEE_OTHER, [(LOCATION, target)]).into_response()
    }
}

fn form_urlencoded_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The session token in a `Cookie` header, if any.
pub fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|h| h.to_str().ok()).flat_map(|h| h.split(';')).find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_string())
    })
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let here = OriginalUri::from_request_parts(parts, state)
            .await
            .map(|u| u.0.path_and_query().map(|p| p.to_string()).unwrap_or_default())
            .unwrap_or_else(|_| "/ui".to_string());
        session_token(&parts.headers).and_then(|token| state.ui_sessions.get(&token)).map(Viewer).ok_or(SignIn(here))
    }
}

/// `Set-Cookie` for a session with `token` (or clearing it when `None`).
pub fn session_cookie(token: Option<&str>) -> (axum::http::HeaderName, String) {
    let value = match token {
        Some(token) => format!("{SESSION_COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict"),
        None => format!("{SESSION_COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    (SET_COOKIE, value)
}
