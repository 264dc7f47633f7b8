//! Services: REST and flow services by path, validation naming the field,
//! and scopes that must name registered services or folders.

use super::{ADMIN, API, Auth, assert_problem, call, ids, request};
use crate::support::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

fn rest(path: &str) -> Value {
    json!({ "path": path, "kind": "rest", "upstream_url": "http://127.0.0.1:9/orders" })
}

async fn problem(s: &TestServer, method: Method, path: &str, body: Value, status: u16) -> Value {
    let r = request(s, method, path, &ADMIN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(r, status).await
}

#[tokio::test]
async fn rest_services_crud_by_path() {
    let s = TestServer::start().await;
    let mut body = rest("orders/createOrder");
    body["description"] = json!("Create an order");
    body["timeout_ms"] = json!(5000);
    let r = request(&s, Method::POST, "/services", &ADMIN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"],
        format!("{API}/services/orders/createOrder")
    );
    let created: Value = r.json().await.unwrap();
    assert_eq!(
        (&created["kind"], &created["timeout_ms"]),
        (&json!("rest"), &json!(5000))
    );
    assert!(created.get("definition").is_none(), "{created}");

    let (status, got) = call(&s, Method::GET, "/services/orders/createOrder", None).await;
    assert_eq!((status, &got["upstream_url"]), (200, &body["upstream_url"]));
    assert_eq!(
        call(&s, Method::POST, "/services", Some(body)).await.0,
        409,
        "the path is taken"
    );
    call(&s, Method::POST, "/services", Some(rest("billing/pay"))).await;
    let (_, list) = call(&s, Method::GET, "/services?limit=1&offset=1", None).await;
    assert_eq!(ids(&list, "path"), ["orders/createOrder"]);

    let patch = json!({ "upstream_url": "https://orders.example.com/v2", "timeout_ms": null });
    let (status, changed) = call(
        &s,
        Method::PATCH,
        "/services/orders/createOrder",
        Some(patch),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["upstream_url"], "https://orders.example.com/v2");
    assert!(
        changed.get("timeout_ms").is_none(),
        "null restores the default"
    );
    assert_eq!(
        changed["description"], "Create an order",
        "unchanged fields stay"
    );

    let (_, audit) = call(
        &s,
        Method::GET,
        "/audit?action=service.update&target=orders/createOrder",
        None,
    )
    .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");

    let (status, _) = call(&s, Method::DELETE, "/services/orders/createOrder", None).await;
    assert_eq!(status, 204);
    let r = request(&s, Method::GET, "/services/orders/createOrder", &ADMIN)
        .send()
        .await
        .unwrap();
    assert_problem(r, 404).await;
    let (status, _) = call(&s, Method::DELETE, "/services/orders/createOrder", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn flow_services_and_changing_the_kind() {
    let s = TestServer::start().await;
    let definition = json!({ "steps": [{ "type": "map", "set": { "ok": true } }] });
    let body = json!({ "path": "orders/quote", "kind": "flow", "definition": definition });
    let (status, created) = call(&s, Method::POST, "/services", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["definition"], definition);
    assert!(created.get("upstream_url").is_none());

    let p = problem(
        &s,
        Method::PATCH,
        "/services/orders/quote",
        json!({ "kind": "rest" }),
        422,
    )
    .await;
    assert_eq!(p["field"], "upstream_url", "a new kind needs its fields");
    let p = problem(
        &s,
        Method::PATCH,
        "/services/orders/quote",
        json!({ "upstream_url": "http://x.example" }),
        422,
    )
    .await;
    assert_eq!(
        (&p["field"], &p["rule"]),
        (
            &json!("upstream_url"),
            &json!("only a rest service has upstream_url")
        )
    );
    let to_rest = json!({ "kind": "rest", "upstream_url": "http://x.example/quote" });
    let (status, changed) = call(&s, Method::PATCH, "/services/orders/quote", Some(to_rest)).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["kind"], "rest");
    assert!(changed.get("definition").is_none(), "{changed}");
    let p = problem(
        &s,
        Method::PATCH,
        "/services/orders/quote",
        json!({ "path": "orders/other" }),
        422,
    )
    .await;
    assert_eq!(p["field"], "path");
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let s = TestServer::start().await;
    let cases = [
        (
            json!({ "kind": "rest", "upstream_url": "http://x.example" }),
            "path",
        ),
        (
            json!({ "path": "a/../b", "kind": "rest", "upstream_url": "http://x.example" }),
            "path",
        ),
        (
            json!({ "path": "a/b", "upstream_url": "http://x.example" }),
            "kind",
        ),
        (json!({ "path": "a/b", "kind": "soap" }), "kind"),
        (json!({ "path": "a/b", "kind": "rest" }), "upstream_url"),
        (
            json!({ "path": "a/b", "kind": "rest", "upstream_url": "not a url" }),
            "upstream_url",
        ),
        (
            json!({ "path": "a/b", "kind": "rest", "upstream_url": "ftp://x.example" }),
            "upstream_url",
        ),
        (
            json!({ "path": "a/b", "kind": "rest", "upstream_url": "http://x.example", "timeout_ms": 0 }),
            "timeout_ms",
        ),
        (json!({ "path": "a/b", "kind": "flow" }), "definition"),
        (
            json!({ "path": "a/b", "kind": "flow", "definition": [] }),
            "definition",
        ),
        (
            json!({ "path": "a/b", "kind": "flow", "definition": { "steps": [] }, "colour": 1 }),
            "colour",
        ),
    ];
    for (body, field) in cases {
        let p = problem(&s, Method::POST, "/services", body.clone(), 422).await;
        if field == "colour" {
            assert!(p["detail"].as_str().unwrap().contains("colour"), "{p}");
        } else {
            assert_eq!(p["field"], field, "{body}: {p}");
        }
    }
    let body = json!({ "path": "a/b", "kind": "flow", "definition": { "steps": [
        { "type": "map", "set": { "x": 1 } },
        { "type": "teleport" },
    ] } });
    let p = problem(&s, Method::POST, "/services", body, 422).await;
    assert_eq!(p["field"], "definition", "{p}");
    let rule = p["rule"].as_str().unwrap();
    assert!(
        rule.contains("steps[1]") && rule.contains("teleport"),
        "{rule}"
    );
    let (_, list) = call(&s, Method::GET, "/services", None).await;
    assert!(ids(&list, "path").is_empty(), "nothing was registered");
}

#[tokio::test]
async fn scopes_must_name_registered_services_or_folders() {
    let s = TestServer::start().await;
    call(
        &s,
        Method::POST,
        "/services",
        Some(rest("orders/eu/create")),
    )
    .await;
    for entry in ["orders", "orders/eu", "orders/eu/create"] {
        let scope =
            json!({ "name": format!("s-{}", entry.replace('/', "-")), "services": [entry] });
        let (status, body) = call(&s, Method::POST, "/scopes", Some(scope)).await;
        assert_eq!(status, 201, "{entry}: {body}");
    }
    for entry in ["order", "orders/eu/create/more", "billing"] {
        let scope = json!({ "name": "bad", "services": ["orders", entry] });
        let p = problem(&s, Method::POST, "/scopes", scope, 422).await;
        assert_eq!(p["field"], "services");
        assert_eq!(
            p["rule"],
            format!("no service or folder \"{entry}\" is registered")
        );
    }
    let p = problem(
        &s,
        Method::PATCH,
        "/scopes/s-orders",
        json!({ "services": ["orders", "billing"] }),
        422,
    )
    .await;
    assert_eq!(p["field"], "services");

    // Deleting the service leaves the scope naming it; it can still be edited.
    let (status, _) = call(&s, Method::DELETE, "/services/orders/eu/create", None).await;
    assert_eq!(status, 204);
    let (_, scope) = call(&s, Method::GET, "/scopes/s-orders-eu-create", None).await;
    assert_eq!(scope["services"], json!(["orders/eu/create"]));
    let patch = json!({ "description": "still here" });
    let (status, _) = call(&s, Method::PATCH, "/scopes/s-orders-eu-create", Some(patch)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn services_need_an_administrator() {
    let s = TestServer::start().await;
    s.user("eve", "eve's password").await;
    for (method, path) in [
        (Method::GET, "/services"),
        (Method::POST, "/services"),
        (Method::GET, "/services/orders/create"),
        (Method::PATCH, "/services/orders/create"),
        (Method::DELETE, "/services/orders/create"),
    ] {
        let r = request(&s, method.clone(), path, &Auth::None)
            .json(&rest("orders/create"))
            .send()
            .await
            .unwrap();
        assert_problem(r, 401).await;
        let r = request(
            &s,
            method.clone(),
            path,
            &Auth::Basic("eve", "eve's password"),
        )
        .json(&rest("orders/create"))
        .send()
        .await
        .unwrap();
        assert_problem(r, 403).await;
    }
    let (_, list) = call(&s, Method::GET, "/services", None).await;
    assert!(ids(&list, "path").is_empty());
}
