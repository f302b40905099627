//! HTML pages for people under `/ui`: sign-in with an API key (a session token in an HttpOnly
//! cookie stands for it),
//! the page layout, and errors as pages rather than JSON problems. Pages are server-rendered,
//! need no script and load nothing from outside the server. Forms that change something are
//! refused unless they come from a page of this server (`SameOrigin`).

pub mod charts;
pub mod coaching;
pub mod impact;
pub mod ledgers;
pub mod pages;
pub mod rankings;
pub mod records;
pub mod sessions;

use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
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
        .route("/ui/tenants/{tenant}/metrics/{name}/records", get(records::records))
        .route("/ui/tenants/{tenant}/contacts/{id}", get(records::contact))
        .route("/ui/tenants/{tenant}/rankings", get(rankings::ranking))
        .route("/ui/tenants/{tenant}/quartiles", get(rankings::quartiles))
        .route("/ui/tenants/{tenant}/coaching", get(coaching::queue))
        .route("/ui/tenants/{tenant}/coaching/impact", get(impact::impact))
        .route("/ui/tenants/{tenant}/coaching/tasks/{id}", axum::routing::post(coaching::change))
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

impl UiError {
    /// A failure of the request itself (`403`): the message is shown as it is.
    pub fn forbidden(message: impl Into<String>) -> UiError {
        UiError { status: StatusCode::FORBIDDEN, message: message.into() }
    }
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

/// `text` as one path segment of a URL: everything but unreserved characters percent-encoded.
pub fn path_segment(text: &str) -> String {
    form_urlencoded_path(text).replace('/', "%2F")
}

/// `text` as a query-string value: everything but unreserved characters percent-encoded.
pub fn query_value(text: &str) -> String {
    path_segment(text)
}

/// `pairs` as a query string (`?a=1&b=2`, empty for none), every name and value encoded.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let joined: Vec<String> =
        pairs.into_iter().map(|(name, value)| format!("{}={}", query_value(name), query_value(value))).collect();
    if joined.is_empty() { String::new() } else { format!("?{}", joined.join("&")) }
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

/// A form post that came from a page of this server. Its session cookie is `SameSite=Strict`,
/// so a browser sends none with a post another site starts; on top of that the post must
/// carry an `Origin` header (browsers send one with every form post) whose host and port are
/// the request's own `Host`. A post without one, with `Origin: null`, or from another origin
/// is refused with `403` before anything else is looked at.
pub struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let refused = |why: &str| {
            tracing::info!(path = %parts.uri.path(), why, "cross-site form post refused");
            UiError::forbidden(format!(
                "This form was not sent from a page of this server ({why}), so nothing was changed. \
                 Open the page again and send it from there."
            ))
        };
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| parts.uri.authority().map(|a| a.to_string()));
        let Some(host) = host else { return Err(refused("the request names no host")) };
        let Some(origin) = parts.headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else {
            return Err(refused("it carries no Origin header"));
        };
        match origin.split_once("://").map(|(_, rest)| rest) {
            Some(origin_host) if origin_host.eq_ignore_ascii_case(&host) => Ok(SameOrigin),
            _ => Err(refused("it comes from another origin")),
        }
    }
}
