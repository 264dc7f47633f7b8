//! Attacks with tokens: an access token sent in a URL, a refresh that
//! widens the grant, and a token without the `admin` scope at the admin
//! API.

use crate::gateway::{assert_error, challenge, rest_service, run_url, scope, token, upstream};
use crate::refresh::{refresh, refresh_of, refresh_raw, tokens};
use crate::support::on_both_backends;
use crate::support::{TestServer, assert_oauth_error};
use crate::user_agent::{Browser, Flow, authorize_url, oauth_app};
use flowgate::web::admin_api::ROUTES;
use oauth2::{RefreshToken, Scope, TokenResponse};
use serde_json::json;

on_both_backends! {
    /// Access token in the query at a service (RFC 6750 §2.3, RFC 9700
    /// §4.3.2): a token in the URL, or in a form body (§2.2), is refused
    /// even alongside a valid Authorization header.
    async fn bearer_token_in_query_refused_at_services_rfc6750_2_3_rfc9700_4_3_2() {
        let s = TestServer::start().await;
        let up = upstream().await;
        rest_service(&s, "api/echo", &format!("{up}/base"), None).await;
        scope(&s, "api", &["api"]).await;
        let (_, t) = token(&s, "api").await;
        let query = format!("api/echo?access_token={t}");
        let only_header = "send the access token in the Authorization header (RFC 6750 section 2.1)";
        let twice = "the access token must be sent in exactly one way (RFC 6750 section 2)";
        let cases = [
            (s.http.get(run_url(&s, &query)), only_header),
            (
                s.http
                    .post(run_url(&s, "api/echo"))
                    .form(&[("access_token", t.as_str())]),
                only_header,
            ),
            (s.http.get(run_url(&s, &query)).bearer_auth(&t), twice),
            (
                s.http
                    .post(run_url(&s, "api/echo"))
                    .bearer_auth(&t)
                    .form(&[("a", "1"), ("access_token", t.as_str())]),
                twice,
            ),
        ];
        for (req, description) in cases {
            let r = req.send().await.unwrap();
            assert_eq!(
                challenge(&r),
                format!(
                    "Bearer realm=\"flowgate\", error=\"invalid_request\", \
                     error_description=\"{description}\""
                )
            );
            assert_error(r, 400, "invalid_request", description).await;
        }
        // A form body without a token is forwarded as it is.
        let r = s
            .http
            .post(run_url(&s, "api/echo"))
            .bearer_auth(&t)
            .form(&[("a", "1"), ("b", "x y")])
            .send()
            .await
            .unwrap();
        let echo: serde_json::Value = r.json().await.unwrap();
        assert_eq!(echo["body"], "a=1&b=x+y");
    }
}

on_both_backends! {
    /// Scope escalation on refresh (RFC 6749 §6): a refresh may narrow the
    /// granted scope, never widen it, and a refused attempt uses nothing up.
    async fn scope_escalation_on_refresh_rfc6749_6() {
        let (s, c) = crate::refresh::setup(-1).await;
        let rt0 = refresh_of(&tokens(&s, &c).await);
        for wider in ["read write profile", "profile", "admin"] {
            let r = refresh_raw(&s, &c, &rt0, Some(wider)).await;
            assert_oauth_error(r, 400, "invalid_scope").await;
        }
        // The refused requests used nothing up: rt0 is still the current token.
        let narrow = oauth_app(&s, &c)
            .exchange_refresh_token(&RefreshToken::new(rt0.clone()))
            .add_scope(Scope::new("read".into()))
            .request_async(&s.http)
            .await
            .unwrap();
        let scopes: Vec<_> = narrow
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(scopes, ["read"]);
        assert_eq!(
            s.introspect(&c, narrow.access_token().secret()).await["scope"],
            "read"
        );
        // The new refresh token keeps the original scope (§6).
        let rt1 = refresh_of(&narrow);
        assert_eq!(s.introspect(&c, &rt1).await["scope"], "read write");
        let full = refresh(&s, &c, &rt1).await;
        assert_eq!(
            s.introspect(&c, full.access_token().secret()).await["scope"],
            "read write"
        );
        s.stop().await;
    }
}

/// Sends `method path` of the admin API with `auth` and a JSON body.
async fn admin_call(
    s: &TestServer,
    method: &str,
    path: &str,
    auth: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> reqwest::Response {
    let path = path
        .replace("{id}", "x")
        .replace("{name}", "read")
        .replace("{username}", "eve")
        .replace("{path}", "x/y");
    let r = s
        .http
        .request(method.parse().unwrap(), s.url(&path))
        .json(&json!({ "name": "by-eve", "admin": true }));
    auth(r).send().await.unwrap()
}

/// Admin API with a non-admin token (RFC 9700 §2.3, privilege
/// restriction): only the reserved `admin` scope, held by an administrator
/// or a client, opens it; a non-administrator cannot get that scope.
#[tokio::test]
async fn admin_api_with_non_admin_token_rfc9700_2_3() {
    let s = TestServer::start().await;
    s.user("eve", "eve's password").await;
    let c = s
        .client(json!({
            "grant_types": ["authorization_code", "password", "client_credentials"],
            "scope": "admin read",
        }))
        .await;
    let read_token = s.cc_token(&c, "read").await;
    let form = [
        ("grant_type", "password"),
        ("username", "eve"),
        ("password", "eve's password"),
        ("scope", "read"),
    ];
    let r = s.post_basic(&s.token_url(), &c, &form).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let eve_token = body["access_token"].as_str().unwrap().to_owned();
    for (method, path) in ROUTES.iter().filter(|(_, p)| !p.ends_with("/openapi.json")) {
        let r = admin_call(&s, method, path, |r| {
            r.basic_auth("eve", Some("eve's password"))
        })
        .await;
        assert_eq!(r.status(), 403, "eve (Basic): {method} {path}");
        assert!(r.headers().get("www-authenticate").is_none());
        for t in [&read_token, &eve_token] {
            let r = admin_call(&s, method, path, |r| r.bearer_auth(t)).await;
            assert_eq!(r.status(), 403, "{method} {path}");
            let challenge = r.headers()["www-authenticate"].to_str().unwrap();
            assert!(
                challenge.contains("error=\"insufficient_scope\""),
                "{challenge}"
            );
        }
    }
    assert!(s.app.get_scope("by-eve").await.is_err(), "nothing changed");
    assert!(
        !s.app.get_user("eve").await.unwrap().admin,
        "nothing changed"
    );
    // No user grant gives a non-administrator the admin scope.
    let form = [
        ("grant_type", "password"),
        ("username", "eve"),
        ("password", "eve's password"),
        ("scope", "admin"),
    ];
    let r = s.post_basic(&s.token_url(), &c, &form).await;
    assert_oauth_error(r, 400, "invalid_scope").await;
    let p = [
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("scope", "admin read"),
        ("state", "st"),
    ];
    let eve = Flow {
        username: "eve".into(),
        password: "eve's password".into(),
        ..Flow::default()
    };
    let trip = Browser::new(&s)
        .authorize(&authorize_url(&s, &p), &eve)
        .await;
    let cb = trip.callback();
    assert_eq!(cb.q("error"), Some("invalid_scope"), "{}", cb.url);
    assert_eq!(cb.q("code"), None);
    s.stop().await;
}
