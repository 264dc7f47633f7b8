//! The login and permissions pages (DESIGN.md §4) as a browser sees them:
//! the answers of the permissions form (RFC 6749 §4.1.2.1, §3.3), the
//! login session and signing out. Their defences against CSRF,
//! clickjacking, open redirection and session fixation are in the
//! security suite (`security::pages`, `security::redirects`).

use crate::authorization_code::{redeem, setup};
use crate::support::{REDIRECT_URI, TestClient, TestServer};
use crate::user_agent::{Browser, End, Flow, LOGOUT_PATH, Step, Trip, authorize_url};
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
pub(crate) fn url(s: &TestServer, c: &TestClient) -> String {
    let p = [
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "read write"),
        ("state", "st"),
    ];
    authorize_url(s, &p)
}

pub(crate) fn session_cookie(trip: &Trip) -> Option<&str> {
    trip.set_cookies
        .iter()
        .map(String::as_str)
        .find(|c| c.starts_with("fg_session="))
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
