//! A real flowgate on an ephemeral port with a database of its own (a
//! SQLite file, or a fresh PostgreSQL schema), plus the fixtures and HTTP
//! helpers the tests share.

use flowgate::app::App;
use flowgate::config::{Config, ServeArgs};
use flowgate::domain::{ClientInput, ScopeInput, UserInput};
use flowgate::server::Server;
use std::sync::Arc;
use tempfile::TempDir;

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const REDIRECT_URI: &str = "https://app.example.com/cb";

pub struct TestServer {
    pub base: String,
    pub app: Arc<App>,
    pub http: reqwest::Client,
    server: Option<Server>,
    _database: Database,
}

/// The database a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

tokio::task_local! {
    /// The backend of the servers a test starts; SQLite unless the test
    /// runs inside [`on_backend`].
    static BACKEND: Backend;
}

/// Runs `test` with every [`TestServer`] it starts on `backend`.
pub async fn on_backend<F: std::future::Future>(backend: Backend, test: F) -> F::Output {
    BACKEND.scope(backend, test).await
}

/// What keeps a test server's database alive until the test ends.
enum Database {
    Sqlite { _dir: TempDir },
    Postgres { _schema: crate::pg::PgSchemaGuard },
}

/// Declares each test twice, in a module named after it: `sqlite` and
/// `postgres` (which skips, saying why, where no PostgreSQL is configured).
/// The body is unchanged: the servers it starts use the module's backend.
macro_rules! on_both_backends {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn test() $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::support::on_backend($crate::support::Backend::Sqlite, test()).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::pg::configured() {
                    $crate::support::on_backend($crate::support::Backend::Postgres, test()).await
                }
            }
        }
    };
}
pub(crate) use on_both_backends;

/// A registered client as the tests hold it.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
}

impl TestServer {
    /// Starts a server with the standard scopes `read`, `write`, `profile`.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed its configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let (database_url, database) = match BACKEND.try_with(|b| *b) {
            Ok(Backend::Postgres) => {
                let (url, guard) = crate::pg::pg_test_url()
                    .await
                    .expect("PostgreSQL is configured for this test");
                (url, Database::Postgres { _schema: guard })
            }
            Ok(Backend::Sqlite) | Err(_) => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("fg.db").display());
                (url, Database::Sqlite { _dir: dir })
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = Config::resolve(ServeArgs {
            listen: Some(addr),
            database_url: Some(database_url),
            ..ServeArgs::default()
        })
        .unwrap();
        config.admin_password = Some(ADMIN_PASSWORD.into());
        adjust(&mut config);
        let server = Server::start_on(listener, config).await.unwrap();
        let base = format!("http://{}", server.addr);
        let app = server.app.clone();
        for (name, description) in [
            ("read", "Read your orders"),
            ("write", "Change your orders"),
            ("profile", "See your profile"),
        ] {
            app.create_scope(
                "test",
                ScopeInput {
                    name: Some(name.into()),
                    description: Some(description.into()),
                    services: None,
                },
            )
            .await
            .unwrap();
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestServer {
            base,
            app,
            http,
            server: Some(server),
            _database: database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn token_url(&self) -> String {
        self.url("/integration/rest/oAuth/getToken")
    }

    pub fn introspect_url(&self) -> String {
        self.url("/integration/rest/oAuth/introspect")
    }

    pub fn revoke_url(&self) -> String {
        self.url("/integration/rest/oAuth/revoke")
    }

    /// Registers a client; `fields` is admin API JSON merged over defaults
    /// (confidential, client_credentials, scopes read write profile).
    pub async fn client(&self, fields: serde_json::Value) -> TestClient {
        let mut body = serde_json::json!({
            "client_name": format!("client-{}", flowgate::crypto::random_id()),
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["client_credentials"],
            "scope": "read write profile",
        });
        if let (Some(b), Some(f)) = (body.as_object_mut(), fields.as_object()) {
            for (k, v) in f {
                b.insert(k.clone(), v.clone());
            }
        }
        let input: ClientInput = serde_json::from_value(body).unwrap();
        let (client, secret) = self.app.create_client("test", input).await.unwrap();
        TestClient {
            id: client.id,
            secret: secret.map(|s| s.expose().to_owned()),
        }
    }

    pub async fn user(&self, username: &str, password: &str) {
        self.app
            .create_user(
                "test",
                UserInput {
                    username: Some(username.into()),
                    password: Some(password.into()),
                    admin: Some(false),
                },
            )
            .await
            .unwrap();
    }

    /// POSTs a form with HTTP Basic client authentication.
    pub async fn post_basic(
        &self,
        url: &str,
        client: &TestClient,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(url)
            .basic_auth(&client.id, client.secret.as_deref())
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// POSTs a raw form body, no client authentication added.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(url).form(form).send().await.unwrap()
    }

    /// A client credentials token for `client` (Basic auth).
    pub async fn cc_token(&self, client: &TestClient, scope: &str) -> String {
        let r = self
            .post_basic(
                &self.token_url(),
                client,
                &[("grant_type", "client_credentials"), ("scope", scope)],
            )
            .await;
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Introspects `token` as `caller` and returns the JSON answer.
    pub async fn introspect(&self, caller: &TestClient, token: &str) -> serde_json::Value {
        let r = self
            .post_basic(&self.introspect_url(), caller, &[("token", token)])
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await.unwrap();
        }
    }
}

/// Asserts an RFC 6749 §5.2 error answer and returns its body.
pub async fn assert_oauth_error(
    r: reqwest::Response,
    status: u16,
    error: &str,
) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let cache = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(cache.as_deref(), Some("no-store"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}
