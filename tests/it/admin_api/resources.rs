//! Clients (with secret rotation), scopes and users: create, read, list,
//! update, delete, and pagination.

use super::{ADMIN, API, Auth, assert_problem, call, ids, request};
use crate::support::on_both_backends;
use crate::support::{TestClient, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends! {
    async fn clients_crud_and_the_secret_is_shown_once() {
        let s = TestServer::start().await;
        let body = json!({ "client_name": "Billing", "redirect_uris": ["https://app.example.com/cb"], "scope": "read" });
        let r = request(&s, Method::POST, "/clients", &ADMIN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = r.json().await.unwrap();
        let id = created["client_id"].as_str().unwrap().to_owned();
        assert_eq!(location, format!("{API}/clients/{id}"));
        assert!(
            created["client_secret"]
                .as_str()
                .unwrap()
                .starts_with("fgcs_")
        );
        assert_eq!(created["client_type"], "confidential");
        assert_eq!(created["grant_types"], json!(["authorization_code"]));

        let (status, got) = call(&s, Method::GET, &format!("/clients/{id}"), None).await;
        assert_eq!(status, 200);
        assert!(got.get("client_secret").is_none(), "{got}");
        assert_eq!(got["client_name"], "Billing");
        let (_, list) = call(&s, Method::GET, "/clients", None).await;
        assert!(ids(&list, "client_id").contains(&id));
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c.get("client_secret").is_none())
        );

        let patch = json!({ "description": "Invoices", "active": false });
        let (status, changed) = call(&s, Method::PATCH, &format!("/clients/{id}"), Some(patch)).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(
            (&changed["description"], &changed["active"]),
            (&json!("Invoices"), &json!(false))
        );
        assert_eq!(changed["client_name"], "Billing", "unchanged fields stay");

        let public = json!({ "client_name": "Mobile", "token_endpoint_auth_method": "none", "redirect_uris": ["com.example.app:/cb"] });
        let (status, p) = call(&s, Method::POST, "/clients", Some(public)).await;
        assert_eq!(status, 201, "{p}");
        assert_eq!(p["client_type"], "public");
        assert!(p.get("client_secret").is_none());

        let (status, _) = call(&s, Method::DELETE, &format!("/clients/{id}"), None).await;
        assert_eq!(status, 204);
        let r = request(&s, Method::GET, &format!("/clients/{id}"), &ADMIN)
            .send()
            .await
            .unwrap();
        assert_problem(r, 404).await;
    }
}

on_both_backends! {
    async fn secret_rotation_keeps_the_old_secret_for_the_overlap() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let path = format!("/clients/{}/secret", c.id);
        let (status, rotated) = call(
            &s,
            Method::POST,
            &path,
            Some(json!({ "overlap_seconds": 600 })),
        )
        .await;
        assert_eq!(status, 200, "{rotated}");
        let second = rotated["client_secret"].as_str().unwrap().to_owned();
        assert_ne!(Some(second.clone()), c.secret);
        let old = c.clone();
        let new = TestClient {
            secret: Some(second),
            ..c.clone()
        };
        s.cc_token(&old, "read").await;
        s.cc_token(&new, "read").await;

        // No body: no overlap, the second secret stops at once.
        let r = request(&s, Method::POST, &path, &ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store");
        let third: Value = r.json().await.unwrap();
        let newest = TestClient {
            secret: third["client_secret"].as_str().map(str::to_owned),
            ..c.clone()
        };
        s.cc_token(&newest, "read").await;
        let r = s
            .post_basic(
                &s.token_url(),
                &new,
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(r.status(), 401);
        let (_, got) = call(&s, Method::GET, &format!("/clients/{}", c.id), None).await;
        assert!(got.get("client_secret").is_none());

        let r = request(&s, Method::POST, &path, &ADMIN)
            .json(&json!({ "overlap_seconds": -5 }))
            .send()
            .await
            .unwrap();
        assert_eq!(assert_problem(r, 422).await["field"], "overlap_seconds");
    }
}

on_both_backends! {
    async fn scopes_crud() {
        let s = TestServer::start().await;
        let service =
            json!({ "path": "orders/list", "kind": "rest", "upstream_url": "http://127.0.0.1:9/" });
        assert_eq!(
            call(&s, Method::POST, "/services", Some(service)).await.0,
            201
        );
        let scope =
            json!({ "name": "orders.read", "description": "Read orders", "services": ["orders"] });
        let (status, created) = call(&s, Method::POST, "/scopes", Some(scope.clone())).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["services"], json!(["orders"]));
        let (status, _) = call(&s, Method::POST, "/scopes", Some(scope)).await;
        assert_eq!(status, 409);
        let (status, got) = call(&s, Method::GET, "/scopes/orders.read", None).await;
        assert_eq!((status, &got["description"]), (200, &json!("Read orders")));
        let (_, list) = call(&s, Method::GET, "/scopes?limit=2&offset=1", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        assert_eq!((&list["limit"], &list["offset"]), (&json!(2), &json!(1)));
        let patch = json!({ "description": "Read all orders" });
        let (status, changed) = call(&s, Method::PATCH, "/scopes/orders.read", Some(patch)).await;
        assert_eq!((status, &changed["services"]), (200, &json!(["orders"])));
        let (status, _) = call(&s, Method::DELETE, "/scopes/orders.read", None).await;
        assert_eq!(status, 204);
        let (status, _) = call(&s, Method::GET, "/scopes/orders.read", None).await;
        assert_eq!(status, 404);
        let r = request(&s, Method::DELETE, "/scopes/admin", &ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(assert_problem(r, 422).await["field"], "name");
    }
}

on_both_backends! {
    async fn users_crud_never_returns_the_password() {
        let s = TestServer::start().await;
        let user = json!({ "username": "carol", "password": "carol's password" });
        let (status, created) = call(&s, Method::POST, "/users", Some(user)).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["admin"], false);
        let (_, got) = call(&s, Method::GET, "/users/carol", None).await;
        let (_, list) = call(&s, Method::GET, "/users", None).await;
        for v in [&created, &got, &list] {
            assert!(!v.to_string().contains("password"), "{v}");
        }
        assert_eq!(ids(&list, "username"), ["admin", "carol"]);
        let carol = Auth::Basic("carol", "a new password");
        let patch = json!({ "password": "a new password", "admin": true });
        let (status, _) = call(&s, Method::PATCH, "/users/carol", Some(patch)).await;
        assert_eq!(status, 200);
        let r = request(&s, Method::GET, "/users", &carol)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "carol is an administrator now");
        let r = request(&s, Method::POST, "/users", &ADMIN)
            .json(&json!({ "username": "zoë", "password": "zoë's password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["location"], format!("{API}/users/zo%C3%AB"));
        let (status, _) = call(&s, Method::GET, "/users/zo%C3%AB", None).await;
        assert_eq!(status, 200);
        let (status, _) = call(&s, Method::DELETE, "/users/carol", None).await;
        assert_eq!(status, 204);
        let r = request(&s, Method::DELETE, "/users/admin", &ADMIN)
            .send()
            .await
            .unwrap();
        assert_problem(r, 409).await;
        let r = request(&s, Method::POST, "/users", &ADMIN)
            .json(&json!({ "username": "dan", "password": "short" }))
            .send()
            .await
            .unwrap();
        assert_eq!(assert_problem(r, 422).await["field"], "password");
    }
}

on_both_backends! {
    async fn lists_paginate() {
        let s = TestServer::start().await;
        for name in ["u1", "u2", "u3"] {
            s.user(name, "a long enough password").await;
        }
        let (_, first) = call(&s, Method::GET, "/users?limit=2", None).await;
        let (_, second) = call(&s, Method::GET, "/users?limit=2&offset=2", None).await;
        assert_eq!(ids(&first, "username"), ["admin", "u1"]);
        assert_eq!(ids(&second, "username"), ["u2", "u3"]);
        let (_, all) = call(&s, Method::GET, "/users", None).await;
        assert_eq!((&all["limit"], &all["offset"]), (&json!(100), &json!(0)));
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=abc", "limit"),
            ("limit=", "limit"),
            ("offset=-1", "offset"),
        ] {
            let r = request(&s, Method::GET, &format!("/users?{query}"), &ADMIN)
                .send()
                .await
                .unwrap();
            assert_eq!(assert_problem(r, 422).await["field"], field, "{query}");
        }
    }
}
