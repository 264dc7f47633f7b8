//! What the server writes to its log: never a secret (RFC 6819 §4.6.7,
//! token leakage via log files).

use crate::console;
use crate::process::{spawn_serve, terminate};
use crate::support::REDIRECT_URI;
use crate::user_agent::{AUTHORIZE_PATH, Browser, Flow, Step, Trip};
use oauth2::PkceCodeChallenge;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use std::sync::Arc;

const ADMIN_PASSWORD: &str = "admin-pw-Lq7e2Zr9-never-logged";
const USER_PASSWORD: &str = "user-pw-Xc81kVq3-never-logged";
const WRONG_PASSWORD: &str = "wrong-pw-Hk2pQ7s4-never-logged";
const WRONG_SECRET: &str = "fgcs_wrong-Tm4Rn8Wq2Zx6Bc0Dv3Fg5Hj7Kl9";

/// The secrets a flow handles, each with what it is.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, value: &str) {
        assert!(
            value.len() >= 20,
            "{what}: {value:?} is too short to look for"
        );
        self.0.push((what.to_owned(), value.to_owned()));
    }

    /// The values of the cookies in `trip`'s `Set-Cookie` headers.
    fn add_cookies(&mut self, trip: &Trip) {
        for c in &trip.set_cookies {
            let (name, rest) = c.split_once('=').unwrap();
            let value = rest.split(';').next().unwrap();
            if !value.is_empty() {
                self.add(&format!("cookie {name}"), value);
            }
        }
    }
}

async fn json_of(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "{}", r.url().clone());
    r.json().await.unwrap()
}

fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field}: {v}"))
        .to_owned()
}

/// Secrets in the logs (RFC 6819 §4.6.7): the real binary, logging at
/// debug level, runs every flow that handles a secret, and none of the
/// passwords, client secrets, tokens, codes, verifiers, session ids or CSRF
/// tokens involved appears in what it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let mut child = spawn_serve(dir.path(), |c| {
        c.args(["--log", "debug"])
            .env("FLOWGATE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stderr(stderr);
    });
    let base = format!("http://{}", child.addr);
    let url = |path: &str| format!("{base}{path}");
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let mut secrets = Secrets::default();
    secrets.add("admin password", ADMIN_PASSWORD);
    secrets.add("user password", USER_PASSWORD);
    secrets.add("wrong password", WRONG_PASSWORD);
    secrets.add("wrong client secret", WRONG_SECRET);
    let api = |method: reqwest::Method, path: &str| {
        http.request(method, url(&format!("/admin/api/v1{path}")))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
    };

    // The admin API: a user, a REST service, a scope and a client.
    let user = json!({ "username": "carol", "password": USER_PASSWORD, "admin": false });
    let r = api(reqwest::Method::POST, "/users").json(&user).send();
    json_of(r.await.unwrap(), 201).await;
    let upstream = crate::gateway::upstream().await;
    let service =
        json!({ "path": "api/echo", "kind": "rest", "upstream_url": format!("{upstream}/base") });
    let r = api(reqwest::Method::POST, "/services")
        .json(&service)
        .send();
    json_of(r.await.unwrap(), 201).await;
    let scope = json!({ "name": "api", "description": "The API", "services": ["api"] });
    let r = api(reqwest::Method::POST, "/scopes").json(&scope).send();
    json_of(r.await.unwrap(), 201).await;
    let client = json!({
        "client_name": "Logs",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "scope": "api",
        "refresh_count": -1,
    });
    let r = api(reqwest::Method::POST, "/clients").json(&client).send();
    let client = json_of(r.await.unwrap(), 201).await;
    let id = text(&client, "client_id");
    let mut secret = text(&client, "client_secret");
    secrets.add("client secret", &secret);
    let token = |form: Vec<(&'static str, String)>, secret: String| {
        http.post(url("/integration/rest/oAuth/getToken"))
            .basic_auth(&id, Some(secret))
            .form(&form)
            .send()
    };

    // Client credentials, and a wrong secret.
    let form = vec![("grant_type", "client_credentials".to_owned())];
    let cc = json_of(token(form.clone(), secret.clone()).await.unwrap(), 200).await;
    secrets.add("client credentials token", &text(&cc, "access_token"));
    let r = token(form, WRONG_SECRET.to_owned()).await.unwrap();
    assert_eq!(r.status(), 401);

    // The code flow with PKCE through the pages: a wrong password first.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    secrets.add("code verifier", verifier.secret());
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "api"),
            ("state", "st"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let authorize = url(&format!("{AUTHORIZE_PATH}?{query}"));
    let b = Browser::at(&base, Arc::default());
    let carol = |password: &str, stop_at: Option<Step>| Flow {
        username: "carol".into(),
        password: password.into(),
        stop_at,
        ..Flow::default()
    };
    let wrong = b.authorize(&authorize, &carol(WRONG_PASSWORD, None)).await;
    assert_eq!(wrong.steps, [Step::Login, Step::Login]);
    secrets.add_cookies(&wrong);
    let consent = b
        .authorize(&authorize, &carol(USER_PASSWORD, Some(Step::Consent)))
        .await;
    assert_eq!(consent.steps, [Step::Login, Step::Consent]);
    secrets.add_cookies(&consent);
    let csrf = consent
        .page()
        .form()
        .hidden("csrf_token")
        .unwrap()
        .to_owned();
    secrets.add("permissions CSRF token", &csrf);
    let granted = b.authorize(&authorize, &carol(USER_PASSWORD, None)).await;
    secrets.add_cookies(&granted);
    let code = granted.callback().q("code").unwrap().to_owned();
    secrets.add("authorization code", &code);

    // Code exchange, refresh, introspection.
    let form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.clone()),
        ("redirect_uri", REDIRECT_URI.to_owned()),
        ("code_verifier", verifier.secret().clone()),
    ];
    let first = json_of(token(form.clone(), secret.clone()).await.unwrap(), 200).await;
    secrets.add("access token", &text(&first, "access_token"));
    secrets.add("refresh token", &text(&first, "refresh_token"));
    let refresh = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", text(&first, "refresh_token")),
    ];
    let second = json_of(token(refresh, secret.clone()).await.unwrap(), 200).await;
    let access = text(&second, "access_token");
    let refresh = text(&second, "refresh_token");
    secrets.add("refreshed access token", &access);
    secrets.add("rotated refresh token", &refresh);
    let r = http
        .post(url("/integration/rest/oAuth/introspect"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", access.as_str())])
        .send();
    assert_eq!(json_of(r.await.unwrap(), 200).await["active"], true);

    // The protected service, and the token refused in its query.
    let r = http
        .post(url("/integration/rest/run/api/echo"))
        .bearer_auth(&access)
        .json(&json!({ "order": 1 }))
        .send();
    json_of(r.await.unwrap(), 200).await;
    let r = http
        .get(url(&format!(
            "/integration/rest/run/api/echo?access_token={access}"
        )))
        .send();
    assert_eq!(r.await.unwrap().status(), 400);

    // "Add New Token", a secret rotation, and the console.
    let mint = json!({ "client_id": id, "scope": "api", "expires_in": 600 });
    let r = api(reqwest::Method::POST, "/tokens").json(&mint).send();
    secrets.add(
        "added token",
        &text(&json_of(r.await.unwrap(), 201).await, "access_token"),
    );
    let r = api(reqwest::Method::POST, &format!("/clients/{id}/secret")).send();
    secret = text(&json_of(r.await.unwrap(), 200).await, "client_secret");
    secrets.add("rotated client secret", &secret);
    let admin = console::Browser::new_at(&base);
    let login_csrf = console::csrf(&admin.page("/admin/login").await);
    secrets.add("console login CSRF token", &login_csrf);
    let r = admin.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 303);
    let session = console::session_cookie(&r);
    let session = session
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1;
    secrets.add("console session", session);
    let page = admin.page("/admin/clients").await;
    secrets.add("console CSRF token", &console::csrf(&page));

    // Revocation, then the code replayed.
    for t in [&access, &refresh] {
        let r = http
            .post(url("/integration/rest/oAuth/revoke"))
            .basic_auth(&id, Some(&secret))
            .form(&[("token", t.as_str())])
            .send();
        assert_eq!(r.await.unwrap().status(), 200);
    }
    let r = token(form, secret.clone()).await.unwrap();
    assert_eq!(r.status(), 400);

    terminate(&mut child.process);
    let mut log = child.printed.clone();
    log.extend(child.output.lock().unwrap().iter());
    log.extend(
        std::fs::read_to_string(dir.path().join("stderr.log"))
            .unwrap()
            .lines()
            .map(str::to_owned),
    );
    assert!(
        log.iter().any(|l| l.contains("\"level\":\"DEBUG\"")),
        "the log is at debug level: {log:#?}"
    );
    let mut found = Vec::new();
    for (what, value) in &secrets.0 {
        for line in log.iter().filter(|l| l.contains(value.as_str())) {
            found.push(format!("{what}: {line}"));
        }
    }
    assert!(
        found.is_empty(),
        "secrets in the log:\n{}",
        found.join("\n")
    );
}
