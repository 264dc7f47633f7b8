//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection
//! (RFC 9700 §4.14.2), the refresh count and grace period (DESIGN.md §3),
//! and revocation of a whole grant family (RFC 7009 §2.1). Tokens come from
//! the code flow through the pages; the `oauth2` crate refreshes them.
//! Scope escalation on refresh is in the security suite
//! (`security::tokens`).

use crate::authorization_code::token_request;
use crate::support::on_both_backends;
use crate::support::{TestClient, TestServer, assert_oauth_error};
use crate::user_agent::{Browser, Flow, PASSWORD, USER, oauth_app};
use flowgate::config::Config;
use flowgate::domain::ClientInput;
use oauth2::basic::BasicTokenResponse;
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, RefreshToken, Scope, TokenResponse};
use serde_json::json;

/// A server with the user and a code + refresh client with `refresh_count`.
pub(crate) async fn setup_with(
    adjust: impl FnOnce(&mut Config),
    refresh_count: i64,
) -> (TestServer, TestClient) {
    let s = TestServer::start_with(adjust).await;
    s.user(USER, PASSWORD).await;
    let c = s
        .client(json!({
            "grant_types": ["authorization_code", "refresh_token"],
            "refresh_count": refresh_count,
        }))
        .await;
    (s, c)
}

pub(crate) async fn setup(refresh_count: i64) -> (TestServer, TestClient) {
    setup_with(|_| {}, refresh_count).await
}

/// Tokens for `read write` through the pages, redeemed by the `oauth2` crate.
pub(crate) async fn tokens(s: &TestServer, c: &TestClient) -> BasicTokenResponse {
    let app = oauth_app(s, c);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = app
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("write".into()))
        .set_pkce_challenge(challenge)
        .url();
    let trip = Browser::new(s)
        .authorize(url.as_str(), &Flow::default())
        .await;
    let code = trip.callback().q("code").unwrap().to_owned();
    app.exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&s.http)
        .await
        .unwrap()
}

pub(crate) fn refresh_of(t: &BasicTokenResponse) -> String {
    t.refresh_token().expect("a refresh token").secret().clone()
}

/// One refresh through the `oauth2` crate; must succeed.
pub(crate) async fn refresh(s: &TestServer, c: &TestClient, token: &str) -> BasicTokenResponse {
    oauth_app(s, c)
        .exchange_refresh_token(&RefreshToken::new(token.into()))
        .request_async(&s.http)
        .await
        .unwrap()
}

/// A raw refresh request, optionally with `scope`.
pub(crate) async fn refresh_raw(
    s: &TestServer,
    c: &TestClient,
    token: &str,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    form.extend(scope.map(|v| ("scope", v)));
    token_request(s, c, &form).await
}

async fn active(s: &TestServer, c: &TestClient, token: &str) -> bool {
    let info = s.introspect(c, token).await;
    info["active"].as_bool().unwrap()
}

on_both_backends! {
    async fn refresh_count_zero_issues_no_refresh_token_design_3() {
        let (s, c) = setup(0).await;
        let t = tokens(&s, &c).await;
        assert!(t.refresh_token().is_none());
        assert!(active(&s, &c, t.access_token().secret()).await);
        s.stop().await;
    }
}

on_both_backends! {
    async fn refresh_count_two_allows_exactly_two_refreshes_design_3() {
        let (s, c) = setup(2).await;
        let mut rt = refresh_of(&tokens(&s, &c).await);
        for _ in 0..2 {
            let next = refresh(&s, &c, &rt).await;
            assert!(active(&s, &c, next.access_token().secret()).await);
            rt = refresh_of(&next);
        }
        let third = refresh_raw(&s, &c, &rt, None).await;
        assert_oauth_error(third, 400, "invalid_grant").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn refresh_count_minus_one_is_unlimited_design_3() {
        let (s, c) = setup(-1).await;
        let mut rt = refresh_of(&tokens(&s, &c).await);
        for _ in 0..8 {
            rt = refresh_of(&refresh(&s, &c, &rt).await);
        }
        s.stop().await;
    }
}

on_both_backends! {
    async fn each_refresh_rotates_and_reuse_revokes_the_family_rfc9700_4_14_2() {
        let (s, c) = setup(-1).await;
        let first = tokens(&s, &c).await;
        let rt0 = refresh_of(&first);
        assert!(rt0.starts_with("fgrt_"), "{rt0}");
        let second = refresh(&s, &c, &rt0).await;
        let rt1 = refresh_of(&second);
        assert_ne!(rt1, rt0, "the refresh token rotates");
        assert_ne!(
            second.access_token().secret(),
            first.access_token().secret()
        );
        assert_eq!(second.expires_in().unwrap().as_secs(), 3600);
        let scopes: Vec<_> = second
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(scopes, ["read", "write"]);
        assert!(
            !active(&s, &c, &rt0).await,
            "a rotated-out token is not active"
        );
        let third = refresh(&s, &c, &rt1).await;
        let rt2 = refresh_of(&third);
        assert!(active(&s, &c, &rt2).await);
        assert!(active(&s, &c, third.access_token().secret()).await);

        // rt1 again: reuse. The grant family ends.
        assert_oauth_error(refresh_raw(&s, &c, &rt1, None).await, 400, "invalid_grant").await;
        for t in [
            third.access_token().secret(),
            second.access_token().secret(),
            &rt2,
        ] {
            assert!(
                !active(&s, &c, t).await,
                "{t} must be revoked with its family"
            );
        }
        assert_oauth_error(refresh_raw(&s, &c, &rt2, None).await, 400, "invalid_grant").await;
        assert_oauth_error(refresh_raw(&s, &c, &rt0, None).await, 400, "invalid_grant").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn reuse_within_the_grace_period_returns_the_same_successor_design_3() {
        let (s, c) = setup_with(|config| config.settings.refresh_grace = 30, -1).await;
        let rt0 = refresh_of(&tokens(&s, &c).await);
        let r = refresh_raw(&s, &c, &rt0, None).await;
        assert_eq!(r.status(), 200);
        let first: serde_json::Value = r.json().await.unwrap();
        let r = refresh_raw(&s, &c, &rt0, None).await;
        assert_eq!(r.status(), 200, "within the grace period");
        let again: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            again["access_token"], first["access_token"],
            "{first} {again}"
        );
        assert_eq!(
            again["refresh_token"], first["refresh_token"],
            "{first} {again}"
        );
        assert_eq!(again["scope"], "read write");
        assert_eq!(again["token_type"], "Bearer");
        let access = first["access_token"].as_str().unwrap();
        let rt1 = first["refresh_token"].as_str().unwrap();
        assert!(active(&s, &c, access).await);
        assert!(active(&s, &c, rt1).await);
        // The successor goes on working.
        assert_ne!(refresh_of(&refresh(&s, &c, rt1).await), rt1);
        s.stop().await;
    }
}

on_both_backends! {
    async fn revoking_a_refresh_token_ends_its_family_rfc7009_2_1() {
        let (s, c) = setup(-1).await;
        let first = tokens(&s, &c).await;
        let second = refresh(&s, &c, &refresh_of(&first)).await;
        let rt1 = refresh_of(&second);
        let r = s
            .post_basic(&s.revoke_url(), &c, &[("token", rt1.as_str())])
            .await;
        assert_eq!(r.status(), 200);
        for t in [
            first.access_token().secret(),
            second.access_token().secret(),
            &rt1,
        ] {
            assert!(!active(&s, &c, t).await, "{t}");
        }
        assert_oauth_error(refresh_raw(&s, &c, &rt1, None).await, 400, "invalid_grant").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn refresh_by_a_deactivated_client_is_invalid_client_rfc6749_5_2() {
        let (s, c) = setup(-1).await;
        let rt = refresh_of(&tokens(&s, &c).await);
        let off = ClientInput {
            active: Some(false),
            ..ClientInput::default()
        };
        s.app.update_client("test", &c.id, off).await.unwrap();
        assert_oauth_error(refresh_raw(&s, &c, &rt, None).await, 401, "invalid_client").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn refresh_for_a_deleted_user_is_invalid_grant_rfc6749_5_2() {
        let (s, c) = setup(-1).await;
        let rt = refresh_of(&tokens(&s, &c).await);
        s.app.delete_user("test", USER).await.unwrap();
        assert_oauth_error(refresh_raw(&s, &c, &rt, None).await, 400, "invalid_grant").await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn refresh_token_is_bound_to_its_client_rfc6749_6() {
        let (s, c) = setup(-1).await;
        let other = s
            .client(
                json!({ "grant_types": ["authorization_code", "refresh_token"], "refresh_count": -1 }),
            )
            .await;
        let rt = refresh_of(&tokens(&s, &c).await);
        assert_oauth_error(
            refresh_raw(&s, &other, &rt, None).await,
            400,
            "invalid_grant",
        )
        .await;
        s.stop().await;
    }
}

on_both_backends! {
    async fn concurrent_double_refresh_rotates_once_rfc9700_4_14_2() {
        let (s, c) = setup(-1).await;
        for _ in 0..5 {
            let rt = refresh_of(&tokens(&s, &c).await);
            let (a, b) = tokio::join!(
                refresh_raw(&s, &c, &rt, None),
                refresh_raw(&s, &c, &rt, None)
            );
            let mut statuses = [a.status().as_u16(), b.status().as_u16()];
            statuses.sort_unstable();
            assert_eq!(
                statuses,
                [200, 400],
                "exactly one of two concurrent refreshes succeeds"
            );
            let loser = if a.status() == 400 { a } else { b };
            assert_oauth_error(loser, 400, "invalid_grant").await;
        }
        s.stop().await;
    }
}

on_both_backends! {
    async fn concurrent_double_refresh_within_grace_gets_one_answer_twice_design_3() {
        let (s, c) = setup_with(|config| config.settings.refresh_grace = 30, -1).await;
        let rt = refresh_of(&tokens(&s, &c).await);
        let (a, b) = tokio::join!(
            refresh_raw(&s, &c, &rt, None),
            refresh_raw(&s, &c, &rt, None)
        );
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
        let a: serde_json::Value = a.json().await.unwrap();
        let b: serde_json::Value = b.json().await.unwrap();
        assert_eq!(a["access_token"], b["access_token"], "{a} {b}");
        assert_eq!(a["refresh_token"], b["refresh_token"], "{a} {b}");
        assert!(active(&s, &c, a["refresh_token"].as_str().unwrap()).await);
        s.stop().await;
    }
}
