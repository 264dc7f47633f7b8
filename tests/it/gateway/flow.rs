//! Flow services run by the gateway.

use super::{
    assert_error, call, challenge, flow_service, rest_service, scope, token, upstream, user_token,
};
use crate::support::TestServer;
use axum::http::Method;
use serde_json::{Value, json};

async fn post(s: &TestServer, path: &str, t: &str, body: Value) -> reqwest::Response {
    call(s, Method::POST, path, Some(t))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_flow_without_steps_echoes_its_input() {
    let s = TestServer::start().await;
    flow_service(&s, "flows/echo", json!({ "steps": [] })).await;
    scope(&s, "flows", &["flows"]).await;
    let (_, t) = token(&s, "flows").await;
    let input = json!({ "a": 1, "b": [true, null, "x"], "c": { "d": 2.5 } });
    let r = post(&s, "flows/echo", &t, input.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.json::<Value>().await.unwrap(), input);

    let r = call(&s, Method::POST, "flows/echo", Some(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}), "empty body");

    let r = call(&s, Method::GET, "flows/echo", Some(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["allow"], "POST");
    let description = "a flow service is called with POST";
    assert_error(r, 405, "method_not_allowed", description).await;

    let r = post(&s, "flows/echo/more", &t, json!({})).await;
    assert_error(r, 404, "not_found", "no such service").await;

    let r = call(&s, Method::POST, "flows/echo", Some(&t))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn a_map_step_sees_the_caller() {
    let s = TestServer::start().await;
    let definition = json!({ "steps": [{
        "type": "map",
        "set": { "greeting": "hello {{name}}", "who": "{{caller.subject}}", "client": "{{caller.client_id}}" },
        "copy": [{ "from": "name", "to": "copy.of.name" }],
        "drop": ["secret"]
    }]});
    flow_service(&s, "flows/hello", definition).await;
    scope(&s, "flows", &["flows"]).await;
    let t = user_token(&s, "flows").await;
    let r = post(&s, "flows/hello", &t, json!({ "name": "Ann", "secret": 1 })).await;
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    let client = out["client"].as_str().unwrap().to_owned();
    assert!(!client.is_empty());
    assert_eq!(
        out,
        json!({
            "name": "Ann",
            "greeting": "hello Ann",
            "who": "alice",
            "client": client,
            "copy": { "of": { "name": "Ann" } }
        })
    );
}

#[tokio::test]
async fn a_flow_invokes_a_rest_service_and_a_flow() {
    let s = TestServer::start().await;
    let up = upstream().await;
    rest_service(&s, "api/echo", &format!("{up}/base"), None).await;
    flow_service(
        &s,
        "flows/inner",
        json!({ "steps": [{ "type": "map", "set": { "inner": true } }] }),
    )
    .await;
    let definition = json!({ "steps": [
        { "type": "invoke", "service": "api/echo/sub", "input": "payload", "output": "echo" },
        { "type": "invoke", "service": "flows/inner", "input": "payload", "output": "nested" },
        { "type": "map", "copy": [
            { "from": "echo.headers.x-flowgate-scope", "to": "scope" },
            { "from": "echo.headers.content-type", "to": "type" },
            { "from": "echo.body", "to": "sent" },
            { "from": "echo.path", "to": "path" },
            { "from": "echo.method", "to": "method" }
        ], "drop": ["echo"] }
    ]});
    flow_service(&s, "flows/outer", definition).await;
    scope(&s, "flows", &["flows", "api"]).await;
    let (c, t) = token(&s, "flows").await;
    let r = post(&s, "flows/outer", &t, json!({ "payload": { "n": 7 } })).await;
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(
        out,
        json!({
            "payload": { "n": 7 },
            "nested": { "n": 7, "inner": true },
            "scope": "flows",
            "type": "application/json",
            "sent": "{\"n\":7}",
            "path": "/base/sub",
            "method": "POST"
        })
    );
    let _ = c;
}

#[tokio::test]
async fn an_invoke_not_covered_by_the_token_is_403() {
    let s = TestServer::start().await;
    let up = upstream().await;
    rest_service(&s, "api/echo", &format!("{up}/base"), None).await;
    let definition = json!({ "steps": [{ "type": "invoke", "service": "api/echo" }] });
    flow_service(&s, "flows/sneaky", definition).await;
    scope(&s, "flows", &["flows"]).await;
    scope(&s, "api", &["api"]).await;
    let (_, t) = token(&s, "flows").await;
    let r = post(&s, "flows/sneaky", &t, json!({})).await;
    let description = "the access token's scopes do not cover service api/echo";
    assert_eq!(
        challenge(&r),
        format!(
            "Bearer realm=\"flowgate\", error=\"insufficient_scope\", \
             error_description=\"{description}\", scope=\"api\""
        )
    );
    assert_error(r, 403, "insufficient_scope", description).await;

    // With both scopes the same flow goes through.
    let (_, t) = token(&s, "flows api").await;
    let r = post(&s, "flows/sneaky", &t, json!({ "x": 1 })).await;
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["body"], "{\"x\":1}");
}

#[tokio::test]
async fn flow_failures_map_to_json_errors() {
    let s = TestServer::start().await;
    let exit = json!({ "steps": [{ "type": "exit", "status": 422, "message": "bad {{name}}" }] });
    flow_service(&s, "flows/exit", exit).await;
    let missing = json!({ "steps": [{ "type": "invoke", "service": "flows/none" }] });
    flow_service(&s, "flows/missing", missing).await;
    scope(&s, "flows", &["flows"]).await;
    let (_, t) = token(&s, "flows").await;
    let r = post(&s, "flows/exit", &t, json!({ "name": "Bob" })).await;
    assert_error(r, 422, "unprocessable_entity", "bad Bob").await;
    let r = post(&s, "flows/missing", &t, json!({})).await;
    assert_error(r, 404, "not_found", "no service at flows/none").await;
}
