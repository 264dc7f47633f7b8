//! Redirect-based attacks: the authorization server used as an open
//! redirector, and redirect URIs manipulated to send the answer elsewhere.

use crate::authorization_code::setup;
use crate::console;
use crate::support::{ADMIN_PASSWORD, REDIRECT_URI, TestServer};
use crate::user_agent::{Browser, End, Flow, PASSWORD, Step, USER, authorize_url};
use flowgate::domain::ClientInput;
use serde_json::json;

/// An error page: 400, HTML, no redirect to anyone, no URI of the request
/// shown as a link.
async fn assert_error_page(s: &TestServer, params: &[(&str, &str)]) {
    let r = s.http.get(authorize_url(s, params)).send().await.unwrap();
    assert_error_response(r, &format!("{params:?}")).await;
}

async fn assert_error_response(r: reqwest::Response, what: &str) {
    assert_eq!(r.status(), 400, "{what}");
    assert!(r.headers().get("location").is_none(), "{what}");
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "{what}: {ct}");
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("app.example.com") && !body.contains("evil.example"),
        "{what}: {body}"
    );
}

/// Open redirector (RFC 9700 §4.11.2): an unverified client or redirect URI
/// gets an error page, at the authorization endpoint and at the login
/// form; sign-ins send the browser back to this server only.
#[tokio::test]
async fn open_redirector_at_authorize_error_and_login_pages_rfc9700_4_11_2() {
    let (s, c) = setup(json!({ "grant_types": ["authorization_code"] })).await;
    let base = [("response_type", "code"), ("state", "st")];
    let mut unknown = base.to_vec();
    unknown.extend([
        ("client_id", "no-such-client"),
        ("redirect_uri", REDIRECT_URI),
    ]);
    assert_error_page(&s, &unknown).await;
    let mut foreign = base.to_vec();
    foreign.extend([
        ("client_id", c.id.as_str()),
        ("redirect_uri", "https://evil.example/cb"),
    ]);
    assert_error_page(&s, &foreign).await;
    let mut missing = base.to_vec();
    missing.push(("redirect_uri", REDIRECT_URI));
    assert_error_page(&s, &missing).await;
    let several = s
        .client(json!({ "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT_URI, "https://app.example.com/b"] }))
        .await;
    assert_error_page(&s, &[("response_type", "code"), ("client_id", &several.id)]).await;

    // The login form carries the request along: tampering with it there
    // gets the same error page, with or without the right password.
    let b = Browser::new(&s);
    let good = authorize_url(
        &s,
        &[
            ("response_type", "code"),
            ("client_id", c.id.as_str()),
            ("scope", "read"),
        ],
    );
    let stop = Flow {
        stop_at: Some(Step::Login),
        ..Flow::default()
    };
    let form = b.authorize(&good, &stop).await.page().form();
    for (field, value) in [
        ("redirect_uri", "https://evil.example/cb"),
        ("redirect_uri", "//evil.example/cb"),
        ("client_id", "no-such-client"),
    ] {
        for password in [PASSWORD, "wrong"] {
            let mut fields: Vec<_> = form
                .hidden
                .iter()
                .filter(|(n, _)| n != field)
                .cloned()
                .collect();
            fields.push((field.into(), value.into()));
            fields.push(("username".into(), USER.into()));
            fields.push(("password".into(), password.into()));
            let r = b
                .http
                .post(s.url(&form.action))
                .form(&fields)
                .send()
                .await
                .unwrap();
            let what = format!("login form with {field}={value}, password {password}");
            assert!(r.headers().get("set-cookie").is_none(), "{what}");
            assert_error_response(r, &what).await;
        }
    }
    // A sign-in answers with a path on this server, whatever host the
    // browser used and whatever else the form carried.
    let mut fields = form.hidden.clone();
    fields.extend([
        ("username".to_owned(), USER.to_owned()),
        ("password".to_owned(), PASSWORD.to_owned()),
        ("next".to_owned(), "https://evil.example/".to_owned()),
    ]);
    let r = b
        .http
        .post(s.url(&form.action))
        .header("host", "evil.example")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("/integration/rest/oAuth/authorize?") && !location.contains("evil"),
        "{location}"
    );

    // So does the permissions form, even towards another registered URI:
    // the form is sealed to the request it was shown for.
    let b = Browser::new(&s);
    let p = [
        ("response_type", "code"),
        ("client_id", several.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "read write"),
    ];
    let stop = Flow {
        stop_at: Some(Step::Consent),
        ..Flow::default()
    };
    let form = b
        .authorize(&authorize_url(&s, &p), &stop)
        .await
        .page()
        .form();
    for target in ["https://evil.example/cb", "https://app.example.com/b"] {
        let mut fields: Vec<_> = form
            .hidden
            .iter()
            .filter(|(n, _)| n != "redirect_uri")
            .cloned()
            .collect();
        fields.extend([
            ("redirect_uri".to_owned(), target.to_owned()),
            ("scope".to_owned(), "read".to_owned()),
            ("decision".to_owned(), "grant".to_owned()),
        ]);
        let r = b
            .http
            .post(s.url(&form.action))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_error_response(r, &format!("permissions form towards {target}")).await;
    }

    // The console's sign-in leads into the console, whatever it is asked.
    let admin = console::Browser::new(&s);
    let next = "/admin/login?next=https%3A%2F%2Fevil.example%2F&return_to=%2F%2Fevil.example";
    let token = console::csrf(&admin.page(next).await);
    let form = [
        ("csrf_token", token.as_str()),
        ("username", "admin"),
        ("password", ADMIN_PASSWORD),
    ];
    let r = admin.post_raw(next, &form).await;
    assert_eq!(r.status(), 303);
    assert_eq!(console::location(&r), "/admin/clients");

    // An inactive client is not trusted with its own registered URI.
    let off = ClientInput {
        active: Some(false),
        ..ClientInput::default()
    };
    s.app.update_client("test", &c.id, off).await.unwrap();
    let p = [
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    assert_error_page(&s, &p).await;
    s.stop().await;
}

/// Redirect URI manipulation (RFC 9700 §4.1): only the registered URI,
/// character for character, is redirected to (§4.1.3); the one exception is
/// the port of a loopback IP URI (RFC 8252 §7.3).
#[tokio::test]
async fn redirect_uri_prefix_suffix_userinfo_case_traversal_fragment_rfc9700_4_1() {
    let loopback = "http://127.0.0.1/cb";
    let (s, c) = setup(json!({
        "grant_types": ["authorization_code", "implicit"],
        "redirect_uris": [REDIRECT_URI, loopback],
    }))
    .await;
    let manipulated = [
        // prefix
        "https://app.example.com/c",
        "https://app.example.com/",
        "https://app.example.com",
        // suffix
        "https://app.example.com/cb/",
        "https://app.example.com/cb/x",
        "https://app.example.com/cbx",
        "https://app.example.com/cb?x=1",
        "https://app.example.com/cb?",
        "https://app.example.com/cb;x",
        "https://app.example.com.evil.example/cb",
        // userinfo
        "https://app.example.com@evil.example/cb",
        "https://app.example.com:443@evil.example/cb",
        "https://evil.example@app.example.com/cb",
        "https://user:pw@app.example.com/cb",
        // case
        "https://app.example.com/CB",
        "https://APP.example.com/cb",
        "HTTPS://app.example.com/cb",
        // path traversal and encodings
        "https://app.example.com/cb/../cb",
        "https://app.example.com/x/../cb",
        "https://app.example.com/cb/..%2fevil",
        "https://app.example.com/cb/%2e%2e/evil",
        "https://app.example.com/%63b",
        "https://app.example.com//cb",
        "https://app.example.com\\@evil.example/cb",
        // fragment
        "https://app.example.com/cb#",
        "https://app.example.com/cb#x",
        "https://app.example.com/cb#@evil.example",
        // scheme, port, whitespace
        "http://app.example.com/cb",
        "https://app.example.com:443/cb",
        "https://app.example.com:8443/cb",
        " https://app.example.com/cb",
        "https://app.example.com/cb ",
        "https://app.example.com/c\tb",
        "https://app.example.com/cb\n",
        // loopback: only the port may vary
        "http://127.0.0.1:5000/cb/../cb",
        "http://127.0.0.1:5000/cb#x",
        "http://127.0.0.1:5000/CB",
        "http://127.0.0.1:5000@evil.example/cb",
        "http://user@127.0.0.1:5000/cb",
        "http://localhost:5000/cb",
        "http://127.0.0.2:5000/cb",
        "HTTP://127.0.0.1:5000/cb",
    ];
    for uri in manipulated {
        for response_type in ["code", "token"] {
            let p = [
                ("response_type", response_type),
                ("client_id", c.id.as_str()),
                ("redirect_uri", uri),
                ("state", "st"),
            ];
            assert_error_page(&s, &p).await;
        }
    }
    // The registered URIs themselves, and another port on the loopback IP.
    for (uri, target) in [
        (REDIRECT_URI, REDIRECT_URI),
        (loopback, loopback),
        ("http://127.0.0.1:5000/cb", "http://127.0.0.1:5000/cb"),
    ] {
        let p = [
            ("response_type", "code"),
            ("client_id", c.id.as_str()),
            ("redirect_uri", uri),
            ("state", "st"),
        ];
        let trip = Browser::new(&s)
            .authorize(&authorize_url(&s, &p), &Flow::default())
            .await;
        let End::Redirect(cb) = &trip.end else {
            panic!("{uri}: {:?}", trip.end)
        };
        assert_eq!(cb.target(), target);
        assert!(cb.q("code").is_some(), "{uri}");
    }
    s.stop().await;
}
