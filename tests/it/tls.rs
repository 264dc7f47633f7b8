//! HTTPS served by flowgate itself (rustls), HSTS, and "Require HTTPS":
//! plain HTTP refused except from loopback, `X-Forwarded-Proto` believed
//! only from trusted proxies (RFC 6749 §3.1, §3.2, §10.9; RFC 6750 §5.3).

use crate::support::TestServer;
use serde_json::{Value, json};

/// A self-signed certificate for 127.0.0.1, written as PEM files.
fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let pem = cert.cert.pem();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, &pem).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    (cert_path, key_path, pem)
}

#[tokio::test]
async fn serves_https_with_hsts_and_issues_tokens_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem) = certificate(dir.path());
    let s = TestServer::start_with(|c| {
        c.tls = Some((cert, key));
        c.settings.tls = true;
        c.settings.require_https = true;
    })
    .await;
    let client = s.client(json!({})).await;
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = s.base.replace("http://", "https://");
    let r = https
        .post(format!("{base}/integration/rest/oAuth/getToken"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].as_str().unwrap().starts_with("fgat_"));

    // Plain HTTP on the TLS port gets no answer.
    assert!(s.http.get(s.url("/healthz")).send().await.is_err());
    s.stop().await;
}

#[tokio::test]
async fn require_https_refuses_plain_http_except_from_loopback() {
    // Through a trusted proxy on 127.0.0.1 a request is not "loopback": the
    // proxy's X-Forwarded-Proto says how the client came.
    let s = TestServer::start_with(|c| {
        c.settings.require_https = true;
        c.settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let client = s.client(json!({})).await;
    let token = |proto: &'static str| {
        s.http
            .post(s.token_url())
            .header("x-forwarded-proto", proto)
            .basic_auth(&client.id, client.secret.as_deref())
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    let plain = token("http").await.unwrap();
    assert_eq!(plain.status(), 403);
    assert_eq!(plain.headers()["cache-control"], "no-store");
    let body: Value = plain.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("requires HTTPS")
    );

    let secure = token("https").await.unwrap();
    assert_eq!(secure.status(), 200);
    assert_eq!(
        secure.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    let page = s
        .http
        .get(s.url("/integration/rest/oAuth/authorize?response_type=code"))
        .header("x-forwarded-proto", "http")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("This server requires HTTPS")
    );
    let probe = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(probe.status(), 200, "probes stay on plain HTTP");
    s.stop().await;

    // Straight from loopback (no proxy), plain HTTP is allowed.
    let s = TestServer::start_with(|c| c.settings.require_https = true).await;
    let client = s.client(json!({})).await;
    let r = s
        .post_basic(
            &s.token_url(),
            &client,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(!r.headers().contains_key("strict-transport-security"));
    s.stop().await;
}

#[tokio::test]
async fn a_missing_certificate_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = flowgate::config::Config::resolve(flowgate::config::ServeArgs {
        database_url: Some(format!("sqlite://{}", dir.path().join("fg.db").display())),
        tls_cert: Some(dir.path().join("missing.pem")),
        tls_key: Some(dir.path().join("missing-key.pem")),
        ..Default::default()
    })
    .unwrap();
    config.admin_password = Some("an-admin-password".into());
    let Err(e) = flowgate::server::Server::start_on(listener, config).await else {
        panic!("started without a certificate");
    };
    assert!(
        e.to_string().contains("cannot read the certificate chain"),
        "{e}"
    );
}
