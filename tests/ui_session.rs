//! The `/ui` sign-in over plain HTTP: a session token in the cookie stands for the key, the
//! key itself is no cookie, signing out ends the session, and redirects stay on the server.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::util::server;

#[tokio::test]
async fn sign_in_gives_a_session_token_and_sign_out_ends_it() {
    let s = server();
    let key = s.tenant("pages").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = |path: &str| format!("{}{path}", s.base);

    let signed_out = client.get(url("/ui/tenants/pages")).send().await.unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_out.headers()[LOCATION], "/ui/login?next=/ui/tenants/pages");

    let wrong = client.post(url("/ui/login")).form(&[("key", "cxk_nope"), ("next", "/ui")]).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("That key is not known to this server."));

    let form = [("key", key.as_str()), ("next", "https://evil.example/ui")];
    let signed_in = client.post(url("/ui/login")).form(&form).send().await.unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[LOCATION], "/ui", "a foreign `next` is not followed");
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let token = cookie.split(';').next().unwrap().to_string();
    assert!(!token.contains(&key), "the key itself is never a cookie: {token}");

    let page = client.get(url("/ui/tenants/pages")).header(COOKIE, &token).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    let raw_key =
        client.get(url("/ui/tenants/pages")).header(COOKIE, format!("cxhost_key={key}")).send().await.unwrap();
    assert_eq!(raw_key.status(), StatusCode::SEE_OTHER, "a key is no session token");

    let out = client.post(url("/ui/logout")).header(COOKIE, &token).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = client.get(url("/ui/tenants/pages")).header(COOKIE, &token).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session ended");
}
