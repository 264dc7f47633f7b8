//! Attacks on the HTML pages: cross-site request forgery on the login and
//! permissions forms, clickjacking and the other page headers, and
//! session fixation at sign-in.

use crate::authorization_code::setup;
use crate::authorization_pages::{session_cookie, url};
use crate::console::{self, CLIENT_FORM};
use crate::support::{ADMIN_PASSWORD, TestClient, TestServer};
use crate::user_agent::{Browser, Csrf, End, Flow, LOGOUT_PATH, Step, Trip, authorize_url, tags};
use reqwest::header::HeaderMap;
use serde_json::json;

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

fn assert_forbidden(trip: &Trip) {
    let page = trip.page();
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(page.step(), None, "{}", page.body);
    assert!(page.header("location").is_none());
}

/// CSRF on the login page (RFC 6749 §10.12, login CSRF): a login form
/// without this browser's token signs no one in.
#[tokio::test]
async fn csrf_on_login_page_rfc6749_10_12() {
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

/// CSRF on the permissions page (RFC 6749 §10.12): a grant without the
/// session's token issues nothing.
#[tokio::test]
async fn csrf_on_permissions_page_rfc6749_10_12() {
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

/// The headers and markup every HTML page owes its reader: no framing
/// (RFC 9700 §4.16), no referrer (§4.2.4), no caching, no sniffing, and a
/// CSP that no inline script or style could get past, with none in the page.
fn assert_page_hygiene(headers: &HeaderMap, body: &str, what: &str) {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_else(|| panic!("{what}: no {name}"))
    };
    assert!(header("content-type").starts_with("text/html"), "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header("cache-control"), "no-store", "{what}");
    let csp = header("content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for wanted in ["default-src 'none'", "frame-ancestors 'none'"] {
        assert!(directives.contains(&wanted), "{what}: {csp}");
    }
    assert!(
        !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
        "{what}: {csp}"
    );
    assert!(
        directives
            .iter()
            .all(|d| !d.starts_with("script-src") || d == &"script-src 'none'"),
        "{what}: {csp}"
    );
    for (tag, attrs) in tags(body) {
        assert!(tag != "script" && tag != "style", "{what}: <{tag}>");
        for (name, value) in attrs {
            assert!(
                name != "style" && !name.starts_with("on"),
                "{what}: <{tag} {name}>"
            );
            let value = value.unwrap_or_default().to_ascii_lowercase();
            assert!(!value.trim().starts_with("javascript:"), "{what}: {value}");
        }
    }
}

async fn check_response(r: reqwest::Response, what: &str) -> String {
    let headers = r.headers().clone();
    let body = r.text().await.unwrap();
    assert_page_hygiene(&headers, &body, what);
    body
}

fn check_end(end: &End, what: &str) {
    match end {
        End::Page(p) => assert_page_hygiene(&p.headers, &p.body, what),
        End::Redirect(cb) => panic!("{what}: redirected to {}", cb.url),
    }
}

/// Clickjacking (RFC 9700 §4.16) and the rest of the page hygiene, on every
/// HTML page a browser can reach: the authorization pages, their error and
/// sign-out pages, and the console, including the pages that show a secret.
#[tokio::test]
async fn clickjacking_headers_rfc9700_4_16() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let b = Browser::new(&s);
    let stop = |step| Flow {
        stop_at: Some(step),
        ..Flow::default()
    };
    check_end(
        &b.authorize(&url(&s, &c), &stop(Step::Login)).await.end,
        "login page",
    );
    let wrong = Flow {
        password: "wrong".into(),
        ..Flow::default()
    };
    let again = b.authorize(&url(&s, &c), &wrong).await;
    assert_eq!(again.steps, [Step::Login, Step::Login]);
    check_end(&again.end, "login page after a wrong password");
    let csrf = Flow {
        login_csrf: Csrf::Drop,
        ..Flow::default()
    };
    check_end(
        &b.authorize(&url(&s, &c), &csrf).await.end,
        "refused login form",
    );
    let consent = b.authorize(&url(&s, &c), &stop(Step::Consent)).await;
    assert_eq!(consent.steps, [Step::Login, Step::Consent]);
    check_end(&consent.end, "permissions page");
    let bad = authorize_url(&s, &[("response_type", "code"), ("client_id", "nobody")]);
    check_end(&b.get(&bad, &mut Vec::new()).await, "error page");
    let mut cookies = Vec::new();
    let logout = b.get(&s.url(LOGOUT_PATH), &mut cookies).await;
    check_end(&logout, "sign-out page");
    let End::Page(page) = &logout else {
        unreachable!()
    };
    let token = page.form().hidden("csrf_token").unwrap().to_owned();
    let done = b
        .post(LOGOUT_PATH, &[("csrf_token".into(), token)], &mut cookies)
        .await;
    check_end(&done, "signed-out page");
    check_end(
        &b.get(&s.url(LOGOUT_PATH), &mut cookies).await,
        "sign-out page, signed out",
    );

    let admin = console::Browser::new(&s);
    check_response(admin.get("/admin/login").await, "console login page").await;
    let r = admin.login("admin", "wrong").await;
    check_response(r, "console login page after a wrong password").await;
    let r = admin
        .post_raw("/admin/login", &[("username", "admin")])
        .await;
    assert_eq!(r.status(), 403);
    check_response(r, "refused console login form").await;
    let admin = console::Browser::admin(&s).await;
    let id = &c.id;
    let pages = [
        "/admin/clients".to_owned(),
        "/admin/clients/new".to_owned(),
        format!("/admin/clients/{id}"),
        format!("/admin/clients/{id}/edit"),
        format!("/admin/clients/{id}/delete"),
        "/admin/clients/no-such-client".to_owned(),
        "/admin/scopes".to_owned(),
        "/admin/scopes/read".to_owned(),
        "/admin/scopes/read/delete".to_owned(),
        "/admin/users".to_owned(),
        "/admin/users/alice".to_owned(),
        "/admin/users/alice/delete".to_owned(),
        "/admin/services".to_owned(),
        "/admin/tokens".to_owned(),
        "/admin/tokens/new".to_owned(),
        "/admin/audit".to_owned(),
    ];
    for path in &pages {
        check_response(admin.get(path).await, path).await;
    }
    // The pages that show a secret once.
    let mut fields = CLIENT_FORM.to_vec();
    fields.push(("grant_types", "client_credentials"));
    let r = admin.post("/admin/clients", &fields).await;
    assert_eq!(r.status(), 200);
    let body = check_response(r, "new client's secret").await;
    assert!(body.contains("fgcs_"), "{body}");
    let r = admin
        .post(&format!("/admin/clients/{id}/rotate"), &[("overlap", "0")])
        .await;
    assert_eq!(r.status(), 200);
    check_response(r, "rotated secret").await;
    let mint = [
        ("client_id", id.as_str()),
        ("scope", "read"),
        ("expires_in", "600"),
    ];
    let r = admin.post("/admin/tokens", &mint).await;
    assert_eq!(r.status(), 200);
    let body = check_response(r, "added token").await;
    assert!(body.contains("fgat_"), "{body}");
    let r = admin.post_raw("/admin/scopes", &[("name", "x")]).await;
    assert_eq!(r.status(), 403);
    check_response(r, "refused console form").await;
    s.stop().await;

    // The demo's callback page shows a code.
    let demo = TestServer::start_with(|config| config.demo = true).await;
    let r = demo
        .http
        .get(demo.url("/demo/callback?code=fgac_x&state=st"))
        .send()
        .await
        .unwrap();
    check_response(r, "demo callback page").await;
    demo.stop().await;
}

/// The session cookie value of a response, if it sets one.
fn set_session(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .find(|v| !v.is_empty())
}

/// Session fixation (OWASP ASVS 4.0 V3.2.1; no OAuth RFC covers it): each
/// sign-in starts a new session whose id the browser did not have before,
/// and the session it had before ends.
#[tokio::test]
async fn session_id_changes_on_login_asvs_3_2_1() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    // The authorization pages, driven by hand to choose the cookies sent.
    let login = |session: String| {
        let s = &s;
        let c = &c;
        async move {
            let r = s.http.get(url(s, c)).send().await.unwrap();
            let csrf_cookie = set_session(&r, "fg_login_csrf").unwrap();
            let page = r.text().await.unwrap();
            let form = crate::user_agent::forms(&page).remove(0);
            let mut fields = form.hidden.clone();
            fields.push(("username".into(), crate::user_agent::USER.into()));
            fields.push(("password".into(), crate::user_agent::PASSWORD.into()));
            let r = s
                .http
                .post(s.url(&form.action))
                .header(
                    "cookie",
                    format!("fg_login_csrf={csrf_cookie}; fg_session={session}"),
                )
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            set_session(&r, "fg_session").expect("a new session")
        }
    };
    // Whether `session` is signed in: the request shows the permissions page.
    let signed_in = |session: String| {
        let s = &s;
        let c = &c;
        async move {
            let r = s
                .http
                .get(url(s, c))
                .header("cookie", format!("fg_session={session}"))
                .send()
                .await
                .unwrap();
            r.text().await.unwrap().contains("name=\"decision\"")
        }
    };
    let planted = "fgs_chosen-by-the-attacker-0123456789abcdefghijk".to_owned();
    let first = login(planted.clone()).await;
    assert_ne!(first, planted);
    assert!(
        !signed_in(planted.clone()).await,
        "a planted id never becomes a session"
    );
    assert!(signed_in(first.clone()).await);
    let second = login(first.clone()).await;
    assert_ne!(second, first);
    assert!(!signed_in(first).await, "the previous session ended");
    assert!(signed_in(second).await);

    // The console.
    let console_login = |session: String| {
        let s = &s;
        async move {
            let r = s.http.get(s.url("/admin/login")).send().await.unwrap();
            let csrf_cookie = set_session(&r, "fg_admin_login_csrf").unwrap();
            let token = console::csrf(&r.text().await.unwrap());
            let form = [
                ("csrf_token", token.as_str()),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ];
            let r = s
                .http
                .post(s.url("/admin/login"))
                .header(
                    "cookie",
                    format!("fg_admin_login_csrf={csrf_cookie}; fg_admin_session={session}"),
                )
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            set_session(&r, "fg_admin_session").expect("a new console session")
        }
    };
    let console_signed_in = |session: String| {
        let s = &s;
        async move {
            let r = s
                .http
                .get(s.url("/admin/clients"))
                .header("cookie", format!("fg_admin_session={session}"))
                .send()
                .await
                .unwrap();
            r.status() == 200
        }
    };
    let first = console_login(planted.clone()).await;
    assert_ne!(first, planted);
    assert!(!console_signed_in(planted.clone()).await);
    assert!(console_signed_in(first.clone()).await);
    let second = console_login(first.clone()).await;
    assert_ne!(second, first);
    assert!(
        !console_signed_in(first).await,
        "the previous session ended"
    );
    assert!(console_signed_in(second).await);
    s.stop().await;
}
