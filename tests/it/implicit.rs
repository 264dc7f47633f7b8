//! The implicit grant (RFC 6749 §4.2): the access token comes back in the
//! redirect URI's fragment, never a refresh token, and every error after
//! the client is trusted goes to the fragment too (§4.2.2.1).

use crate::authorization_code::setup;
use crate::support::{REDIRECT_URI, TestServer};
use crate::user_agent::{Browser, Callback, Flow, USER, authorize_url, oauth_app};
use oauth2::{CsrfToken, Scope};
use serde_json::json;

const STATE: &str = "st&a/te=1 ?<\"'>é";

/// An implicit request for `scope`, answered as `flow` says.
async fn implicit(s: &TestServer, client_id: &str, scope: &str, flow: Flow) -> Callback {
    let p = [
        ("response_type", "token"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", scope),
        ("state", STATE),
    ];
    let trip = Browser::new(s)
        .authorize(&authorize_url(s, &p), &flow)
        .await;
    match trip.end {
        crate::user_agent::End::Redirect(cb) => cb,
        crate::user_agent::End::Page(p) => panic!("a {} page:\n{}", p.status, p.body),
    }
}

fn keys(pairs: &[(String, String)]) -> Vec<&str> {
    let mut k: Vec<_> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    k.sort_unstable();
    k
}

/// Asserts an error answer in the fragment, with state, nothing in the query.
fn assert_fragment_error(cb: &Callback, error: &str) {
    assert_eq!(cb.target(), REDIRECT_URI);
    assert_eq!(cb.url.query(), None, "{}", cb.url);
    assert_eq!(cb.f("error"), Some(error), "{}", cb.url);
    assert_eq!(cb.f("state"), Some(STATE), "{}", cb.url);
    assert!(cb.f("error_description").is_some_and(|d| !d.is_empty()));
    assert_eq!(cb.f("access_token"), None);
}

#[tokio::test]
async fn implicit_token_is_in_the_fragment_without_refresh_token_rfc6749_4_2_2() {
    // Registered for refresh tokens too: implicit still never gets one.
    let (s, c) = setup(json!({
        "grant_types": ["authorization_code", "implicit", "refresh_token"],
        "refresh_count": -1,
        "access_token_lifetime": 1234,
    }))
    .await;
    let cb = implicit(&s, &c.id, "read write", Flow::default()).await;
    assert_eq!(cb.status, 303);
    assert_eq!(cb.target(), REDIRECT_URI);
    assert_eq!(cb.url.query(), None, "nothing in the query: {}", cb.url);
    assert_eq!(
        keys(&cb.fragment),
        ["access_token", "expires_in", "scope", "state", "token_type"],
        "{}",
        cb.url
    );
    let token = cb.f("access_token").unwrap();
    assert!(token.starts_with("fgat_"), "{token}");
    assert_eq!(cb.f("token_type"), Some("Bearer"));
    assert_eq!(cb.f("expires_in"), Some("1234"));
    assert_eq!(cb.f("scope"), Some("read write"));
    assert_eq!(cb.f("state"), Some(STATE));
    let rs = s.client(json!({})).await;
    let info = s.introspect(&rs, token).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["scope"], "read write", "{info}");
    assert_eq!(info["username"], USER, "{info}");
    assert_eq!(info["client_id"], c.id.as_str(), "{info}");
    s.stop().await;
}

#[tokio::test]
async fn implicit_with_oauth2_crate_and_unticked_scope_rfc6749_4_2_1() {
    let (s, c) =
        setup(json!({ "grant_types": ["implicit"], "token_endpoint_auth_method": "none" })).await;
    let (url, state) = oauth_app(&s, &c)
        .authorize_url(CsrfToken::new_random)
        .use_implicit_flow()
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("profile".into()))
        .url();
    let trip = Browser::new(&s)
        .authorize(url.as_str(), &Flow::default().tick(&["profile"]))
        .await;
    let cb = trip.callback();
    assert_eq!(cb.url.query(), None, "{}", cb.url);
    assert_eq!(cb.f("state"), Some(state.secret().as_str()));
    assert_eq!(cb.f("scope"), Some("profile"));
    assert_eq!(cb.f("expires_in"), Some("3600"));
    let info = s
        .introspect(&s.client(json!({})).await, cb.f("access_token").unwrap())
        .await;
    assert_eq!(info["scope"], "profile", "{info}");
    s.stop().await;
}

#[tokio::test]
async fn implicit_token_that_never_expires_has_no_expires_in_rfc6749_4_2_2() {
    let (s, c) = setup(json!({ "grant_types": ["implicit"], "access_token_lifetime": -1 })).await;
    let cb = implicit(&s, &c.id, "read", Flow::default()).await;
    assert_eq!(
        keys(&cb.fragment),
        ["access_token", "scope", "state", "token_type"]
    );
    s.stop().await;
}

#[tokio::test]
async fn implicit_deny_is_access_denied_in_the_fragment_rfc6749_4_2_2_1() {
    let (s, c) = setup(json!({ "grant_types": ["implicit"] })).await;
    let cb = implicit(&s, &c.id, "read", Flow::default().deny()).await;
    assert_fragment_error(&cb, "access_denied");
    s.stop().await;
}

#[tokio::test]
async fn implicit_for_a_client_without_the_grant_is_unauthorized_client_rfc6749_4_2_2_1() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let trip = Browser::new(&s)
        .authorize(
            &authorize_url(
                &s,
                &[
                    ("response_type", "token"),
                    ("client_id", &c.id),
                    ("redirect_uri", REDIRECT_URI),
                    ("state", STATE),
                ],
            ),
            &Flow::default(),
        )
        .await;
    assert!(trip.steps.is_empty(), "no page before the error");
    assert_fragment_error(trip.callback(), "unauthorized_client");
    s.stop().await;
}

#[tokio::test]
async fn implicit_with_a_scope_not_allowed_is_invalid_scope_rfc6749_4_2_2_1() {
    let (s, c) = setup(json!({ "grant_types": ["implicit"], "scope": "read" })).await;
    let cb = implicit(&s, &c.id, "read write", Flow::default()).await;
    assert_fragment_error(&cb, "invalid_scope");
    s.stop().await;
}
