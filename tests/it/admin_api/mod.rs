//! The admin API (DESIGN §6) over HTTP: every resource, every way to
//! authenticate, problem details, the audit log, and the OpenAPI document.

mod resources;
mod services;
mod tokens;

use crate::support::{ADMIN_PASSWORD, TestServer};
use flowgate::web::admin_api::ROUTES;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const API: &str = "/admin/api/v1";

/// How a request authenticates.
enum Auth<'a> {
    None,
    Basic(&'a str, &'a str),
    Bearer(&'a str),
}

fn request(s: &TestServer, method: Method, path: &str, auth: &Auth) -> RequestBuilder {
    let r = s.http.request(method, s.url(&format!("{API}{path}")));
    match auth {
        Auth::None => r,
        Auth::Basic(u, p) => r.basic_auth(u, Some(p)),
        Auth::Bearer(t) => r.bearer_auth(t),
    }
}

const ADMIN: Auth = Auth::Basic("admin", ADMIN_PASSWORD);

/// Sends as the administrator; returns the status and the JSON body
/// (`null` when empty).
async fn call(s: &TestServer, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = request(s, method, path, &ADMIN);
    if let Some(b) = body {
        r = r.json(&b);
    }
    json_of(r.send().await.unwrap()).await
}

async fn json_of(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}

/// Asserts RFC 9457 problem details with `status` and returns the body.
async fn assert_problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn validation_errors_are_problem_details_naming_the_field() {
    let s = TestServer::start().await;
    let post = async |body: &str, ct: &str| {
        request(&s, Method::POST, "/clients", &ADMIN)
            .header("content-type", ct)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    };
    let json = "application/json";
    let p = assert_problem(post(r#"{"client_name": "a:b"}"#, json).await, 422).await;
    assert_eq!(p["field"], "client_name");
    assert!(p["rule"].as_str().unwrap().contains("':'"), "{p}");
    let p = assert_problem(
        post(r#"{"client_name": "x", "active": "yes"}"#, json).await,
        422,
    )
    .await;
    assert_eq!(p["field"], "active");
    let p = assert_problem(post(r#"{"client_version": "2"}"#, json).await, 422).await;
    assert_eq!(
        (&p["field"], &p["rule"]),
        (&json!("client_name"), &json!("is required"))
    );
    let p = assert_problem(
        post(r#"{"client_name": "x", "colour": 1}"#, json).await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("colour"));
    let body = r#"{"client_name": "x", "grant_types": ["client_credentials"], "scope": "nope"}"#;
    assert_eq!(
        assert_problem(post(body, json).await, 422).await["field"],
        "scope"
    );
    let body = r#"{"client_name": "x", "redirect_uris": ["http://example.com/cb"]}"#;
    assert_eq!(
        assert_problem(post(body, json).await, 422).await["field"],
        "redirect_uris"
    );
    assert_problem(post("{", json).await, 400).await;
    assert_problem(post(r#"{"client_name": "x"}"#, "text/plain").await, 415).await;
}

#[tokio::test]
async fn every_route_needs_credentials_and_each_auth_path_answers_right() {
    let s = TestServer::start().await;
    for (method, path) in ROUTES.iter().filter(|(_, p)| !p.ends_with("/openapi.json")) {
        let path = path
            .replace("{id}", "x")
            .replace("{name}", "x")
            .replace("{username}", "x")
            .replace("{path}", "x/y");
        let r = s
            .http
            .request(method.parse().unwrap(), s.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic ")
        );
        assert_problem(r, 401).await;
    }
    let operator = s.client(json!({ "scope": "admin read" })).await;
    let admin_token = s.cc_token(&operator, "admin").await;
    // Non-administrators (403): security::tokens.
    let cases = [
        (Auth::Basic("admin", "wrong password"), 401, Some("Basic")),
        (Auth::Basic("nobody", "whatever"), 401, Some("Basic")),
        (Auth::Bearer("fgat_not_a_token"), 401, Some("Bearer")),
    ];
    for (auth, status, challenge) in &cases {
        let r = request(&s, Method::GET, "/clients", auth)
            .send()
            .await
            .unwrap();
        let got = r
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let scheme = got.as_deref().and_then(|c| c.split(' ').next());
        assert_eq!(scheme, *challenge, "{status}");
        assert_problem(r, *status).await;
    }
    let r = request(&s, Method::GET, "/clients", &Auth::None)
        .header("authorization", "Digest abc")
        .send()
        .await
        .unwrap();
    assert_problem(r, 401).await;

    let bearer = Auth::Bearer(&admin_token);
    let r = request(&s, Method::GET, "/clients", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = request(&s, Method::POST, "/scopes", &bearer)
        .json(&json!({ "name": "by-token" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (_, audit) = call(
        &s,
        Method::GET,
        "/audit?action=scope.create&target=by-token",
        None,
    )
    .await;
    assert_eq!(
        audit["items"][0]["actor"],
        format!("client:{}", operator.id)
    );
}

#[tokio::test]
async fn a_users_bearer_token_is_worth_what_the_user_now_is() {
    let s = TestServer::start().await;
    let ops = json!({ "username": "ops", "password": "ops password", "admin": true });
    assert_eq!(call(&s, Method::POST, "/users", Some(ops)).await.0, 201);
    let c = s
        .client(json!({ "grant_types": ["password"], "scope": "admin read" }))
        .await;
    let form = [
        ("grant_type", "password"),
        ("username", "ops"),
        ("password", "ops password"),
        ("scope", "admin"),
    ];
    let r = s.post_basic(&s.token_url(), &c, &form).await;
    let token: Value = r.json().await.unwrap();
    let bearer = Auth::Bearer(token["access_token"].as_str().unwrap());
    let r = request(&s, Method::POST, "/scopes", &bearer)
        .json(&json!({ "name": "by-ops" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (_, audit) = call(&s, Method::GET, "/audit?target=by-ops", None).await;
    assert_eq!(audit["items"][0]["actor"], "admin:ops");

    let demote = json!({ "admin": false });
    assert_eq!(
        call(&s, Method::PATCH, "/users/ops", Some(demote)).await.0,
        200
    );
    let r = request(&s, Method::GET, "/clients", &bearer)
        .send()
        .await
        .unwrap();
    assert_problem(r, 403).await;
}

#[tokio::test]
async fn openapi_document_covers_every_route() {
    let s = TestServer::start().await;
    let r = s
        .http
        .get(s.url(&format!("{API}/openapi.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "readable without credentials");
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    let methods = ["get", "post", "put", "patch", "delete"];
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in methods.iter().filter(|m| item.get(**m).is_some()) {
            documented.insert((m.to_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<_> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        served, documented,
        "every served route is documented, and only those"
    );

    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", "x")
            .replace("{name}", "x")
            .replace("{username}", "x")
            .replace("{path}", "x/y");
        for m in methods {
            let r = s
                .http
                .request(m.to_uppercase().parse().unwrap(), s.url(&concrete))
                .send()
                .await
                .unwrap();
            let Some(op) = item.get(m) else {
                assert_eq!(
                    r.status(),
                    405,
                    "{m} {path} is not documented, so not served"
                );
                continue;
            };
            let status = r.status().as_u16();
            assert!(status != 404 && status != 405, "{m} {path}: {status}");
            assert!(
                op["responses"].get(status.to_string()).is_some(),
                "{m} {path}: {status} undocumented"
            );
            if path.ends_with("/openapi.json") {
                continue;
            }
            assert!(
                op.get("security").is_none(),
                "{m} {path} uses the global security"
            );
            for code in ["401", "403"] {
                assert!(op["responses"].get(code).is_some(), "{m} {path} {code}");
            }
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        (&schemes["basic"]["scheme"], &schemes["bearer"]["scheme"]),
        (&json!("basic"), &json!("bearer"))
    );
}
