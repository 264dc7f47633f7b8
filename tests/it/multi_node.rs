//! Two `flowgate serve` processes, nodes A and B, on one PostgreSQL schema,
//! as a deployment behind a load balancer runs them (DESIGN §7): what one
//! node issues, revokes or starts the other honours; single-use steps
//! happen once across both ([`single_use`]); and a database outage is
//! answered with 503 and survived without a restart ([`outage`]).

mod outage;
mod single_use;

use crate::process::{Child, spawn_serve};
use crate::support::{ADMIN_PASSWORD, REDIRECT_URI, TestClient};
use crate::user_agent::{AUTHORIZE_PATH, Browser, End, Flow, PASSWORD, Step, USER};
use oauth2::basic::BasicClient;
use oauth2::{AuthorizationCode, ClientId, ClientSecret, RedirectUrl, TokenResponse, TokenUrl};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "/integration/rest/oAuth/getToken";
const INTROSPECT: &str = "/integration/rest/oAuth/introspect";
const REVOKE: &str = "/integration/rest/oAuth/revoke";
/// The flow service the tests call, and the scope that grants it.
const SERVICE: &str = "orders/echo";
const SCOPE: &str = "orders";
/// How soon every node honours a change made on another (DESIGN §7).
const PROPAGATION: Duration = Duration::from_secs(1);

/// One `flowgate serve` process; killed when dropped.
struct Node {
    base: String,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl Node {
    async fn start(database_url: String, args: &[&str]) -> Node {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        // Blocking: it waits for the child's log line.
        tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().unwrap();
            let child = spawn_serve(dir.path(), |c| {
                c.arg("--database-url")
                    .arg(&database_url)
                    .args(&args)
                    .env("FLOWGATE_ADMIN_PASSWORD", ADMIN_PASSWORD);
            });
            Node {
                base: format!("http://{}", child.addr),
                _child: child,
                _dir: dir,
            }
        })
        .await
        .unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Nodes A and B, started together, with the flow service, its scope and
/// the user registered through A's admin API.
struct Cluster {
    a: Node,
    b: Node,
    /// Each request is bounded by a timeout: a hang fails the test.
    http: reqwest::Client,
}

impl Cluster {
    async fn start(url: &str, args: &[&str]) -> Cluster {
        Cluster::start_on(url, url, args).await
    }

    /// A on `url_a`, B on `url_b`: one database, reached two ways.
    async fn start_on(url_a: &str, url_b: &str, args: &[&str]) -> Cluster {
        let (a, b) = tokio::join!(
            Node::start(url_a.into(), args),
            Node::start(url_b.into(), args)
        );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let n = Cluster { a, b, http };
        let flow = json!({ "path": SERVICE, "kind": "flow", "definition": { "steps": [] } });
        n.admin(Method::POST, "/services", flow).await;
        let scope = json!({ "name": SCOPE, "description": "Your orders", "services": [SERVICE] });
        n.admin(Method::POST, "/scopes", scope).await;
        let user = json!({ "username": USER, "password": PASSWORD, "admin": false });
        n.admin(Method::POST, "/users", user).await;
        n
    }

    /// An admin API request to A (no body when `body` is null); asserts
    /// success and returns the JSON answer.
    async fn admin(&self, method: Method, path: &str, body: Value) -> Value {
        let mut r = self
            .http
            .request(method, self.a.url(&format!("/admin/api/v1{path}")))
            .basic_auth("admin", Some(ADMIN_PASSWORD));
        if !body.is_null() {
            r = r.json(&body);
        }
        let r = r.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Registers a confidential client, `fields` over the defaults.
    async fn client(&self, fields: Value) -> TestClient {
        let mut body = json!({
            "client_name": format!("client-{}", flowgate::crypto::random_id()),
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["client_credentials"],
            "scope": SCOPE,
        });
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        let c = self.admin(Method::POST, "/clients", body).await;
        TestClient {
            id: c["client_id"].as_str().unwrap().to_owned(),
            secret: c["client_secret"].as_str().map(str::to_owned),
        }
    }

    /// POSTs a form to `node` with HTTP Basic client authentication.
    async fn post(
        &self,
        node: &Node,
        path: &str,
        c: &TestClient,
        form: &[(&str, &str)],
    ) -> Response {
        self.http
            .post(node.url(path))
            .basic_auth(&c.id, c.secret.as_deref())
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn cc_token(&self, node: &Node, c: &TestClient) -> String {
        let r = self
            .post(node, TOKEN, c, &[("grant_type", "client_credentials")])
            .await;
        assert_eq!(r.status(), 200);
        json_of(r).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Whether `node` says `token` is active when `caller` asks.
    async fn active(&self, node: &Node, caller: &TestClient, token: &str) -> bool {
        let r = self
            .post(node, INTROSPECT, caller, &[("token", token)])
            .await;
        assert_eq!(r.status(), 200);
        json_of(r).await["active"].as_bool().unwrap()
    }

    /// The status of a call to the flow service on `node` with `token`.
    async fn run_service(&self, node: &Node, token: &str) -> u16 {
        let url = node.url(&format!("/integration/rest/run/{SERVICE}"));
        let r = self
            .http
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "n": 1 }));
        r.send().await.unwrap().status().as_u16()
    }

    async fn status(&self, node: &Node, path: &str) -> u16 {
        let r = self.http.get(node.url(path)).send().await.unwrap();
        r.status().as_u16()
    }

    fn authorize_url(&self, node: &Node, c: &TestClient) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", &c.id),
                ("redirect_uri", REDIRECT_URI),
                ("scope", SCOPE),
                ("state", "s1"),
            ])
            .finish();
        node.url(&format!("{AUTHORIZE_PATH}?{query}"))
    }
}

async fn json_of(r: Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}, not JSON: {text}"))
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
}

/// Polls `check` every 50 ms until it holds; the time since `since`.
/// Gives up 20 s after `since`: nothing here may hang.
async fn until(since: Instant, what: &str, check: impl AsyncFn() -> bool) -> Duration {
    loop {
        if check().await {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < Duration::from_secs(20),
            "{what}: not in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_token_issued_on_one_node_is_active_on_the_other() {
    let Some((url, _schema)) = crate::pg::pg_test_url().await else {
        return;
    };
    let n = Cluster::start(&url, &[]).await;
    let c = n.client(json!({})).await;
    let token = n.cc_token(&n.a, &c).await;
    let r = n.post(&n.b, INTROSPECT, &c, &[("token", &token)]).await;
    let answer = json_of(r).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(
        (str_of(&answer, "client_id"), str_of(&answer, "scope")),
        (c.id.as_str(), SCOPE)
    );
    assert_eq!(n.run_service(&n.b, &token).await, 200);
}

#[tokio::test]
async fn a_token_revoked_on_one_node_is_refused_by_the_other_within_a_second() {
    let Some((url, _schema)) = crate::pg::pg_test_url().await else {
        return;
    };
    let n = Cluster::start(&url, &[]).await;
    let c = n.client(json!({})).await;
    let token = n.cc_token(&n.a, &c).await;
    // B caches the token by using it.
    assert!(n.active(&n.b, &c, &token).await);
    assert_eq!(n.run_service(&n.b, &token).await, 200);

    let since = Instant::now();
    let r = n.post(&n.a, REVOKE, &c, &[("token", &token)]).await;
    assert_eq!(r.status(), 200);
    let took = until(since, "B refuses the revoked token", async || {
        !n.active(&n.b, &c, &token).await && n.run_service(&n.b, &token).await == 401
    })
    .await;
    eprintln!("revocation on A honoured by B after {took:?}");
    assert!(
        took < PROPAGATION,
        "B honoured the revocation after {took:?}"
    );
}

#[tokio::test]
async fn a_client_deactivated_on_one_node_is_refused_by_the_other_within_a_second() {
    let Some((url, _schema)) = crate::pg::pg_test_url().await else {
        return;
    };
    let n = Cluster::start(&url, &[]).await;
    let c = n.client(json!({})).await;
    let resource_server = n.client(json!({})).await;
    let token = n.cc_token(&n.a, &c).await;
    // B caches the token and the client by using them.
    assert!(n.active(&n.b, &resource_server, &token).await);
    n.cc_token(&n.b, &c).await;

    let since = Instant::now();
    let path = format!("/clients/{}", c.id);
    n.admin(Method::PATCH, &path, json!({ "active": false }))
        .await;
    let took = until(since, "B refuses the deactivated client", async || {
        let form = [("grant_type", "client_credentials")];
        n.post(&n.b, TOKEN, &c, &form).await.status() == 401
            && !n.active(&n.b, &resource_server, &token).await
    })
    .await;
    eprintln!("deactivation on A honoured by B after {took:?}");
    assert!(
        took < PROPAGATION,
        "B honoured the deactivation after {took:?}"
    );
}

#[tokio::test]
async fn a_login_session_started_on_one_node_continues_on_the_other() {
    let Some((url, _schema)) = crate::pg::pg_test_url().await else {
        return;
    };
    let n = Cluster::start(&url, &[]).await;
    let c = n
        .client(json!({ "grant_types": ["authorization_code"] }))
        .await;
    // One user agent: cookies are shared by host, whatever the port.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let (on_a, on_b) = (
        Browser::at(&n.a.base, jar.clone()),
        Browser::at(&n.b.base, jar),
    );
    let to_consent = Flow {
        stop_at: Some(Step::Consent),
        ..Flow::default()
    };
    let trip = on_a
        .authorize(&n.authorize_url(&n.a, &c), &to_consent)
        .await;
    assert_eq!(trip.steps, [Step::Login, Step::Consent]);
    let form = trip.page().form();

    // B knows the session: its permissions page, no login page.
    let mut cookies = Vec::new();
    let End::Page(page) = on_b.get(&n.authorize_url(&n.b, &c), &mut cookies).await else {
        panic!("B redirected instead of showing the permissions page");
    };
    assert_eq!(page.step(), Some(Step::Consent), "{}", page.body);
    // "Grant Access" on the form A rendered, sent to B.
    let mut fields = form.hidden.clone();
    let ticked = form.checkboxes.iter().filter(|(_, _, on)| *on);
    fields.extend(ticked.map(|(name, value, _)| (name.clone(), value.clone())));
    fields.push(("decision".into(), "grant".into()));
    let End::Redirect(callback) = on_b.post(&form.action, &fields, &mut cookies).await else {
        panic!("B did not redirect back to the client");
    };
    assert_eq!(callback.q("state"), Some("s1"));
    let code = callback.q("code").expect("a code").to_owned();

    let token = BasicClient::new(ClientId::new(c.id.clone()))
        .set_client_secret(ClientSecret::new(c.secret.clone().unwrap()))
        .set_token_uri(TokenUrl::new(n.b.url(TOKEN)).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap())
        .exchange_code(AuthorizationCode::new(code))
        .request_async(&n.http)
        .await
        .unwrap();
    assert!(n.active(&n.a, &c, token.access_token().secret()).await);
}
