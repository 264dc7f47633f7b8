//! Abuse limits: request rates per client id and per source address at the
//! OAuth endpoints, sign-in rates per address, and the backoff of an
//! account's failed sign-ins (RFC 6749 §10.10, RFC 6819 §4.3.2, §5.1.4.2.3).

use crate::console::Browser;
use crate::support::{ADMIN_PASSWORD, TestClient, TestServer};
use flowgate::limits::LimitSettings;
use serde_json::{Value, json};

/// Asserts a 429 `slow_down` answer with a `Retry-After` of whole seconds.
async fn assert_slow_down(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "slow_down", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("retry after")
    );
    body
}

fn limits(oauth_per_second: u32, logins_per_minute: u32) -> LimitSettings {
    LimitSettings {
        oauth_per_second,
        logins_per_minute,
    }
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_slow_down_and_is_counted_and_audited() {
    let s = TestServer::start_with(|c| c.settings.limits = limits(1, 0)).await;
    let c = s.client(json!({})).await;
    let form = [("grant_type", "client_credentials"), ("scope", "read")];
    // A burst of two, then refused, whatever the secret.
    for _ in 0..2 {
        assert_eq!(s.post_basic(&s.token_url(), &c, &form).await.status(), 200);
    }
    assert_slow_down(s.post_basic(&s.token_url(), &c, &form).await).await;
    let wrong = TestClient {
        secret: Some("not-the-secret".into()),
        ..c.clone()
    };
    assert_slow_down(
        s.post_basic(&s.introspect_url(), &wrong, &[("token", "x")])
            .await,
    )
    .await;

    let metrics = s.http.get(s.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("flowgate_rate_limited_total{endpoint=\"token\"} 1"),
        "{metrics}"
    );
    let events = s
        .app
        .list_audit(&flowgate::domain::AuditFilter {
            action: Some("rate_limit".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "audited once a minute per key: {events:?}");
    s.stop().await;
}

#[tokio::test]
async fn addresses_come_from_x_forwarded_for_only_via_a_trusted_proxy() {
    // Every test request comes from 127.0.0.1.
    let trusted = TestServer::start_with(|c| {
        c.settings.limits = limits(1, 0);
        c.settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let untrusted = TestServer::start_with(|c| c.settings.limits = limits(1, 0)).await;
    let send = |s: &TestServer, from: &'static str| {
        s.http
            .post(s.introspect_url())
            .header("x-forwarded-for", from)
            .form(&[("token", "x")])
            .send()
    };
    // No client is named, so only the address limit applies (burst of 2).
    for from in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let r = send(&trusted, from).await.unwrap();
        assert_eq!(r.status(), 401, "each forwarded address has its own budget");
    }
    for from in ["203.0.113.1", "203.0.113.2"] {
        let r = send(&untrusted, from).await.unwrap();
        assert_eq!(r.status(), 401, "within the budget of 127.0.0.1");
    }
    let r = send(&untrusted, "203.0.113.3").await.unwrap();
    assert_slow_down(r).await;
    trusted.stop().await;
    untrusted.stop().await;
}

#[tokio::test]
async fn failed_sign_ins_back_off_exponentially_then_let_the_user_in() {
    let s = TestServer::start().await;
    let b = Browser::new(&s);
    for _ in 0..3 {
        let r = b.login("admin", "wrong password").await;
        assert_eq!(r.status(), 200, "the login page again");
    }
    // Now even the right password waits: the account backs off.
    let r = b.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Too many sign-in attempts")
    );
    // Another account is not slowed down.
    s.user("alice", "alice-password").await;
    assert_eq!(b.login("alice", "wrong").await.status(), 200);

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = b.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 303, "signed in after the wait");
    s.stop().await;
}

#[tokio::test]
async fn sign_ins_from_one_address_are_rate_limited() {
    let s = TestServer::start_with(|c| c.settings.limits = limits(0, 2)).await;
    let b = Browser::new(&s);
    assert_eq!(b.login("nobody", "x").await.status(), 200);
    assert_eq!(b.login("someone", "y").await.status(), 200);
    let r = b.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    s.stop().await;
}

#[tokio::test]
async fn the_password_grant_shares_the_account_backoff() {
    let s = TestServer::start().await;
    s.user("alice", "alice-password").await;
    let c = s.client(json!({ "grant_types": ["password"] })).await;
    for _ in 0..3 {
        assert_eq!(password_attempt(&s, &c, "wrong").await.status(), 400);
    }
    assert_slow_down(password_attempt(&s, &c, "alice-password").await).await;
    s.stop().await;
}

async fn password_attempt(s: &TestServer, c: &TestClient, password: &str) -> reqwest::Response {
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", password),
    ];
    s.post_basic(&s.token_url(), c, &form).await
}
