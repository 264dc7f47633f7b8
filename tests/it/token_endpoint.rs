//! The token endpoint with the client credentials and password grants
//! (RFC 6749 §3.2, §4.3, §4.4, §5), driven by the `oauth2` crate for the
//! happy paths and by raw requests for every error.

use crate::support::on_both_backends;
use crate::support::{TestServer, assert_oauth_error};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, ResourceOwnerPassword, ResourceOwnerUsername, Scope,
    TokenResponse, TokenUrl,
};
use serde_json::json;

fn oauth_client(
    s: &TestServer,
    id: &str,
    secret: &str,
    auth: AuthType,
) -> oauth2::basic::BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    BasicClient::new(ClientId::new(id.into()))
        .set_client_secret(ClientSecret::new(secret.into()))
        .set_token_uri(TokenUrl::new(s.token_url()).unwrap())
        .set_auth_type(auth)
}

on_both_backends! {
    async fn client_credentials_with_oauth2_crate_client_secret_basic() {
        let s = TestServer::start().await;
        let c = s.client(json!({ "access_token_lifetime": 1234 })).await;
        let token = oauth_client(&s, &c.id, c.secret.as_deref().unwrap(), AuthType::BasicAuth)
            .exchange_client_credentials()
            .add_scope(Scope::new("read".into()))
            .request_async(&s.http)
            .await
            .unwrap();
        assert!(token.access_token().secret().starts_with("fgat_"));
        assert_eq!(token.expires_in().unwrap().as_secs(), 1234);
        assert_eq!(token.scopes().unwrap()[0].as_str(), "read");
        assert!(token.refresh_token().is_none());
        let info = s.introspect(&c, token.access_token().secret()).await;
        assert_eq!(info["active"], true);
    }
}

on_both_backends! {
    async fn client_credentials_with_oauth2_crate_client_secret_post() {
        let s = TestServer::start().await;
        let c = s
            .client(json!({ "token_endpoint_auth_method": "client_secret_post" }))
            .await;
        let token = oauth_client(
            &s,
            &c.id,
            c.secret.as_deref().unwrap(),
            AuthType::RequestBody,
        )
        .exchange_client_credentials()
        .request_async(&s.http)
        .await
        .unwrap();
        // No scope asked: everything the client may request (RFC 6749 §3.3).
        let scopes: Vec<_> = token
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(scopes, ["profile", "read", "write"]);
    }
}

on_both_backends! {
    async fn password_grant_with_oauth2_crate() {
        let s = TestServer::start().await;
        s.user("alice", "correct horse battery").await;
        let c = s.client(json!({ "grant_types": ["password"] })).await;
        let token = oauth_client(&s, &c.id, c.secret.as_deref().unwrap(), AuthType::BasicAuth)
            .exchange_password(
                &ResourceOwnerUsername::new("alice".into()),
                &ResourceOwnerPassword::new("correct horse battery".into()),
            )
            .add_scope(Scope::new("read".into()))
            .request_async(&s.http)
            .await
            .unwrap();
        assert!(
            token.refresh_token().is_none(),
            "refresh tokens belong to the code grant only"
        );
        let info = s.introspect(&c, token.access_token().secret()).await;
        assert_eq!(info["username"], "alice");
        assert_eq!(info["sub"], "alice");
        assert_eq!(info["client_id"], c.id.as_str());
    }
}

on_both_backends! {
    async fn token_response_is_not_cached_rfc6749_5_1() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let r = s
            .post_basic(&s.token_url(), &c, &[("grant_type", "client_credentials")])
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["pragma"], "no-cache");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600, "server default lifetime");
    }
}

on_both_backends! {
    async fn tokens_carry_256_random_bits_and_the_prefix() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let a = s.cc_token(&c, "read").await;
        let b = s.cc_token(&c, "read").await;
        assert_ne!(a, b);
        // Split token: 128-bit record id and 256 random bits, base64url.
        assert!(a.starts_with("fgat_") && a.len() == 5 + 64, "{a}");
    }
}

on_both_backends! {
    async fn never_expiring_client_tokens_have_no_expires_in() {
        let s = TestServer::start().await;
        let c = s.client(json!({ "access_token_lifetime": -1 })).await;
        let r = s
            .post_basic(&s.token_url(), &c, &[("grant_type", "client_credentials")])
            .await;
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body.get("expires_in").is_none(), "{body}");
        let info = s
            .introspect(&c, body["access_token"].as_str().unwrap())
            .await;
        assert_eq!(info["active"], true);
        assert!(info.get("exp").is_none());
    }
}

on_both_backends! {
    async fn missing_grant_type_is_invalid_request_rfc6749_5_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let r = s.post_basic(&s.token_url(), &c, &[("scope", "read")]).await;
        assert_oauth_error(r, 400, "invalid_request").await;
    }
}

on_both_backends! {
    async fn repeated_parameter_is_invalid_request_rfc6749_3_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let r = s
            .post_basic(
                &s.token_url(),
                &c,
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "read"),
                    ("scope", "write"),
                ],
            )
            .await;
        assert_oauth_error(r, 400, "invalid_request").await;
    }
}

on_both_backends! {
    async fn unknown_grant_type_is_unsupported_grant_type_rfc6749_5_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let r = s
            .post_basic(&s.token_url(), &c, &[("grant_type", "urn:example:nope")])
            .await;
        assert_oauth_error(r, 400, "unsupported_grant_type").await;
    }
}

on_both_backends! {
    async fn wrong_secret_with_basic_is_401_with_basic_challenge_rfc6749_5_2() {
        let s = TestServer::start().await;
        let mut c = s.client(json!({})).await;
        c.secret = Some("fgcs_wrong".into());
        let r = s
            .post_basic(&s.token_url(), &c, &[("grant_type", "client_credentials")])
            .await;
        let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.starts_with("Basic "), "{challenge}");
        assert_oauth_error(r, 401, "invalid_client").await;
    }
}

on_both_backends! {
    async fn wrong_secret_in_body_is_401_invalid_client_rfc6749_5_2() {
        let s = TestServer::start().await;
        let c = s
            .client(json!({ "token_endpoint_auth_method": "client_secret_post" }))
            .await;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", c.id.as_str()),
            ("client_secret", "fgcs_wrong"),
        ];
        let r = s.post_form(&s.token_url(), &form).await;
        assert!(r.headers().contains_key("www-authenticate"));
        assert_oauth_error(r, 401, "invalid_client").await;
    }
}

on_both_backends! {
    async fn unknown_or_injection_looking_client_is_invalid_client() {
        let s = TestServer::start().await;
        for id in [
            "no-such-client",
            "' OR 1=1 --",
            "x\"); DROP TABLE clients; --",
        ] {
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", "s"),
            ];
            let r = s.post_form(&s.token_url(), &form).await;
            assert_oauth_error(r, 401, "invalid_client").await;
        }
    }
}

on_both_backends! {
    async fn registered_auth_method_is_enforced() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await; // client_secret_basic
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", c.id.as_str()),
            ("client_secret", c.secret.as_deref().unwrap()),
        ];
        let r = s.post_form(&s.token_url(), &form).await;
        assert_oauth_error(r, 401, "invalid_client").await;
    }
}

on_both_backends! {
    async fn two_authentication_methods_is_invalid_request_rfc6749_2_3() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let secret = c.secret.clone().unwrap();
        let r = s
            .post_basic(
                &s.token_url(),
                &c,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_secret", secret.as_str()),
                ],
            )
            .await;
        assert_oauth_error(r, 400, "invalid_request").await;
    }
}

on_both_backends! {
    async fn client_secret_in_query_is_invalid_request_rfc6749_2_3_1() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let url = format!(
            "{}?client_secret={}",
            s.token_url(),
            c.secret.as_deref().unwrap()
        );
        let r = s
            .post_basic(&url, &c, &[("grant_type", "client_credentials")])
            .await;
        assert_oauth_error(r, 400, "invalid_request").await;
    }
}

on_both_backends! {
    async fn token_endpoint_accepts_post_only_rfc6749_3_2() {
        let s = TestServer::start().await;
        let r = s.http.get(s.token_url()).send().await.unwrap();
        assert_eq!(r.status(), 405);
    }
}

on_both_backends! {
    async fn unregistered_grant_is_unauthorized_client_rfc6749_5_2() {
        let s = TestServer::start().await;
        let c = s
            .client(json!({ "grant_types": ["authorization_code"] }))
            .await;
        let r = s
            .post_basic(&s.token_url(), &c, &[("grant_type", "client_credentials")])
            .await;
        assert_oauth_error(r, 400, "unauthorized_client").await;
        let r = s
            .post_basic(
                &s.token_url(),
                &c,
                &[
                    ("grant_type", "password"),
                    ("username", "u"),
                    ("password", "p"),
                ],
            )
            .await;
        assert_oauth_error(r, 400, "unauthorized_client").await;
    }
}

on_both_backends! {
    async fn scope_outside_the_clients_is_invalid_scope_rfc6749_5_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({ "scope": "read" })).await;
        let r = s
            .post_basic(
                &s.token_url(),
                &c,
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "read write"),
                ],
            )
            .await;
        assert_oauth_error(r, 400, "invalid_scope").await;
        let r = s
            .post_basic(
                &s.token_url(),
                &c,
                &[("grant_type", "client_credentials"), ("scope", "nope")],
            )
            .await;
        assert_oauth_error(r, 400, "invalid_scope").await;
    }
}

on_both_backends! {
    async fn wrong_or_unknown_resource_owner_is_invalid_grant_rfc6749_5_2() {
        let s = TestServer::start().await;
        s.user("bob", "the right password").await;
        let c = s.client(json!({ "grant_types": ["password"] })).await;
        for (u, p) in [
            ("bob", "the wrong password"),
            ("nobody", "whatever-password"),
        ] {
            let r = s
                .post_basic(
                    &s.token_url(),
                    &c,
                    &[("grant_type", "password"), ("username", u), ("password", p)],
                )
                .await;
            assert_oauth_error(r, 400, "invalid_grant").await;
        }
        let r = s
            .post_basic(
                &s.token_url(),
                &c,
                &[("grant_type", "password"), ("username", "bob")],
            )
            .await;
        assert_oauth_error(r, 400, "invalid_request").await;
    }
}

on_both_backends! {
    async fn deactivated_client_is_refused_at_once() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let token = s.cc_token(&c, "read").await;
        let input = serde_json::from_value(json!({ "active": false })).unwrap();
        s.app.update_client("test", &c.id, input).await.unwrap();
        let r = s
            .post_basic(&s.token_url(), &c, &[("grant_type", "client_credentials")])
            .await;
        assert_oauth_error(r, 401, "invalid_client").await;
        let other = s.client(json!({})).await;
        assert_eq!(s.introspect(&other, &token).await["active"], false);
    }
}

on_both_backends! {
    async fn old_secret_works_only_during_rotation_overlap() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let (_, new) = s
            .app
            .rotate_client_secret("test", &c.id, 3600)
            .await
            .unwrap();
        s.cc_token(&c, "read").await;
        let fresh = crate::support::TestClient {
            id: c.id.clone(),
            secret: Some(new.expose().into()),
        };
        s.cc_token(&fresh, "read").await;
        s.app.rotate_client_secret("test", &c.id, 0).await.unwrap();
        let r = s
            .post_basic(
                &s.token_url(),
                &fresh,
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_oauth_error(r, 401, "invalid_client").await;
    }
}

on_both_backends! {
    async fn malformed_bodies_get_rfc_errors_not_5xx() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let secret = c.secret.clone().unwrap();
        let send = |body: Vec<u8>, ctype: &'static str| {
            s.http
                .post(s.token_url())
                .basic_auth(&c.id, Some(&secret))
                .header("content-type", ctype)
                .body(body)
                .send()
        };
        let r = send(
            b"{\"grant_type\":\"client_credentials\"}".to_vec(),
            "application/json",
        )
        .await
        .unwrap();
        assert_oauth_error(r, 400, "invalid_request").await;
        let r = send(
            b"grant_type=client_credentials&x=\xff\xfe".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .await
        .unwrap();
        assert_oauth_error(r, 400, "invalid_request").await;
        let r = send(
            b"grant_type=client_credentials&unknown=1".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "unknown parameters are ignored");
        let big = format!(
            "grant_type=client_credentials&pad={}",
            "a".repeat(70 * 1024)
        );
        let r = send(big.into_bytes(), "application/x-www-form-urlencoded")
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
    }
}

on_both_backends! {
    async fn basic_works_for_every_confidential_client_rfc6749_2_3_1() {
        let s = TestServer::start().await;
        let c = s
            .client(json!({ "token_endpoint_auth_method": "client_secret_post" }))
            .await;
        s.cc_token(&c, "read").await;
        // The scheme name is case-insensitive (RFC 7235 §2.1).
        let basic = format!("{}:{}", c.id, c.secret.as_deref().unwrap());
        use base64::Engine;
        let header = format!(
            "bASIC {}",
            base64::engine::general_purpose::STANDARD.encode(basic)
        );
        let r = s
            .http
            .post(s.token_url())
            .header("authorization", header)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

on_both_backends! {
    async fn error_descriptions_keep_to_the_rfc_character_set_rfc6749_5_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let r = s
            .post_basic(
                &s.token_url(),
                &c,
                &[("grant_type", "client_credentials"), ("scope", "nope\"x\\")],
            )
            .await;
        let body = assert_oauth_error(r, 400, "invalid_scope").await;
        let d = body["error_description"].as_str().unwrap();
        assert!(
            d.chars()
                .all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\'),
            "{d}"
        );
    }
}

on_both_backends! {
    async fn reactivating_a_client_does_not_revive_its_tokens() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let token = s.cc_token(&c, "read").await;
        for active in [false, true] {
            let input = serde_json::from_value(json!({ "active": active })).unwrap();
            s.app.update_client("test", &c.id, input).await.unwrap();
        }
        assert_eq!(s.introspect(&c, &token).await["active"], false);
        let fresh = s.cc_token(&c, "read").await;
        assert_eq!(s.introspect(&c, &fresh).await["active"], true);
    }
}
