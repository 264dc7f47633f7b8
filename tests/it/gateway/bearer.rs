//! Bearer token use at the gateway (RFC 6750 §2 and §3). Tokens in the
//! query or a form body are refused: `security::tokens`.

use super::{assert_error, call, challenge, rest_service, scope, token, upstream};
use crate::support::TestServer;
use crate::support::on_both_backends;
use axum::http::Method;
use serde_json::json;

const INVALID_TOKEN: &str = "the access token is invalid, expired or revoked";
const INVALID_TOKEN_CHALLENGE: &str = "Bearer realm=\"flowgate\", error=\"invalid_token\", \
     error_description=\"the access token is invalid, expired or revoked\"";

/// Scope `api` granting `api`, `write` granting nothing, REST service
/// `api/echo`.
async fn setup() -> TestServer {
    let s = TestServer::start().await;
    let up = upstream().await;
    rest_service(&s, "api/echo", &format!("{up}/base"), None).await;
    scope(&s, "api", &["api"]).await;
    s
}

async fn assert_invalid_token(r: reqwest::Response) {
    assert_eq!(challenge(&r), INVALID_TOKEN_CHALLENGE);
    assert_error(r, 401, "invalid_token", INVALID_TOKEN).await;
}

on_both_backends! {
    async fn no_token_gets_a_bare_challenge_rfc6750_3_1() {
        let s = setup().await;
        for auth in [None, Some("Basic dXNlcjpwYXNz")] {
            let mut req = call(&s, Method::GET, "api/echo", None);
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let r = req.send().await.unwrap();
            assert_eq!(challenge(&r), "Bearer realm=\"flowgate\"");
            let description = "an access token is required (Authorization: Bearer)";
            assert_error(r, 401, "unauthorized", description).await;
        }
    }
}

on_both_backends! {
    async fn unknown_service_is_401_before_and_404_after_authentication() {
        let s = setup().await;
        let r = call(&s, Method::GET, "no/such/service", None)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(challenge(&r), "Bearer realm=\"flowgate\"");
        let r = call(&s, Method::GET, "no/such/service", Some("fgat_bogus"))
            .send()
            .await
            .unwrap();
        assert_invalid_token(r).await;
        let (_, t) = token(&s, "api").await;
        let r = call(&s, Method::GET, "no/such/service", Some(&t))
            .send()
            .await
            .unwrap();
        assert!(r.headers().get("www-authenticate").is_none());
        assert_error(r, 404, "not_found", "no such service").await;
    }
}

on_both_backends! {
    async fn malformed_authorization_is_invalid_request_rfc6750_2_1() {
        let s = setup().await;
        let malformed = "malformed Authorization header (expected: Bearer <token>)";
        for value in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer ====",
            "Bearer a,b",
        ] {
            let r = call(&s, Method::GET, "api/echo", None)
                .header("authorization", value)
                .send()
                .await
                .unwrap();
            assert_error(r, 400, "invalid_request", malformed).await;
        }
        let r = call(&s, Method::GET, "api/echo", None)
            .header("authorization", "Bearer a")
            .header("authorization", "Bearer b")
            .send()
            .await
            .unwrap();
        assert_error(
            r,
            400,
            "invalid_request",
            "more than one Authorization header",
        )
        .await;
    }
}

on_both_backends! {
    async fn unknown_expired_and_revoked_tokens_are_invalid_token_rfc6750_3_1() {
        let s = setup().await;
        let long = "x".repeat(3000);
        for t in [
            "garbage",
            "fgat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            long.as_str(),
        ] {
            let r = call(&s, Method::GET, "api/echo", Some(t))
                .send()
                .await
                .unwrap();
            assert_invalid_token(r).await;
        }
        // Expired.
        let (c, _) = token(&s, "api").await;
        let minted = s
            .app
            .mint_token("test", &c.id, Some("api"), Some(1))
            .await
            .unwrap();
        let r = call(&s, Method::GET, "api/echo", Some(&minted.access_token))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let r = call(&s, Method::GET, "api/echo", Some(&minted.access_token))
            .send()
            .await
            .unwrap();
        assert_invalid_token(r).await;
    }
}

on_both_backends! {
    async fn revocation_takes_effect_on_the_next_call_rfc7009() {
        let s = setup().await;
        let (c, t) = token(&s, "api").await;
        for _ in 0..3 {
            let r = call(&s, Method::GET, "api/echo", Some(&t))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        let r = s
            .post_basic(&s.revoke_url(), &c, &[("token", t.as_str())])
            .await;
        assert_eq!(r.status(), 200);
        let r = call(&s, Method::GET, "api/echo", Some(&t))
            .send()
            .await
            .unwrap();
        assert_invalid_token(r).await;
    }
}

on_both_backends! {
    async fn a_deactivated_client_token_is_invalid_token() {
        let s = setup().await;
        let (c, t) = token(&s, "api").await;
        let r = call(&s, Method::GET, "api/echo", Some(&t))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let input = serde_json::from_value(json!({ "active": false })).unwrap();
        s.app.update_client("test", &c.id, input).await.unwrap();
        let r = call(&s, Method::GET, "api/echo", Some(&t))
            .send()
            .await
            .unwrap();
        assert_invalid_token(r).await;
    }
}

on_both_backends! {
    async fn scopes_not_covering_the_service_are_insufficient_scope_rfc6750_3_1() {
        let s = setup().await;
        scope(&s, "api-too", &["api/echo"]).await;
        let (_, t) = token(&s, "read").await;
        let r = call(&s, Method::POST, "api/echo/x", Some(&t))
            .send()
            .await
            .unwrap();
        let description = "the access token's scopes do not cover this service";
        assert_eq!(
            challenge(&r),
            format!(
                "Bearer realm=\"flowgate\", error=\"insufficient_scope\", \
                 error_description=\"{description}\", scope=\"api api-too\""
            )
        );
        assert_error(r, 403, "insufficient_scope", description).await;
    }
}

on_both_backends! {
    async fn a_valid_token_is_checked_without_a_database_read() {
        let s = setup().await;
        let (_, t) = token(&s, "api").await;
        // The first call loads the service list; the token and its client are
        // in memory since the token was issued.
        let r = call(&s, Method::GET, "api/echo", Some(&t))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // With the store closed, any read would fail the call; a valid token
        // still gets through, from the caches alone.
        s.app.store.close().await;
        let r = call(&s, Method::GET, "api/echo", Some(&t))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // A token the caches do not know needs the store, which is gone.
        let (_, unknown) = flowgate::domain::token::mint("fgat_");
        let r = call(&s, Method::GET, "api/echo", Some(unknown.expose()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
    }
}
