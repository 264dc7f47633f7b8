//! Token records, "Add New Token", revocation, and the audit log.

use super::{ADMIN, assert_problem, call, ids, request};
use crate::support::TestServer;
use crate::support::on_both_backends;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends! {
    async fn token_lists_filter_by_client_user_and_state() {
        let s = TestServer::start().await;
        s.user("bob", "bob's password").await;
        let a = s
            .client(json!({ "grant_types": ["client_credentials", "password"] }))
            .await;
        let b = s.client(json!({})).await;
        s.cc_token(&a, "read").await;
        s.cc_token(&b, "read").await;
        let form = [
            ("grant_type", "password"),
            ("username", "bob"),
            ("password", "bob's password"),
        ];
        assert_eq!(s.post_basic(&s.token_url(), &a, &form).await.status(), 200);
        let (_, short) = call(
            &s,
            Method::POST,
            "/tokens",
            Some(json!({ "client_id": b.id, "expires_in": 1 })),
        )
        .await;
        let (_, revoked) = call(
            &s,
            Method::POST,
            "/tokens",
            Some(json!({ "client_id": a.id })),
        )
        .await;
        let revoked = revoked["id"].as_str().unwrap().to_owned();
        let (status, _) = call(&s, Method::DELETE, &format!("/tokens/{revoked}"), None).await;
        assert_eq!(status, 204);
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

        let list = async |query: &str| {
            call(&s, Method::GET, &format!("/tokens?{query}"), None)
                .await
                .1
        };
        let of_a = list(&format!("client_id={}", a.id)).await;
        assert_eq!(of_a["items"].as_array().unwrap().len(), 3);
        assert!(
            of_a["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["client_id"] == a.id.as_str())
        );
        assert!(
            !of_a.to_string().contains("fgat_"),
            "records never hold the token"
        );
        let of_bob = list("username=bob").await;
        assert_eq!(of_bob["items"].as_array().unwrap().len(), 1);
        assert_eq!(of_bob["items"][0]["grant_type"], "password");
        assert_eq!(
            ids(&list("state=expired").await, "id"),
            [short["id"].as_str().unwrap()]
        );
        assert_eq!(ids(&list("state=revoked").await, "id"), [revoked.as_str()]);
        let active = list("state=active").await;
        assert_eq!(active["items"].as_array().unwrap().len(), 3);
        assert!(
            active["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["state"] == "active")
        );
        assert_eq!(
            list("limit=1&offset=1").await["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        for query in ["state=lost", "state="] {
            let r = request(&s, Method::GET, &format!("/tokens?{query}"), &ADMIN)
                .send()
                .await
                .unwrap();
            assert_eq!(assert_problem(r, 422).await["field"], "state", "{query}");
        }
    }
}

on_both_backends! {
    async fn add_new_token_works_and_delete_revokes_it_at_once() {
        let s = TestServer::start().await;
        let c = s.client(json!({ "access_token_lifetime": 600 })).await;
        let mint = json!({ "client_id": c.id, "scope": "read write", "expires_in": 120 });
        let r = request(&s, Method::POST, "/tokens", &ADMIN)
            .json(&mint)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let minted: Value = r.json().await.unwrap();
        assert_eq!(
            (&minted["token_type"], &minted["expires_in"]),
            (&json!("Bearer"), &json!(120))
        );
        assert_eq!(minted["scope"], "read write");
        let token = minted["access_token"].as_str().unwrap();
        let id = minted["id"].as_str().unwrap();
        let info = s.introspect(&c, token).await;
        assert_eq!(
            (&info["active"], &info["scope"]),
            (&json!(true), &json!("read write"))
        );
        let (status, record) = call(&s, Method::GET, &format!("/tokens/{id}"), None).await;
        assert_eq!((status, &record["state"]), (200, &json!("active")));
        assert!(record.get("access_token").is_none());

        let (status, _) = call(&s, Method::DELETE, &format!("/tokens/{id}"), None).await;
        assert_eq!(status, 204);
        assert_eq!(s.introspect(&c, token).await["active"], false);
        let (status, _) = call(&s, Method::DELETE, &format!("/tokens/{id}"), None).await;
        assert_eq!(status, 204, "revoking twice succeeds");
        let (_, record) = call(&s, Method::GET, &format!("/tokens/{id}"), None).await;
        assert_eq!(record["state"], "revoked");

        let (status, never) = call(
            &s,
            Method::POST,
            "/tokens",
            Some(json!({ "client_id": c.id, "expires_in": -1 })),
        )
        .await;
        assert_eq!(status, 201);
        assert!(never.get("expires_in").is_none(), "{never}");
        assert_eq!(
            never["scope"], "profile read write",
            "default: every scope the client may request"
        );
        for (body, field) in [
            (json!({ "client_id": "nope" }), "client_id"),
            (json!({ "client_id": c.id, "scope": "admin" }), "scope"),
            (json!({ "client_id": c.id, "expires_in": 0 }), "expires_in"),
            (json!({ "scope": "read" }), "client_id"),
        ] {
            let r = request(&s, Method::POST, "/tokens", &ADMIN)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(assert_problem(r, 422).await["field"], field, "{body}");
        }
        let r = request(&s, Method::GET, "/tokens/not-a-uuid", &ADMIN)
            .send()
            .await
            .unwrap();
        assert_problem(r, 404).await;
    }
}

on_both_backends! {
    async fn audit_log_lists_and_filters_without_secrets() {
        let s = TestServer::start().await;
        let body =
            json!({ "client_name": "Audited", "grant_types": ["client_credentials"], "scope": "read" });
        let (_, client) = call(&s, Method::POST, "/clients", Some(body)).await;
        let id = client["client_id"].as_str().unwrap();
        let (_, rotated) = call(&s, Method::POST, &format!("/clients/{id}/secret"), None).await;
        let (_, minted) = call(
            &s,
            Method::POST,
            "/tokens",
            Some(json!({ "client_id": id })),
        )
        .await;

        let (status, created) = call(&s, Method::GET, "/audit?action=client.create", None).await;
        assert_eq!(status, 200);
        let event = &created["items"][0];
        assert_eq!(
            (&event["actor"], &event["target"]),
            (&json!("admin:admin"), &json!(id))
        );
        assert_eq!(event["outcome"], "success");
        let (_, about) = call(&s, Method::GET, &format!("/audit?target={id}"), None).await;
        let actions: Vec<_> = about["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].clone())
            .collect();
        assert_eq!(
            actions,
            [json!("client.rotate_secret"), json!("client.create")],
            "newest first"
        );
        let (_, by_admin) = call(&s, Method::GET, "/audit?actor=admin:admin&limit=2", None).await;
        assert_eq!(by_admin["items"].as_array().unwrap().len(), 2);
        assert_eq!(by_admin["items"][0]["action"], "token.mint");

        let (_, all) = call(&s, Method::GET, "/audit?limit=1000", None).await;
        let all = all.to_string();
        for secret in [
            &client["client_secret"],
            &rotated["client_secret"],
            &minted["access_token"],
        ] {
            assert!(
                !all.contains(secret.as_str().unwrap()),
                "a secret reached the audit log"
            );
        }
        assert!(!all.contains("fgcs_") && !all.contains("fgat_"));
    }
}
