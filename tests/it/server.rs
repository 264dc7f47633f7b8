//! The server as an operator meets it: metadata (RFC 8414), health,
//! readiness, metrics, first start and graceful shutdown of the binary.

use crate::process::{spawn_serve, terminate};
use crate::support::TestServer;
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

#[tokio::test]
async fn metadata_lists_only_what_is_served_rfc8414_2() {
    let s = TestServer::start().await;
    let r = s
        .http
        .get(s.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let m: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        m["issuer"],
        s.base.as_str(),
        "issuer is the public URL (RFC 8414 §3.3)"
    );
    assert_eq!(m["token_endpoint"], s.token_url().as_str());
    assert_eq!(m["introspection_endpoint"], s.introspect_url().as_str());
    assert_eq!(m["revocation_endpoint"], s.revoke_url().as_str());
    assert_eq!(
        m["authorization_endpoint"],
        s.url("/integration/rest/oAuth/authorize").as_str()
    );
    assert_eq!(
        m["grant_types_supported"],
        json!([
            "authorization_code",
            "implicit",
            "client_credentials",
            "password",
            "refresh_token"
        ])
    );
    assert_eq!(m["response_types_supported"], json!(["code", "token"]));
    assert_eq!(
        m["code_challenge_methods_supported"],
        json!(["S256", "plain"])
    );
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    let scopes = m["scopes_supported"].as_array().unwrap();
    for name in ["read", "write", "profile"] {
        assert!(scopes.contains(&json!(name)), "{name}");
    }
}

#[tokio::test]
async fn metadata_urls_come_from_the_public_url_not_the_host_header() {
    let s =
        TestServer::start_with(|c| c.settings.public_url = "https://auth.example.com".into()).await;
    let r = s
        .http
        .get(s.url("/.well-known/oauth-authorization-server"))
        .header("host", "evil.example.net")
        .send()
        .await
        .unwrap();
    let m: serde_json::Value = r.json().await.unwrap();
    assert_eq!(m["issuer"], "https://auth.example.com");
    assert_eq!(
        m["token_endpoint"],
        "https://auth.example.com/integration/rest/oAuth/getToken"
    );
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let s = TestServer::start().await;
    assert_eq!(
        s.http.get(s.url("/healthz")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        s.http.get(s.url("/readyz")).send().await.unwrap().status(),
        200
    );
    let c = s.client(json!({})).await;
    s.cc_token(&c, "read").await;
    let mut bad = c.clone();
    bad.secret = Some("fgcs_wrong".into());
    s.post_basic(
        &s.token_url(),
        &bad,
        &[("grant_type", "client_credentials")],
    )
    .await;
    let text = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("flowgate_tokens_issued_total{grant_type=\"client_credentials\"}"),
        "{text}"
    );
    assert!(
        text.contains("flowgate_client_auth_failures_total"),
        "{text}"
    );
    assert!(text.contains("flowgate_http_requests_total{"), "{text}");
    assert!(
        text.contains("route=\"/integration/rest/oAuth/getToken\""),
        "{text}"
    );
    assert!(
        text.contains("flowgate_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn readiness_fails_when_the_store_is_gone() {
    let s = TestServer::start().await;
    s.app.store.close().await;
    let r = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(
        s.http.get(s.url("/healthz")).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn unknown_paths_are_json_404() {
    let s = TestServer::start().await;
    let r = s.http.get(s.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    s.stop().await;
}

/// Status code of a plain GET (the async client needs a runtime).
fn get_status(addr: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn first_start_creates_database_and_prints_admin_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_serve(dir.path(), |c| {
        c.env_remove("FLOWGATE_ADMIN_PASSWORD");
    });
    assert_eq!(get_status(&child.addr, "/readyz"), 200);
    assert!(
        dir.path().join("flowgate.db").exists(),
        "default database ./flowgate.db"
    );
    terminate(&mut child.process);
    let password = child
        .printed
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix("password:")
                .map(|p| p.trim().to_owned())
        })
        .expect("generated admin password printed");
    assert!(password.len() >= 40, "{password}");

    // The account is there for the CLI on the same database.
    let out = Command::new(env!("CARGO_BIN_EXE_flowgate"))
        .args(["user", "show", "admin", "--json"])
        .current_dir(dir.path())
        .env_remove("FLOWGATE_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"admin\": true"));
}

#[test]
fn sigterm_drains_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_serve(dir.path(), |c| {
        c.arg("--database-url")
            .arg(format!("sqlite://{}", dir.path().join("fg.db").display()))
            .env("FLOWGATE_ADMIN_PASSWORD", "admin-password-for-tests");
    });
    assert_eq!(get_status(&child.addr, "/healthz"), 200);
    // A request in flight when SIGTERM arrives is answered before exit.
    use std::io::{Read, Write};
    let mut inflight = std::net::TcpStream::connect(&child.addr).unwrap();
    write!(
        inflight,
        "GET /healthz HTTP/1.1\r\nHost: {}\r\n",
        child.addr
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let pid = child.process.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.process.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    write!(inflight, "Connection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    inflight.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let status = terminate(&mut child.process);
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn janitor_purges_expired_tokens_in_the_background() {
    let s = TestServer::start_with(|c| c.janitor_interval = Duration::from_millis(300)).await;
    let c = s.client(json!({ "access_token_lifetime": 1 })).await;
    let keep = s.client(json!({})).await;
    let expiring = s.cc_token(&c, "read").await;
    let lasting = s.cc_token(&keep, "read").await;
    let id = |t: &str| flowgate::domain::token::id_of("fgat_", t).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while s
        .app
        .store
        .get_access_token(&id(&expiring))
        .await
        .unwrap()
        .is_some()
    {
        assert!(Instant::now() < deadline, "expired token never purged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        s.app
            .store
            .get_access_token(&id(&lasting))
            .await
            .unwrap()
            .is_some()
    );
}

#[test]
fn with_port_0_the_issuer_names_the_bound_port_rfc8414_2() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_serve(dir.path(), |c| {
        c.env("FLOWGATE_ADMIN_PASSWORD", "an-admin-password");
    });
    let mut stream = std::net::TcpStream::connect(&child.addr).unwrap();
    write!(
        stream,
        "GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        child.addr
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    let body = &out[out.find("\r\n\r\n").unwrap() + 4..];
    let doc: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(doc["issuer"], format!("http://{}", child.addr));
    terminate(&mut child.process);
}
