//! Token introspection (RFC 7662) and revocation (RFC 7009).

use crate::support::on_both_backends;
use crate::support::{TestServer, assert_oauth_error};
use oauth2::basic::BasicClient;
use oauth2::{AccessToken, ClientId, ClientSecret, IntrospectionUrl, TokenIntrospectionResponse};
use serde_json::json;

on_both_backends! {
    async fn introspection_with_oauth2_crate_rfc7662_2_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let token = s.cc_token(&c, "read write").await;
        let rs = BasicClient::new(ClientId::new(c.id.clone()))
            .set_client_secret(ClientSecret::new(c.secret.clone().unwrap()))
            .set_introspection_url(IntrospectionUrl::new(s.introspect_url()).unwrap());
        let info = rs
            .introspect(&AccessToken::new(token))
            .request_async(&s.http)
            .await
            .unwrap();
        assert!(info.active());
        assert_eq!(info.client_id().unwrap().as_str(), c.id);
        let mut scopes: Vec<_> = info
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        scopes.sort();
        assert_eq!(scopes, ["read", "write"]);
    }
}

on_both_backends! {
    async fn active_token_fields_rfc7662_2_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({ "access_token_lifetime": 600 })).await;
        let before = flowgate::domain::now();
        let token = s.cc_token(&c, "read").await;
        let info = s.introspect(&c, &token).await;
        assert_eq!(info["active"], true);
        assert_eq!(info["scope"], "read");
        assert_eq!(info["client_id"], c.id.as_str());
        assert_eq!(info["token_type"], "Bearer");
        assert_eq!(info["iss"], s.base.as_str());
        let exp = info["exp"].as_i64().unwrap();
        assert!((before + 600..=before + 602).contains(&exp), "{exp}");
    }
}

on_both_backends! {
    async fn unknown_and_malformed_tokens_are_inactive_rfc7662_2_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let long = "x".repeat(2000);
        for t in [
            "garbage",
            "fgat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "fgrt_BBBB",
            long.as_str(),
        ] {
            let info = s.introspect(&c, t).await;
            assert_eq!(info, json!({ "active": false }));
        }
    }
}

on_both_backends! {
    async fn token_type_hint_does_not_hide_a_token_rfc7662_2_1() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let token = s.cc_token(&c, "read").await;
        let r = s
            .post_basic(
                &s.introspect_url(),
                &c,
                &[
                    ("token", token.as_str()),
                    ("token_type_hint", "refresh_token"),
                ],
            )
            .await;
        let info: serde_json::Value = r.json().await.unwrap();
        assert_eq!(info["active"], true);
    }
}

on_both_backends! {
    async fn introspection_requires_client_authentication_rfc7662_2_1() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let token = s.cc_token(&c, "read").await;
        let r = s
            .post_form(&s.introspect_url(), &[("token", token.as_str())])
            .await;
        assert_oauth_error(r, 401, "invalid_client").await;
        let mut wrong = c.clone();
        wrong.secret = Some("fgcs_wrong".into());
        let r = s
            .post_basic(&s.introspect_url(), &wrong, &[("token", token.as_str())])
            .await;
        assert_oauth_error(r, 401, "invalid_client").await;
    }
}

on_both_backends! {
    async fn public_clients_may_not_introspect() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let public = s
            .client(
                json!({ "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"] }),
            )
            .await;
        let token = s.cc_token(&c, "read").await;
        let r = s
            .post_form(
                &s.introspect_url(),
                &[("token", token.as_str()), ("client_id", public.id.as_str())],
            )
            .await;
        assert_oauth_error(r, 401, "invalid_client").await;
    }
}

on_both_backends! {
    async fn missing_token_is_invalid_request() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let r = s.post_basic(&s.introspect_url(), &c, &[]).await;
        assert_oauth_error(r, 400, "invalid_request").await;
        let r = s.post_basic(&s.revoke_url(), &c, &[]).await;
        assert_oauth_error(r, 400, "invalid_request").await;
    }
}

on_both_backends! {
    async fn expired_token_is_inactive() {
        let s = TestServer::start().await;
        // Long enough to be seen active on a loaded machine.
        let c = s.client(json!({ "access_token_lifetime": 3 })).await;
        let token = s.cc_token(&c, "read").await;
        assert_eq!(s.introspect(&c, &token).await["active"], true);
        tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
        assert_eq!(s.introspect(&c, &token).await["active"], false);
    }
}

on_both_backends! {
    async fn revoked_token_is_inactive_at_once_rfc7009_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let token = s.cc_token(&c, "read").await;
        assert_eq!(s.introspect(&c, &token).await["active"], true, "now cached");
        let r = s
            .post_basic(
                &s.revoke_url(),
                &c,
                &[
                    ("token", token.as_str()),
                    ("token_type_hint", "access_token"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(s.introspect(&c, &token).await["active"], false);
        let r = s
            .post_basic(&s.revoke_url(), &c, &[("token", token.as_str())])
            .await;
        assert_eq!(r.status(), 200, "revocation is idempotent");
    }
}

on_both_backends! {
    async fn unknown_token_revocation_is_200_rfc7009_2_2() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let r = s
            .post_basic(&s.revoke_url(), &c, &[("token", "fgat_unknown")])
            .await;
        assert_eq!(r.status(), 200);
    }
}

on_both_backends! {
    async fn client_may_revoke_only_its_own_tokens_rfc7009_2_1() {
        let s = TestServer::start().await;
        let owner = s.client(json!({})).await;
        let other = s.client(json!({})).await;
        let token = s.cc_token(&owner, "read").await;
        let r = s
            .post_basic(&s.revoke_url(), &other, &[("token", token.as_str())])
            .await;
        assert_oauth_error(r, 400, "unauthorized_client").await;
        assert_eq!(s.introspect(&owner, &token).await["active"], true);
    }
}

on_both_backends! {
    async fn revocation_requires_client_authentication_rfc7009_2_1() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let token = s.cc_token(&c, "read").await;
        let r = s
            .post_form(&s.revoke_url(), &[("token", token.as_str())])
            .await;
        assert_oauth_error(r, 401, "invalid_client").await;
        assert_eq!(s.introspect(&c, &token).await["active"], true);
    }
}

on_both_backends! {
    async fn deleting_a_client_or_user_ends_their_tokens_at_once() {
        let s = TestServer::start().await;
        let rs = s.client(json!({})).await;
        let c = s
            .client(json!({ "grant_types": ["client_credentials", "password"] }))
            .await;
        s.user("carol", "carol's password").await;
        let form = [
            ("grant_type", "password"),
            ("username", "carol"),
            ("password", "carol's password"),
        ];
        let r = s.post_basic(&s.token_url(), &c, &form).await;
        let user_token = r.json::<serde_json::Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let client_token = s.cc_token(&c, "read").await;
        assert_eq!(s.introspect(&rs, &user_token).await["active"], true);
        s.app.delete_user("test", "carol").await.unwrap();
        assert_eq!(s.introspect(&rs, &user_token).await["active"], false);
        assert_eq!(s.introspect(&rs, &client_token).await["active"], true);
        s.app.delete_client("test", &c.id).await.unwrap();
        assert_eq!(s.introspect(&rs, &client_token).await["active"], false);
    }
}
