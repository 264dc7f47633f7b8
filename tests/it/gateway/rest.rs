//! REST API services: what goes to the upstream and what comes back.

use super::{
    assert_error, call, challenge, closed_port_url, rest_service, scope, token, upstream,
    user_token,
};
use crate::support::TestServer;
use axum::http::Method;
use serde_json::Value;

/// A server with scope `api` granting folder `api`, REST service
/// `api/echo` at the upstream's `/base`, and a token for `api`.
async fn setup() -> (TestServer, String, String) {
    let s = TestServer::start().await;
    let up = upstream().await;
    rest_service(&s, "api/echo", &format!("{up}/base"), None).await;
    scope(&s, "api", &["api"]).await;
    let (_, t) = token(&s, "api").await;
    (s, up, t)
}

#[tokio::test]
async fn forwards_method_path_suffix_query_body_and_headers() {
    let (s, _up, _) = setup().await;
    let c = s.client(serde_json::json!({ "scope": "api" })).await;
    let t2 = s.cc_token(&c, "api").await;
    let r = call(
        &s,
        Method::PUT,
        "api/echo/extra/segments?a=1&b=two%20x",
        Some(&t2),
    )
    .header("x-custom", "kept")
    .header("content-type", "text/plain")
    .header("connection", "x-private")
    .header("x-private", "secret")
    .header("proxy-authorization", "Basic eDp5")
    .header("x-flowgate-client-id", "forged")
    .header("X-Flowgate-Subject", "mallory")
    .header("x-flowgate-scope", "everything")
    .header("x-flowgate-other", "forged")
    .body("hello upstream")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/base/extra/segments");
    assert_eq!(echo["query"], "a=1&b=two%20x");
    assert_eq!(echo["body"], "hello upstream");
    let h = echo["headers"].as_object().unwrap();
    assert_eq!(h["x-custom"], "kept");
    assert_eq!(h["content-type"], "text/plain");
    assert_eq!(h["content-length"], "14");
    assert_eq!(h["x-flowgate-client-id"], c.id.as_str());
    assert_eq!(h["x-flowgate-scope"], "api");
    for gone in [
        "authorization",
        "x-private",
        "proxy-authorization",
        "x-flowgate-subject",
        "x-flowgate-other",
    ] {
        assert!(!h.contains_key(gone), "{gone} forwarded: {h:?}");
    }
}

#[tokio::test]
async fn user_tokens_add_the_subject_header() {
    let (s, _up, _) = setup().await;
    let t = user_token(&s, "api").await;
    let r = call(&s, Method::GET, "api/echo", Some(&t))
        .header("x-flowgate-subject", "mallory")
        .send()
        .await
        .unwrap();
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["path"], "/base");
    assert_eq!(echo["query"], Value::Null);
    assert_eq!(echo["headers"]["x-flowgate-subject"], "alice");
    assert_eq!(echo["headers"]["x-flowgate-scope"], "api");
}

#[tokio::test]
async fn any_method_is_forwarded() {
    let (s, _up, t) = setup().await;
    for m in [
        Method::GET,
        Method::POST,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        let r = call(&s, m.clone(), "api/echo/x", Some(&t))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{m}");
        let echo: Value = r.json().await.unwrap();
        assert_eq!(echo["method"], m.as_str());
        assert_eq!(echo["path"], "/base/x");
    }
}

#[tokio::test]
async fn upstream_status_headers_and_body_come_back_unchanged() {
    let (s, _up, t) = setup().await;
    for code in [200u16, 201, 404, 418, 500, 503] {
        let r = call(
            &s,
            Method::GET,
            &format!("api/echo/status/{code}"),
            Some(&t),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), code);
        assert_eq!(r.headers()["x-upstream"], "yes");
        assert_eq!(r.headers()["set-cookie"], "a=1");
        assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(r.text().await.unwrap(), "custom body");
    }
}

#[tokio::test]
async fn large_bodies_are_streamed_and_the_limit_enforced() {
    let (s, _up, t) = setup().await;
    // The default limit is 64 KiB.
    let big = "x".repeat(64 * 1024);
    let r = call(&s, Method::POST, "api/echo", Some(&t))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["body"].as_str().unwrap().len(), big.len());
    assert_eq!(echo["body"], big.as_str());

    let too_big = "y".repeat(64 * 1024 + 1);
    let r = call(&s, Method::POST, "api/echo", Some(&t))
        .body(too_big.clone())
        .send()
        .await
        .unwrap();
    let description = "the request body is larger than the server accepts";
    assert_error(r, 413, "payload_too_large", description).await;

    // Without Content-Length (chunked), the limit holds on the stream.
    let chunks: Vec<Result<String, std::io::Error>> =
        (0..20).map(|_| Ok("z".repeat(8 * 1024))).collect();
    let r = call(&s, Method::POST, "api/echo", Some(&t))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_error(r, 413, "payload_too_large", description).await;

    let chunks: Vec<Result<String, std::io::Error>> =
        (0..4).map(|_| Ok("z".repeat(8 * 1024))).collect();
    let r = call(&s, Method::POST, "api/echo", Some(&t))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["body"].as_str().unwrap().len(), 32 * 1024);
    assert_eq!(echo["headers"]["transfer-encoding"], "chunked");
}

#[tokio::test]
async fn upstream_down_is_502_with_json() {
    let s = TestServer::start().await;
    rest_service(&s, "api/down", &closed_port_url().await, None).await;
    scope(&s, "api", &["api"]).await;
    let (_, t) = token(&s, "api").await;
    let r = call(&s, Method::POST, "api/down/x", Some(&t))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_error(r, 502, "bad_gateway", "the upstream could not be reached").await;
}

#[tokio::test]
async fn upstream_timeout_is_504_with_json() {
    let s = TestServer::start().await;
    let up = upstream().await;
    rest_service(&s, "api/slow", &format!("{up}/base/slow"), Some(300)).await;
    scope(&s, "api", &["api"]).await;
    let (_, t) = token(&s, "api").await;
    let start = std::time::Instant::now();
    let r = call(&s, Method::GET, "api/slow", Some(&t))
        .send()
        .await
        .unwrap();
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert_error(
        r,
        504,
        "gateway_timeout",
        "the upstream did not answer in time",
    )
    .await;
}

#[tokio::test]
async fn services_match_the_longest_prefix_on_a_segment_boundary() {
    let s = TestServer::start().await;
    let up = upstream().await;
    rest_service(&s, "api/echo", &format!("{up}/base"), None).await;
    rest_service(&s, "api/echo/deeper", &format!("{up}/base/deep"), None).await;
    scope(&s, "all", &["api"]).await;
    let (_, t) = token(&s, "all").await;
    for (path, upstream_path) in [
        ("api/echo", "/base"),
        ("api/echo/", "/base/"),
        ("api/echo/extra/segments", "/base/extra/segments"),
        ("api/echo/deeper", "/base/deep"),
        ("api/echo/deeper/x", "/base/deep/x"),
        ("api/echo/deeperx", "/base/deeperx"),
    ] {
        let r = call(&s, Method::GET, path, Some(&t)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let echo: Value = r.json().await.unwrap();
        assert_eq!(echo["path"], upstream_path, "{path}");
    }
    for path in ["api/echo2", "api", "api/ech", "other/api/echo"] {
        let r = call(&s, Method::GET, path, Some(&t)).send().await.unwrap();
        assert_error(r, 404, "not_found", "no such service").await;
    }
    // HTTP clients resolve dot segments themselves; send them raw.
    for dots in ["..", "%2e%2E", "."] {
        let answer = raw_get(&s, &format!("api/echo/{dots}/x"), &t).await;
        assert!(answer.starts_with("HTTP/1.1 400 "), "{dots}: {answer}");
        assert!(answer.contains("the path must not contain . or .. segments"));
    }
}

#[tokio::test]
async fn folders_cover_what_lies_below_them_only() {
    let s = TestServer::start().await;
    let up = upstream().await;
    rest_service(&s, "orders/x/y", &format!("{up}/base"), None).await;
    rest_service(&s, "orders2/x", &format!("{up}/base"), None).await;
    scope(&s, "orders", &["orders"]).await;
    scope(&s, "orders2", &["orders2/x"]).await;
    let (_, t) = token(&s, "orders").await;
    let r = call(&s, Method::GET, "orders/x/y", Some(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = call(&s, Method::GET, "orders2/x", Some(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenge(&r),
        "Bearer realm=\"flowgate\", error=\"insufficient_scope\", \
         error_description=\"the access token's scopes do not cover this service\", \
         scope=\"orders2\""
    );
    let description = "the access token's scopes do not cover this service";
    assert_error(r, 403, "insufficient_scope", description).await;
}

/// A GET written by hand, so the path reaches the server as it is.
async fn raw_get(s: &TestServer, path: &str, token: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = s.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /integration/rest/run/{path} HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn calls_are_counted_by_service_and_status() {
    let (s, _up, t) = setup().await;
    let _ = s.http.get(s.url("/metrics")).send().await.unwrap();
    for path in ["api/echo/status/418", "api/echo/status/418", "nope"] {
        let _ = call(&s, Method::GET, path, Some(&t)).send().await.unwrap();
    }
    let text = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = |labels: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("flowgate_gateway_calls_total{{{labels}}}")))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
    };
    // Other tests of this binary share the process-wide recorder.
    assert!(
        line("service=\"api/echo\",status=\"418\"").unwrap() >= 2,
        "{text}"
    );
    assert!(line("service=\"-\",status=\"404\"").unwrap() >= 1, "{text}");
}
