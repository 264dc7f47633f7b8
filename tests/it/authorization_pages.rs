//! The login and permissions pages (DESIGN.md §4) as a browser sees them:
//! the answers of the permissions form (RFC 6749 §4.1.2.1, §3.3), the
//! login session, CSRF protection (RFC 6749 §10.12), framing and caching
//! headers (§10.13), signing out, and the error page shown instead of
//! redirecting to an untrusted client (§4.1.2.1).

use crate::authorization_code::{redeem, setup};
use crate::support::{REDIRECT_URI, TestClient, TestServer};
use crate::user_agent::{Browser, Csrf, End, Flow, LOGOUT_PATH, Page, Step, Trip, authorize_url};
use flowgate::domain::ClientInput;
use serde_json::json;

/// A code request for `read write`, answered as `flow` says.
async fn consent(s: &TestServer, c: &TestClient, flow: Flow) -> Trip {
    Browser::new(s).authorize(&url(s, c), &flow).await
}

#[tokio::test]
async fn deny_is_access_denied_with_state_rfc6749_4_1_2_1() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let trip = consent(&s, &c, Flow::default().deny()).await;
    let cb = trip.callback();
    assert_eq!(cb.target(), REDIRECT_URI);
    assert_eq!(cb.q("error"), Some("access_denied"));
    assert_eq!(cb.q("state"), Some("st"));
    assert_eq!(cb.q("code"), None);
    s.stop().await;
}

#[tokio::test]
async fn unticked_scope_is_not_granted_rfc6749_3_3() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let trip = consent(&s, &c, Flow::default().tick(&["write"])).await;
    let body = redeem(&s, &c, trip.callback().q("code").unwrap()).await;
    assert_eq!(body["scope"], "write", "{body}");
    let info = s
        .introspect(&c, body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info["scope"], "write", "{info}");
    s.stop().await;
}

#[tokio::test]
async fn tampered_consent_form_cannot_widen_the_grant_rfc6749_3_3() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let flow = Flow::default().tick(&["read", "profile", "admin", "write"]);
    let trip = consent(&s, &c, flow).await;
    let body = redeem(&s, &c, trip.callback().q("code").unwrap()).await;
    assert_eq!(body["scope"], "read write", "{body}");
    let info = s
        .introspect(&c, body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info["scope"], "read write", "{info}");
    s.stop().await;
}

/// The permissions form carries the requested scope back in a hidden field;
/// a user who edits or drops it must not widen the grant beyond the
/// client's request (`read write`): the form is refused or the token keeps
/// to the request.
#[tokio::test]
async fn tampered_requested_scope_field_cannot_widen_the_grant_rfc6749_3_3() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    for tamper in [None, Some("read write profile")] {
        let b = Browser::new(&s);
        let stop = Flow {
            stop_at: Some(Step::Consent),
            ..Flow::default()
        };
        let form = b.authorize(&url(&s, &c), &stop).await.page().form();
        let mut fields: Vec<_> = form
            .hidden
            .iter()
            .filter(|(n, _)| n != "requested_scope")
            .cloned()
            .collect();
        fields.extend(tamper.map(|t| ("requested_scope".to_owned(), t.to_owned())));
        for scope in ["read", "write", "profile"] {
            fields.push(("scope".into(), scope.into()));
        }
        fields.push(("decision".into(), "grant".into()));
        match b.post(&form.action, &fields, &mut Vec::new()).await {
            End::Page(p) => assert!([400, 403].contains(&p.status), "{tamper:?}: {}", p.body),
            End::Redirect(cb) => {
                let code = cb
                    .q("code")
                    .unwrap_or_else(|| panic!("{tamper:?}: {}", cb.url));
                let body = redeem(&s, &c, code).await;
                assert_eq!(
                    body["scope"], "read write",
                    "{tamper:?}: the grant was widened"
                );
            }
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn unticking_every_scope_is_access_denied_rfc6749_4_1_2_1() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let trip = consent(&s, &c, Flow::default().tick(&[])).await;
    let cb = trip.callback();
    assert_eq!(cb.q("error"), Some("access_denied"));
    assert_eq!(cb.q("state"), Some("st"));
    assert_eq!(cb.q("code"), None);
    s.stop().await;
}

#[tokio::test]
async fn permissions_page_offers_each_requested_scope_ticked_design_4() {
    let (s, c) =
        setup(json!({ "grant_types": ["authorization_code"], "client_name": "Orders Shop" })).await;
    let flow = Flow {
        stop_at: Some(Step::Consent),
        ..Flow::default()
    };
    let trip = consent(&s, &c, flow).await;
    assert_eq!(trip.steps, [Step::Login, Step::Consent]);
    let page = trip.page();
    let form = page.form();
    let boxes: Vec<_> = form
        .checkboxes
        .iter()
        .map(|(n, v, on)| (n.as_str(), v.as_str(), *on))
        .collect();
    assert_eq!(boxes, [("scope", "read", true), ("scope", "write", true)]);
    assert_eq!(form.fields, ["decision", "decision"]);
    assert!(page.body.contains("value=\"grant\"") && page.body.contains("value=\"deny\""));
    for text in [
        "Orders Shop",
        "Read your orders",
        "Change your orders",
        "Grant Access",
        "Deny",
    ] {
        assert!(page.body.contains(text), "{text}:\n{}", page.body);
    }
    assert!(!page.body.contains("See your profile"), "{}", page.body);
    assert!(form.hidden("csrf_token").is_some_and(|t| t.len() >= 32));
    s.stop().await;
}

/// A request that shows the pages: `read write` for `c`.
fn url(s: &TestServer, c: &TestClient) -> String {
    let p = [
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "read write"),
        ("state", "st"),
    ];
    authorize_url(s, &p)
}

fn session_cookie(trip: &Trip) -> Option<&str> {
    trip.set_cookies
        .iter()
        .map(String::as_str)
        .find(|c| c.starts_with("fg_session="))
}

fn assert_forbidden(trip: &Trip) {
    let page = trip.page();
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(page.step(), None, "{}", page.body);
    assert!(page.header("location").is_none());
}

#[tokio::test]
async fn wrong_password_shows_the_login_page_again_and_issues_no_code() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let b = Browser::new(&s);
    let flow = Flow {
        password: "wrong".into(),
        ..Flow::default()
    };
    let trip = b.authorize(&url(&s, &c), &flow).await;
    assert_eq!(trip.steps, [Step::Login, Step::Login]);
    let page = trip.page();
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("The user name or password is wrong."),
        "{}",
        page.body
    );
    assert_eq!(session_cookie(&trip), None);
    // Still signed out: the next request shows the login page again.
    let again = b.authorize(&url(&s, &c), &Flow::default()).await;
    assert_eq!(again.steps, [Step::Login, Step::Consent]);
    assert!(again.callback().q("code").is_some());
    s.stop().await;
}

#[tokio::test]
async fn signed_in_browser_skips_the_login_page() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let b = Browser::new(&s);
    let first = b.authorize(&url(&s, &c), &Flow::default()).await;
    assert_eq!(first.steps, [Step::Login, Step::Consent]);
    let second = b
        .authorize(
            &url(&s, &c),
            &Flow {
                password: "not used".into(),
                ..Flow::default()
            },
        )
        .await;
    assert_eq!(second.steps, [Step::Consent]);
    let code = second.callback().q("code").unwrap();
    assert_ne!(Some(code), first.callback().q("code"));
    assert_eq!(redeem(&s, &c, code).await["scope"], "read write");
    // Another browser has no session.
    let other = Browser::new(&s)
        .authorize(&url(&s, &c), &Flow::default())
        .await;
    assert_eq!(other.steps, [Step::Login, Step::Consent]);
    s.stop().await;
}

/// The CSRF token another browser got on `step`.
async fn foreign_csrf(s: &TestServer, c: &TestClient, step: Step) -> String {
    let trip = Browser::new(s)
        .authorize(
            &url(s, c),
            &Flow {
                stop_at: Some(step),
                ..Flow::default()
            },
        )
        .await;
    assert_eq!(trip.steps.last(), Some(&step));
    trip.page().form().hidden("csrf_token").unwrap().to_owned()
}

#[tokio::test]
async fn login_form_without_or_with_a_foreign_csrf_token_is_forbidden_rfc6749_10_12() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let foreign = foreign_csrf(&s, &c, Step::Login).await;
    for csrf in [Csrf::Drop, Csrf::Set(String::new()), Csrf::Set(foreign)] {
        let b = Browser::new(&s);
        let trip = b
            .authorize(
                &url(&s, &c),
                &Flow {
                    login_csrf: csrf.clone(),
                    ..Flow::default()
                },
            )
            .await;
        assert_eq!(trip.steps, [Step::Login], "{csrf:?}");
        assert_forbidden(&trip);
        assert_eq!(session_cookie(&trip), None, "{csrf:?}");
        let next = b.authorize(&url(&s, &c), &Flow::default()).await;
        assert_eq!(
            next.steps,
            [Step::Login, Step::Consent],
            "{csrf:?}: no session was started"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn permissions_form_without_or_with_a_foreign_csrf_token_is_forbidden_rfc6749_10_12() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let foreign = foreign_csrf(&s, &c, Step::Consent).await;
    let b = Browser::new(&s);
    for csrf in [Csrf::Drop, Csrf::Set(String::new()), Csrf::Set(foreign)] {
        let trip = b
            .authorize(
                &url(&s, &c),
                &Flow {
                    consent_csrf: csrf.clone(),
                    ..Flow::default()
                },
            )
            .await;
        assert_eq!(trip.steps.last(), Some(&Step::Consent), "{csrf:?}");
        assert_forbidden(&trip);
    }
    // With its own token the same browser gets its code.
    let ok = b.authorize(&url(&s, &c), &Flow::default()).await;
    assert_eq!(ok.steps, [Step::Consent]);
    assert!(ok.callback().q("code").is_some());
    s.stop().await;
}

fn assert_page_headers(page: &Page, what: &str) {
    assert_eq!(page.header("x-frame-options"), Some("DENY"), "{what}");
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.split(';').any(|d| d.trim() == "frame-ancestors 'none'"),
        "{what}: {csp}"
    );
    assert_eq!(page.header("cache-control"), Some("no-store"), "{what}");
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{what}"
    );
}

#[tokio::test]
async fn pages_forbid_framing_and_caching_rfc6749_10_13() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let b = Browser::new(&s);
    let login = b
        .authorize(
            &url(&s, &c),
            &Flow {
                stop_at: Some(Step::Login),
                ..Flow::default()
            },
        )
        .await;
    assert_page_headers(login.page(), "login page");
    let consent = b
        .authorize(
            &url(&s, &c),
            &Flow {
                stop_at: Some(Step::Consent),
                ..Flow::default()
            },
        )
        .await;
    assert_eq!(consent.steps, [Step::Login, Step::Consent]);
    assert_page_headers(consent.page(), "permissions page");
    let bad = authorize_url(&s, &[("response_type", "code"), ("client_id", "nobody")]);
    let End::Page(error) = b.get(&bad, &mut Vec::new()).await else {
        panic!("no error page")
    };
    assert_eq!(error.status, 400);
    assert_page_headers(&error, "error page");
    let End::Page(logout) = b.get(&s.url(LOGOUT_PATH), &mut Vec::new()).await else {
        panic!("no logout page")
    };
    assert_page_headers(&logout, "logout page");
    s.stop().await;
}

/// The attributes of a `Set-Cookie` header, lower-cased.
fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let trip = Browser::new(&s)
        .authorize(&url(&s, &c), &Flow::default())
        .await;
    let session = session_cookie(&trip).expect("a session cookie after login");
    let login_csrf = trip
        .set_cookies
        .iter()
        .find(|c| c.starts_with("fg_login_csrf="))
        .unwrap();
    for cookie in [session, login_csrf.as_str()] {
        let attrs = attributes(cookie);
        assert!(attrs.iter().any(|a| a == "httponly"), "{cookie}");
        assert!(attrs.iter().any(|a| a == "samesite=lax"), "{cookie}");
        assert!(
            attrs.iter().any(|a| a == "path=/integration/rest/oauth"),
            "{cookie}"
        );
    }
    assert!(session.len() > "fg_session=".len() + 30, "{session}");
    s.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let b = Browser::new(&s);
    assert_eq!(
        b.authorize(&url(&s, &c), &Flow::default()).await.steps,
        [Step::Login, Step::Consent]
    );
    let mut cookies = Vec::new();
    let End::Page(page) = b.get(&s.url(LOGOUT_PATH), &mut cookies).await else {
        panic!("no logout page")
    };
    assert_eq!(page.status, 200);
    let form = page.form();
    assert_eq!(form.action, LOGOUT_PATH);
    let csrf = form.hidden("csrf_token").unwrap().to_owned();
    // Without (or with a wrong) token the session stays.
    for fields in [vec![], vec![("csrf_token".to_owned(), "x".repeat(43))]] {
        let End::Page(refused) = b.post(LOGOUT_PATH, &fields, &mut cookies).await else {
            panic!()
        };
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(
            b.authorize(&url(&s, &c), &Flow::default()).await.steps,
            [Step::Consent]
        );
    }
    let End::Page(done) = b
        .post(LOGOUT_PATH, &[("csrf_token".into(), csrf)], &mut cookies)
        .await
    else {
        panic!()
    };
    assert_eq!(done.status, 200);
    assert!(done.body.contains("You are signed out."), "{}", done.body);
    let after = b.authorize(&url(&s, &c), &Flow::default()).await;
    assert_eq!(after.steps, [Step::Login, Step::Consent]);
    assert!(after.callback().q("code").is_some());
    s.stop().await;
}

/// An error page: 400, HTML, no redirect to anyone.
async fn assert_error_page(s: &TestServer, params: &[(&str, &str)]) {
    let r = s.http.get(authorize_url(s, params)).send().await.unwrap();
    assert_eq!(r.status(), 400, "{params:?}");
    assert!(r.headers().get("location").is_none(), "{params:?}");
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "{ct}");
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("app.example.com") && !body.contains("evil.example"),
        "{body}"
    );
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_shows_an_error_page_rfc6749_4_1_2_1() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let base = [("response_type", "code"), ("state", "st")];
    for uri in [
        "https://evil.example.com/cb",
        "https://app.example.com/cb/x",
        "https://app.example.com/cb?x=1",
        "http://app.example.com/cb",
        "https://app.example.com/CB",
    ] {
        let mut p = base.to_vec();
        p.extend([("client_id", c.id.as_str()), ("redirect_uri", uri)]);
        assert_error_page(&s, &p).await;
    }
    let mut unknown = base.to_vec();
    unknown.extend([
        ("client_id", "no-such-client"),
        ("redirect_uri", REDIRECT_URI),
    ]);
    assert_error_page(&s, &unknown).await;
    let several = s
        .client(json!({ "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT_URI, "https://app.example.com/b"] }))
        .await;
    assert_error_page(&s, &[("response_type", "code"), ("client_id", &several.id)]).await;
    let off = ClientInput {
        active: Some(false),
        ..ClientInput::default()
    };
    s.app.update_client("test", &c.id, off).await.unwrap();
    let mut inactive = base.to_vec();
    inactive.extend([("client_id", c.id.as_str()), ("redirect_uri", REDIRECT_URI)]);
    assert_error_page(&s, &inactive).await;
    let mut missing = base.to_vec();
    missing.push(("redirect_uri", REDIRECT_URI));
    assert_error_page(&s, &missing).await;
    s.stop().await;
}
