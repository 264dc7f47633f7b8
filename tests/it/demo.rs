//! Demo mode (`serve --demo`): the seeded client, user, scope and services,
//! the callback page and the echo upstream.

use crate::support::{TestClient, TestServer};
use crate::user_agent::{Browser, Flow, authorize_url};
use flowgate::demo;
use serde_json::{Value, json};

async fn demo_server() -> (TestServer, TestClient) {
    let s = TestServer::start_with(|c| c.demo = true).await;
    // The server seeded at start; seeding again rotates the secret, which
    // the test needs to know.
    let seeded = demo::seed(&s.app).await.unwrap();
    let client = TestClient {
        id: seeded.id,
        secret: Some(seeded.secret.expose().to_owned()),
    };
    (s, client)
}

async fn hello(s: &TestServer, token: &str, body: Value) -> Value {
    let r = s
        .http
        .post(s.url("/integration/rest/run/demo/hello"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_demo_client_gets_a_token_and_greets_by_name() {
    let (s, c) = demo_server().await;
    let token = s.cc_token(&c, "demo").await;
    let out = hello(&s, &token, json!({"name": "Ada"})).await;
    let greeting = out["greeting"].as_str().unwrap();
    assert!(greeting.starts_with("Hello, Ada!"), "{greeting}");
    assert!(greeting.contains(&c.id), "{greeting}");
    assert!(greeting.contains("no user"), "{greeting}");
    let out = hello(&s, &token, json!({})).await;
    assert!(
        out["greeting"]
            .as_str()
            .unwrap()
            .starts_with("Hello, stranger!")
    );
    s.stop().await;
}

#[tokio::test]
async fn the_demo_user_signs_in_and_refreshes() {
    let (s, c) = demo_server().await;
    let r = s
        .post_basic(
            &s.token_url(),
            &c,
            &[
                ("grant_type", "password"),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("scope", "demo"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let out = hello(&s, token, json!({"name": "Ada"})).await;
    let greeting = out["greeting"].as_str().unwrap();
    assert!(greeting.contains("signed in as demo"), "{greeting}");
    assert!(body.get("refresh_token").is_none());
    s.stop().await;
}

#[tokio::test]
async fn the_code_flow_lands_on_the_callback_page_and_refreshes() {
    let (s, c) = demo_server().await;
    let redirect = demo::redirect_uri(&s.base);
    let params = [
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("scope", "demo"),
        ("state", "demo-state"),
    ];
    let flow = Flow {
        username: demo::USERNAME.into(),
        password: demo::PASSWORD.into(),
        ..Flow::default()
    };
    let trip = Browser::new(&s)
        .authorize(&authorize_url(&s, &params), &flow)
        .await;
    // The redirect URI is on the server itself: the browser lands on the
    // callback page, which shows the code, the state and the command.
    let page = trip.page();
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(body.contains("demo-state"), "{body}");
    assert!(body.contains("grant_type=authorization_code"), "{body}");
    let code = body
        .split("<code id=\"code\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap()
        .to_owned();
    let r = s
        .post_basic(
            &s.token_url(),
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &redirect),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let out = hello(
        &s,
        body["access_token"].as_str().unwrap(),
        json!({"name": "Ada"}),
    )
    .await;
    assert!(
        out["greeting"]
            .as_str()
            .unwrap()
            .contains("signed in as demo")
    );
    let refresh = body["refresh_token"].as_str().unwrap();
    let r = s
        .post_basic(
            &s.token_url(),
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_eq!(r.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn the_echo_service_answers_through_the_gateway() {
    let (s, c) = demo_server().await;
    let token = s.cc_token(&c, "demo").await;
    let r = s
        .http
        .post(s.url("/integration/rest/run/demo/echo/some/where?x=1"))
        .bearer_auth(&token)
        .body("ping")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["method"], "POST");
    assert_eq!(out["path"], "/demo/echo/some/where");
    assert_eq!(out["query"], "x=1");
    assert_eq!(out["body"], "ping");
    s.stop().await;
}

#[tokio::test]
async fn the_callback_page_shows_the_code_and_the_command() {
    let (s, c) = demo_server().await;
    let r = s
        .http
        .get(s.url("/demo/callback?code=abc%3Cb%3E&state=xyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("abc&#60;b&#62;") || page.contains("abc&lt;b&gt;"),
        "{page}"
    );
    assert!(!page.contains("abc<b>"), "{page}");
    assert!(page.contains("xyz"));
    assert!(page.contains("curl"));
    assert!(page.contains(&c.id));
    assert!(page.contains("grant_type=authorization_code"));
    let r = s
        .http
        .get(s.url("/demo/callback?error=access_denied&state=xyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("access_denied"));
    s.stop().await;
}

#[tokio::test]
async fn seeding_is_idempotent_and_rotates_the_secret() {
    let (s, first) = demo_server().await;
    let second = demo::seed(&s.app).await.unwrap();
    assert_eq!(second.id, first.id);
    let clients = s.app.list_clients(1000, 0).await.unwrap();
    let named = clients
        .iter()
        .filter(|c| c.spec.name == demo::CLIENT_NAME)
        .count();
    assert_eq!(named, 1);
    let services = s.app.list_services().await.unwrap();
    assert_eq!(
        services
            .iter()
            .filter(|x| x.path.starts_with("demo/"))
            .count(),
        2
    );
    // The old secret stopped working; the new one works.
    let r = s
        .post_basic(
            &s.token_url(),
            &first,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.status(), 401);
    let fresh = TestClient {
        id: second.id,
        secret: Some(second.secret.expose().to_owned()),
    };
    s.cc_token(&fresh, "demo").await;
    s.stop().await;
}

#[tokio::test]
async fn demo_routes_exist_only_in_demo_mode() {
    let s = TestServer::start().await;
    let r = s
        .http
        .get(s.url("/demo/callback?code=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(s.app.get_service(demo::HELLO_SERVICE).await.is_err());
    s.stop().await;
}

#[test]
fn help_lists_the_demo_flag() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowgate"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--demo"), "{text}");
    assert!(text.contains("FLOWGATE_DEMO"), "{text}");
}
