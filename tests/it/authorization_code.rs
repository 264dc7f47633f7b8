//! The authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636):
//! the authorization endpoint's checks and errors, and the code's
//! redemption at the token endpoint. The `oauth2`
//! crate is the client app for the happy paths; raw requests for errors.
//! Code injection, replay and the PKCE downgrade are in the security suite
//! (`security::codes`).

use crate::support::on_both_backends;
use crate::support::{REDIRECT_URI, TestClient, TestServer, assert_oauth_error};
use crate::user_agent::{Browser, Flow, PASSWORD, USER, authorize_url, oauth_app};
use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope, TokenResponse,
};
use serde_json::json;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn scopes_of(t: &oauth2::basic::BasicTokenResponse) -> Vec<String> {
    t.scopes().unwrap().iter().map(|s| s.to_string()).collect()
}

/// Runs the pages for an `oauth2`-built URL and redeems the code with it.
async fn code_flow(
    s: &TestServer,
    c: &TestClient,
    challenge: PkceCodeChallenge,
    verifier: PkceCodeVerifier,
) {
    let app = oauth_app(s, c);
    let (url, state) = app
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("write".into()))
        .set_pkce_challenge(challenge)
        .url();
    let trip = Browser::new(s)
        .authorize(url.as_str(), &Flow::default())
        .await;
    let cb = trip.callback();
    assert_eq!(cb.status, 303);
    assert_eq!(cb.target(), REDIRECT_URI);
    assert_eq!(
        cb.q("state"),
        Some(state.secret().as_str()),
        "state round trip, RFC 6749 §4.1.2"
    );
    assert!(cb.fragment.is_empty(), "{:?}", cb.url);
    let code = cb.q("code").unwrap();
    let token = app
        .exchange_code(AuthorizationCode::new(code.into()))
        .set_pkce_verifier(verifier)
        .request_async(&s.http)
        .await
        .unwrap();
    assert!(token.access_token().secret().starts_with("fgat_"));
    assert_eq!(token.expires_in().unwrap().as_secs(), 3600);
    assert!(
        token.refresh_token().is_none(),
        "refresh_count 0: no refresh token"
    );
    assert_eq!(scopes_of(&token), ["read", "write"]);
    let rs = s.client(json!({})).await;
    let info = s.introspect(&rs, token.access_token().secret()).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["scope"], "read write", "{info}");
    assert_eq!(info["client_id"], c.id.as_str(), "{info}");
    assert_eq!(info["username"], USER, "{info}");
}

on_both_backends! {
    async fn code_with_pkce_s256_confidential_client_rfc7636_4_6() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        code_flow(&s, &c, challenge, verifier).await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn code_with_pkce_plain_public_client_rfc7636_4_6() {
        let (s, c) = setup(
            json!({ "grant_types": ["authorization_code"], "token_endpoint_auth_method": "none" }),
        )
        .await;
        assert!(c.secret.is_none());
        let (challenge, verifier) = PkceCodeChallenge::new_random_plain();
        code_flow(&s, &c, challenge, verifier).await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn code_with_pkce_s256_public_client_rfc7636_4_6() {
        let (s, c) = setup(
            json!({ "grant_types": ["authorization_code"], "token_endpoint_auth_method": "none" }),
        )
        .await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        code_flow(&s, &c, challenge, verifier).await;
        s.stop().await;
    }
}

/// The error redirect for a code request with `params` (plus client_id,
/// redirect_uri and an awkward state), before any page is shown.
async fn authorize_error(s: &TestServer, client_id: &str, params: &[(&str, &str)], error: &str) {
    let state = "s/t a&t=e?é";
    let mut all = vec![
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("state", state),
    ];
    all.extend_from_slice(params);
    let trip = Browser::new(s)
        .authorize(&authorize_url(s, &all), &Flow::default())
        .await;
    assert!(
        trip.steps.is_empty(),
        "no page before the error: {:?}",
        trip.steps
    );
    let cb = trip.callback();
    assert_eq!(cb.target(), REDIRECT_URI);
    assert_eq!(cb.q("error"), Some(error), "{:?}", cb.url);
    assert_eq!(cb.q("state"), Some(state), "{:?}", cb.url);
    assert!(cb.q("error_description").is_some_and(|d| !d.is_empty()));
    assert_eq!(cb.q("code"), None);
    assert!(cb.fragment.is_empty(), "{:?}", cb.url);
}

on_both_backends! {
    async fn code_challenge_without_method_means_plain_rfc7636_4_3() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        let code = code_for(&s, &c, &[("code_challenge", VERIFIER)]).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ];
        assert_eq!(token_request(&s, &c, &form).await.status(), 200);
        s.stop().await;
    }
}

on_both_backends! {
    async fn public_client_without_code_challenge_is_invalid_request_rfc7636_4_4_1() {
        let (s, c) = setup(
            json!({ "grant_types": ["authorization_code"], "token_endpoint_auth_method": "none" }),
        )
        .await;
        authorize_error(&s, &c.id, &[("response_type", "code")], "invalid_request").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn unsupported_code_challenge_method_is_invalid_request_rfc7636_4_4_1() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        for method in ["S512", "s256", "none"] {
            let p = [
                ("response_type", "code"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", method),
            ];
            authorize_error(&s, &c.id, &p, "invalid_request").await;
        }
        s.stop().await;
    }
}

on_both_backends! {
    async fn malformed_code_challenge_is_invalid_request_rfc7636_4_2() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        let short = &CHALLENGE[..42];
        let bad_char = format!("{}+", &CHALLENGE[..43]);
        let long = "a".repeat(129);
        for challenge in [short, bad_char.as_str(), long.as_str()] {
            let p = [
                ("response_type", "code"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ];
            authorize_error(&s, &c.id, &p, "invalid_request").await;
        }
        let method_only = [("response_type", "code"), ("code_challenge_method", "S256")];
        authorize_error(&s, &c.id, &method_only, "invalid_request").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn expired_code_is_invalid_grant_rfc6749_4_1_2() {
        let s = TestServer::start_with(|config| config.settings.auth_code_lifetime = 1).await;
        s.user(USER, PASSWORD).await;
        let c = s
            .client(json!({ "grant_types": ["authorization_code"] }))
            .await;
        let code = code_for(&s, &c, &[]).await;
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ];
        assert_oauth_error(token_request(&s, &c, &form).await, 400, "invalid_grant").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn wrong_code_verifier_is_invalid_grant_rfc7636_4_6() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        let pkce = [
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        let wrong = VERIFIER.replace('d', "e");
        // A missing verifier is the PKCE downgrade: security::codes.
        for verifier in [wrong.as_str(), CHALLENGE] {
            let code = code_for(&s, &c, &pkce).await;
            let form = [
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ];
            let r = token_request(&s, &c, &form).await;
            assert_oauth_error(r, 400, "invalid_grant").await;
        }
        // The right verifier works (the RFC 7636 appendix B pair).
        let code = code_for(&s, &c, &pkce).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ];
        assert_eq!(token_request(&s, &c, &form).await.status(), 200);
        s.stop().await;
    }
}

on_both_backends! {
    async fn missing_response_type_is_invalid_request_rfc6749_4_1_2_1() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        authorize_error(&s, &c.id, &[], "invalid_request").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn unknown_response_type_is_unsupported_response_type_rfc6749_4_1_2_1() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        for t in ["id_token", "code token", "CODE"] {
            authorize_error(
                &s,
                &c.id,
                &[("response_type", t)],
                "unsupported_response_type",
            )
            .await;
        }
        s.stop().await;
    }
}

on_both_backends! {
    async fn client_without_the_code_grant_is_unauthorized_client_rfc6749_4_1_2_1() {
        let (s, c) = setup(json!({ "grant_types": ["implicit"] })).await;
        authorize_error(
            &s,
            &c.id,
            &[("response_type", "code")],
            "unauthorized_client",
        )
        .await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn scope_not_allowed_is_invalid_scope_rfc6749_4_1_2_1() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"], "scope": "read" })).await;
        for scope in ["write", "read profile", "nonexistent"] {
            authorize_error(
                &s,
                &c.id,
                &[("response_type", "code"), ("scope", scope)],
                "invalid_scope",
            )
            .await;
        }
        s.stop().await;
    }
}

on_both_backends! {
    async fn redirect_uri_must_match_at_the_token_endpoint_rfc6749_4_1_3() {
        let (s, c) = setup(json!({
            "grant_types": ["authorization_code"],
            "redirect_uris": [REDIRECT_URI, "https://app.example.com/other"],
        }))
        .await;
        for sent in [
            Some("https://app.example.com/other"),
            Some("https://app.example.com/cb/"),
            None,
        ] {
            let code = code_for(&s, &c, &[]).await;
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
            ];
            form.extend(sent.map(|u| ("redirect_uri", u)));
            assert_oauth_error(token_request(&s, &c, &form).await, 400, "invalid_grant").await;
        }
        s.stop().await;
    }
}

on_both_backends! {
    async fn redirect_uri_may_be_left_out_when_the_request_left_it_out_rfc6749_4_1_3() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        let p = [
            ("response_type", "code"),
            ("client_id", c.id.as_str()),
            ("state", "st"),
        ];
        let trip = Browser::new(&s)
            .authorize(&authorize_url(&s, &p), &Flow::default())
            .await;
        let cb = trip.callback();
        assert_eq!(cb.target(), REDIRECT_URI);
        let form = [
            ("grant_type", "authorization_code"),
            ("code", cb.q("code").unwrap()),
        ];
        assert_eq!(token_request(&s, &c, &form).await.status(), 200);
        s.stop().await;
    }
}

/// A token request authenticated as `c`: Basic for confidential clients,
/// `client_id` in the body for public ones.
pub(crate) async fn token_request(
    s: &TestServer,
    c: &TestClient,
    form: &[(&str, &str)],
) -> reqwest::Response {
    match c.secret {
        Some(_) => s.post_basic(&s.token_url(), c, form).await,
        None => {
            let mut form = form.to_vec();
            form.push(("client_id", &c.id));
            s.post_form(&s.token_url(), &form).await
        }
    }
}

/// A server with the user [`USER`] and a client registered with `fields`.
pub(crate) async fn setup(fields: serde_json::Value) -> (TestServer, TestClient) {
    let s = TestServer::start().await;
    s.user(USER, PASSWORD).await;
    let c = s.client(fields).await;
    (s, c)
}

/// A code for `c` through the pages (default flow), with `extra`
/// parameters (scope, PKCE) after `response_type`, `client_id`,
/// `redirect_uri` and `state=st`.
pub(crate) async fn code_for(s: &TestServer, c: &TestClient, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("state", "st"),
    ];
    params.extend_from_slice(extra);
    let trip = Browser::new(s)
        .authorize(&authorize_url(s, &params), &Flow::default())
        .await;
    let cb = trip.callback();
    assert_eq!(cb.q("error"), None, "{:?}", cb.url);
    assert_eq!(cb.q("state"), Some("st"));
    cb.q("code").unwrap().to_owned()
}

/// Redeems `code` (issued for [`REDIRECT_URI`]) as `c`; the token response.
pub(crate) async fn redeem(s: &TestServer, c: &TestClient, code: &str) -> serde_json::Value {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    let r = token_request(s, c, &form).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}
