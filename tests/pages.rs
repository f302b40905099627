//! The `/ui` sign-in over plain HTTP: a session token in the cookie stands for the key, the
//! key itself is no cookie, signing out ends the session, and redirects stay on the server.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::util::app;

#[tokio::test]
async fn sign_in_gives_a_session_token_and_sign_out_ends_it() {
    let s = app();
    let key = s.tenant("pages").await;
    let url = |path: &str| format!("{}{path}", s.base);

    let signed_out = s.exchange(s.client.get(url("/ui/tenants/pages"))).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_out.headers[LOCATION], "/ui/login?next=/ui/tenants/pages");

    let wrong = s.exchange(s.client.post(url("/ui/login")).form(&[("key", "cxk_nope"), ("next", "/ui")])).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("That key is not known to this server."));

    let form = [("key", key.as_str()), ("next", "https://evil.example/ui")];
    let signed_in = s.exchange(s.client.post(url("/ui/login")).form(&form)).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers[LOCATION], "/ui", "a foreign `next` is not followed");
    let cookie = signed_in.headers[SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let token = cookie.split(';').next().unwrap().to_string();
    assert!(!token.contains(&key), "the key itself is never a cookie: {token}");

    let page = s.exchange(s.client.get(url("/ui/tenants/pages")).header(COOKIE, &token)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    let raw_key = s.exchange(s.client.get(url("/ui/tenants/pages")).header(COOKIE, format!("cxhost_key={key}"))).await;
    assert_eq!(raw_key.status, StatusCode::SEE_OTHER, "a key is no session token");

    let out = s.exchange(s.client.post(url("/ui/logout")).header(COOKIE, &token)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = s.exchange(s.client.get(url("/ui/tenants/pages")).header(COOKIE, &token)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "the session ended");
}
