//! Attacks on the authorization code: injection into another session,
//! replay, and the PKCE downgrade.

use crate::authorization_code::{code_for, redeem, setup, token_request};
use crate::support::on_both_backends;
use crate::support::{REDIRECT_URI, assert_oauth_error};
use oauth2::PkceCodeChallenge;
use serde_json::json;

/// The RFC 7636 appendix B pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A code exchange for [`REDIRECT_URI`] with `verifier`.
fn exchange<'a>(code: &'a str, verifier: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ]
}

on_both_backends! {
    /// Authorization code injection (RFC 9700 §4.5): a code stolen from the
    /// victim's session and injected into the attacker's is refused, since
    /// it is bound to the victim's PKCE challenge (§4.5.3.1) and to its
    /// client (RFC 6749 §4.1.3; its binding to the redirect URI is
    /// `authorization_code::redirect_uri_must_match_at_the_token_endpoint`).
    async fn code_injection_rfc9700_4_5() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        let other = s
            .client(json!({ "grant_types": ["authorization_code"] }))
            .await;
        let (victim_challenge, victim_verifier) = PkceCodeChallenge::new_random_sha256();
        let (_, attacker_verifier) = PkceCodeChallenge::new_random_sha256();
        let pkce = [
            ("code_challenge", victim_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let code = code_for(&s, &c, &pkce).await;
        // Injected into another client, even with the victim's verifier.
        let form = exchange(&code, victim_verifier.secret());
        assert_oauth_error(token_request(&s, &other, &form).await, 400, "invalid_grant").await;
        // Injected into the attacker's session of the same client: the
        // verifier is the attacker's.
        let form = exchange(&code, attacker_verifier.secret());
        assert_oauth_error(token_request(&s, &c, &form).await, 400, "invalid_grant").await;
        // The failed exchange burnt the code: a verifier cannot be guessed
        // over many tries.
        let form = exchange(&code, victim_verifier.secret());
        assert_oauth_error(token_request(&s, &c, &form).await, 400, "invalid_grant").await;
        s.stop().await;
    }
}

on_both_backends! {
    /// Authorization code replay (RFC 6749 §4.1.2): a code used twice is
    /// refused and the tokens issued from it are revoked.
    async fn code_replay_revokes_tokens_rfc6749_4_1_2() {
        let (s, c) = setup(
            json!({ "grant_types": ["authorization_code", "refresh_token"], "refresh_count": -1 }),
        )
        .await;
        let code = code_for(&s, &c, &[]).await;
        let first = redeem(&s, &c, &code).await;
        let access = first["access_token"].as_str().unwrap();
        let refresh = first["refresh_token"].as_str().unwrap();
        assert_eq!(s.introspect(&c, access).await["active"], true);
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ];
        assert_oauth_error(token_request(&s, &c, &form).await, 400, "invalid_grant").await;
        assert_eq!(s.introspect(&c, access).await["active"], false);
        assert_eq!(s.introspect(&c, refresh).await["active"], false);
        let again = token_request(
            &s,
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
        assert_oauth_error(again, 400, "invalid_grant").await;
        s.stop().await;
    }
}

on_both_backends! {
    /// PKCE downgrade (RFC 9700 §4.8): a verifier is required exactly when
    /// the authorization request sent a challenge (§4.8.2), so neither
    /// dropping the verifier nor stripping the challenge gets a token.
    async fn pkce_downgrade_rfc9700_4_8_2() {
        let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
        // Challenge sent, verifier omitted.
        let pkce = [
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        let code = code_for(&s, &c, &pkce).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ];
        assert_oauth_error(token_request(&s, &c, &form).await, 400, "invalid_grant").await;
        // Challenge stripped from the request, verifier sent.
        let code = code_for(&s, &c, &[]).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ];
        assert_oauth_error(token_request(&s, &c, &form).await, 400, "invalid_grant").await;
        // Without a verifier, a confidential client's code without PKCE works.
        let code = code_for(&s, &c, &[]).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ];
        assert_eq!(token_request(&s, &c, &form).await.status(), 200);
        s.stop().await;
    }
}
