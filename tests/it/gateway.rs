//! The gateway at `/integration/rest/run/...` (DESIGN §5): bearer token
//! checks (RFC 6750), REST forwarding to an upstream started in the test,
//! and flow services.

mod bearer;
mod flow;
mod rest;

use crate::support::{TestClient, TestServer};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use flowgate::domain::{ScopeInput, Service, ServiceKind};
use serde_json::{Value, json};
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery staple";

/// Starts the upstream: any path echoes the request as JSON; `/status/{n}`
/// answers `n` with its own headers and a text body; `/slow` answers after
/// three seconds. Returns its base URL.
pub async fn upstream() -> String {
    let app = axum::Router::new()
        .route("/base/status/{code}", any(status))
        .route("/base/slow", any(slow))
        .fallback(echo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap())))
        .collect();
    axum::Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": headers,
        "body": String::from_utf8(body.to_vec()).unwrap(),
    }))
}

async fn status(Path(code): Path<u16>) -> impl IntoResponse {
    (
        StatusCode::from_u16(code).unwrap(),
        [
            ("content-type", "text/plain; charset=utf-8"),
            ("x-upstream", "yes"),
            ("set-cookie", "a=1"),
        ],
        "custom body",
    )
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3)).await;
    "late"
}

/// A URL on a port nothing listens on.
pub async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/base")
}

/// Registers a scope that grants `services` (folders or service paths).
pub async fn scope(s: &TestServer, name: &str, services: &[&str]) {
    s.app
        .create_scope(
            "test",
            ScopeInput {
                name: Some(name.into()),
                description: Some(format!("Scope {name}")),
                services: Some(services.iter().map(|p| p.to_string()).collect()),
            },
        )
        .await
        .unwrap();
}

async fn insert(s: &TestServer, path: &str, kind: ServiceKind) {
    s.app
        .store
        .insert_service(&Service {
            path: path.into(),
            description: String::new(),
            kind,
            created_at: 0,
            updated_at: 0,
        })
        .await
        .unwrap();
    s.app
        .drop_cached(&flowgate::store::Change::Service(path.into()));
}

pub async fn rest_service(s: &TestServer, path: &str, url: &str, timeout_ms: Option<u64>) {
    let kind = ServiceKind::Rest {
        upstream_url: url.into(),
        timeout_ms,
    };
    insert(s, path, kind).await;
}

pub async fn flow_service(s: &TestServer, path: &str, definition: Value) {
    insert(s, path, ServiceKind::Flow { definition }).await;
}

/// A client allowed `scopes` and a client credentials token for them.
pub async fn token(s: &TestServer, scopes: &str) -> (TestClient, String) {
    let c = s.client(json!({ "scope": scopes })).await;
    let t = s.cc_token(&c, scopes).await;
    (c, t)
}

/// A password grant token of user `alice` for `scopes`.
pub async fn user_token(s: &TestServer, scopes: &str) -> String {
    let c = s
        .client(json!({ "scope": scopes, "grant_types": ["password"] }))
        .await;
    s.user("alice", PASSWORD).await;
    let r = s
        .post_basic(
            &s.token_url(),
            &c,
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
                ("scope", scopes),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

pub fn run_url(s: &TestServer, path: &str) -> String {
    s.url(&format!("/integration/rest/run/{path}"))
}

/// Calls `path` with `method` and the bearer `token`.
pub fn call(
    s: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> reqwest::RequestBuilder {
    let r = s.http.request(method, run_url(s, path));
    match token {
        Some(t) => r.bearer_auth(t),
        None => r,
    }
}

/// Asserts the gateway's own JSON error answer.
pub async fn assert_error(r: reqwest::Response, status: u16, error: &str, description: &str) {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "error": error, "error_description": description })
    );
}

/// The `WWW-Authenticate` header of an answer.
pub fn challenge(r: &reqwest::Response) -> String {
    r.headers()["www-authenticate"].to_str().unwrap().to_owned()
}
