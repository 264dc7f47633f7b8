//! Demo mode (`flowgate serve --demo`, DESIGN §1 and §8): seeds a client,
//! a user, a scope and two services, serves a callback page and an echo
//! upstream, and prints a walkthrough a newcomer can paste.
//!
//! Seeding is idempotent: what exists is kept (the REST service and the
//! client are brought back to the current public URL), except the client's
//! secret, which is shown only when made and so is rotated on every start.

use crate::app::{App, PageSettings};
use crate::crypto::Secret;
use crate::domain::{ClientInput, DomainError, ScopeInput, ServiceKind, UserInput};
use crate::oauth::metadata::{AUTHORIZE_PATH, TOKEN_PATH};
use crate::service::{Kind, ServiceInput};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Name of the seeded confidential client.
pub const CLIENT_NAME: &str = "flowgate demo";
/// The seeded user and its password.
pub const USERNAME: &str = "demo";
pub const PASSWORD: &str = "demo-password";
/// The seeded scope, covering the `demo` folder.
pub const SCOPE: &str = "demo";
/// The seeded flow service.
pub const HELLO_SERVICE: &str = "demo/hello";
/// The seeded REST service, forwarded to [`ECHO_PATH`].
pub const ECHO_SERVICE: &str = "demo/echo";
/// Where the callback page is served.
pub const CALLBACK_PATH: &str = "/demo/callback";
/// Where the built-in echo upstream is served.
pub const ECHO_PATH: &str = "/demo/echo";

/// Who the audit log names as the author of the seeding.
const ACTOR: &str = "demo";

/// The demo client with its freshly rotated secret.
#[derive(Debug)]
pub struct DemoClient {
    pub id: String,
    pub secret: Secret,
}

/// The callback page's redirect URI under `public_url`.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{public_url}{CALLBACK_PATH}")
}

/// The definition of `demo/hello`: greets `name` from the input and says
/// who called (the signed-in user, or only the client).
pub fn hello_definition() -> Value {
    json!({
        "steps": [
            {
                "type": "branch",
                "description": "a missing name still gets a greeting",
                "on": "name",
                "cases": [{"equals": null, "steps": [{"type": "map", "set": {"name": "stranger"}}]}]
            },
            {"type": "map", "set": {"user": "{{caller.subject}}"}},
            {
                "type": "branch",
                "on": "user",
                "cases": [{"equals": null, "steps": [{"type": "map", "set": {
                    "greeting": "Hello, {{name}}! You called as the client {{caller.client_id}}, with no user signed in."
                }}]}],
                "default": [{"type": "map", "set": {
                    "greeting": "Hello, {{name}}! You are signed in as {{user}}, calling through the client {{caller.client_id}}."
                }}]
            },
            {"type": "map", "drop": ["user"]}
        ]
    })
}

/// Seeds the demo data, skipping what exists, and rotates the demo
/// client's secret so that the caller can show a working one.
pub async fn seed(app: &App) -> Result<DemoClient, DomainError> {
    let public_url = app.settings.public_url.clone();
    let echo_url = format!("{public_url}{ECHO_PATH}");
    match app.get_service(HELLO_SERVICE).await {
        Ok(_) => {}
        Err(DomainError::NotFound(_)) => {
            app.create_service(
                ACTOR,
                ServiceInput {
                    path: Some(HELLO_SERVICE.into()),
                    kind: Some(Kind::Flow),
                    description: Some("Demo: greets the caller by name".into()),
                    definition: Some(hello_definition()),
                    ..ServiceInput::default()
                },
            )
            .await?;
        }
        Err(e) => return Err(e),
    }
    match app.get_service(ECHO_SERVICE).await {
        Ok(s) => {
            let current = matches!(&s.kind, ServiceKind::Rest { upstream_url, .. } if *upstream_url == echo_url);
            if !current {
                app.update_service(
                    ACTOR,
                    ECHO_SERVICE,
                    ServiceInput {
                        kind: Some(Kind::Rest),
                        upstream_url: Some(echo_url.clone()),
                        ..ServiceInput::default()
                    },
                )
                .await?;
            }
        }
        Err(DomainError::NotFound(_)) => {
            app.create_service(
                ACTOR,
                ServiceInput {
                    path: Some(ECHO_SERVICE.into()),
                    kind: Some(Kind::Rest),
                    description: Some("Demo: the built-in echo upstream".into()),
                    upstream_url: Some(echo_url.clone()),
                    ..ServiceInput::default()
                },
            )
            .await?;
        }
        Err(e) => return Err(e),
    }
    match app.get_scope(SCOPE).await {
        Ok(_) => {}
        Err(DomainError::NotFound(_)) => {
            app.create_scope(
                ACTOR,
                ScopeInput {
                    name: Some(SCOPE.into()),
                    description: Some("Use the demo services".into()),
                    services: Some(vec!["demo".into()]),
                },
            )
            .await?;
        }
        Err(e) => return Err(e),
    }
    match app.get_user(USERNAME).await {
        Ok(_) => {}
        Err(DomainError::NotFound(_)) => {
            app.create_user(
                ACTOR,
                UserInput {
                    username: Some(USERNAME.into()),
                    password: Some(PASSWORD.into()),
                    admin: Some(false),
                },
            )
            .await?;
        }
        Err(e) => return Err(e),
    }
    let redirect = redirect_uri(&public_url);
    match find_client(app).await? {
        Some(client) => {
            if !client.spec.redirect_uris.contains(&redirect) {
                app.update_client(
                    ACTOR,
                    &client.id,
                    ClientInput {
                        redirect_uris: Some(vec![redirect]),
                        ..ClientInput::default()
                    },
                )
                .await?;
            }
            let (client, secret) = app.rotate_client_secret(ACTOR, &client.id, 0).await?;
            Ok(DemoClient {
                id: client.id,
                secret,
            })
        }
        None => {
            let input = ClientInput {
                client_name: Some(CLIENT_NAME.into()),
                description: Some("Created by flowgate serve --demo".into()),
                redirect_uris: Some(vec![redirect]),
                grant_types: Some(
                    [
                        "authorization_code",
                        "implicit",
                        "client_credentials",
                        "password",
                        "refresh_token",
                    ]
                    .map(String::from)
                    .to_vec(),
                ),
                scope: Some(SCOPE.into()),
                refresh_count: Some(-1),
                ..ClientInput::default()
            };
            let (client, secret) = app.create_client(ACTOR, input).await?;
            let secret = match secret {
                Some(s) => s,
                None => app.rotate_client_secret(ACTOR, &client.id, 0).await?.1,
            };
            Ok(DemoClient {
                id: client.id,
                secret,
            })
        }
    }
}

/// The demo client, found by name.
async fn find_client(app: &App) -> Result<Option<crate::domain::Client>, DomainError> {
    const PAGE: u32 = 100;
    let mut offset = 0;
    loop {
        let page = app.list_clients(PAGE, offset).await?;
        if let Some(c) = page.iter().find(|c| c.spec.name == CLIENT_NAME) {
            return Ok(Some(c.clone()));
        }
        if page.len() < PAGE as usize {
            return Ok(None);
        }
        offset += PAGE;
    }
}

/// Quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The curl command exchanging `code` (uses `$CLIENT_SECRET`).
pub fn exchange_command(public_url: &str, client_id: &str, code: &str) -> String {
    format!(
        "curl -s -u \"{client_id}:$CLIENT_SECRET\" {public_url}{TOKEN_PATH} \\\n  -d grant_type=authorization_code \\\n  --data-urlencode code={} \\\n  --data-urlencode redirect_uri={}",
        shell_quote(code),
        shell_quote(&redirect_uri(public_url)),
    )
}

/// The walkthrough printed at start: bash a newcomer can paste.
pub fn walkthrough(public_url: &str, client: &DemoClient) -> String {
    let id = &client.id;
    let secret = client.secret.expose();
    let token_url = format!("{public_url}{TOKEN_PATH}");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", id)
        .append_pair("redirect_uri", &redirect_uri(public_url))
        .append_pair("scope", SCOPE)
        .append_pair("state", "demo-state")
        .finish();
    let authorize = format!("{public_url}{AUTHORIZE_PATH}?{query}");
    let exchange = exchange_command(public_url, id, "PASTE-THE-CODE-HERE");
    format!(
        r#"
Demo mode: seeded the client "{CLIENT_NAME}", the user {USERNAME} / {PASSWORD},
the scope {SCOPE} and the services {HELLO_SERVICE} (a flow) and {ECHO_SERVICE} (REST).
The client secret is new at every start. Paste into a shell:

export CLIENT_ID='{id}'
export CLIENT_SECRET='{secret}'

# 1. A token for the client itself (client credentials):
TOKEN=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" {token_url} \
  -d grant_type=client_credentials -d scope={SCOPE} | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
echo "$TOKEN"

# 2. Call the flow {HELLO_SERVICE}, and the REST service {ECHO_SERVICE}:
curl -s {public_url}/integration/rest/run/{HELLO_SERVICE} -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{{"name":"Ada"}}'
curl -s "{public_url}/integration/rest/run/{ECHO_SERVICE}/anything?x=1" -H "Authorization: Bearer $TOKEN"

# 3. A token for a user (authorization code): open this in a browser and
#    sign in as {USERNAME} / {PASSWORD}:
#    {authorize}
#    The callback page shows the code and the command to exchange it.

# 4. Exchange the code (it expires soon) for an access and a refresh token:
{exchange}

# 5. Refresh: paste the refresh_token from step 4:
curl -s -u "$CLIENT_ID:$CLIENT_SECRET" {token_url} \
  -d grant_type=refresh_token --data-urlencode refresh_token='PASTE-THE-REFRESH-TOKEN-HERE'
"#
    )
}

/// The demo routes: the callback page and the echo upstream.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(CALLBACK_PATH, get(callback))
        .route(ECHO_PATH, any(echo))
        .route("/demo/echo/{*rest}", any(echo))
}

#[derive(askama::Template)]
#[template(path = "demo_callback.html")]
struct CallbackPage<'a> {
    page: &'a PageSettings,
    code: Option<&'a str>,
    state: Option<&'a str>,
    error: Option<&'a str>,
    error_description: Option<&'a str>,
    command: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /demo/callback`: the demo client's redirect URI.
async fn callback(
    State(app): State<Arc<App>>,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let public_url = &app.settings.public_url;
    let command = match &q.code {
        Some(code) => {
            let id = match find_client(&app).await {
                Ok(Some(c)) => c.id,
                Ok(None) | Err(_) => "$CLIENT_ID".to_owned(),
            };
            Some(exchange_command(public_url, &id, code))
        }
        None => None,
    };
    let status = if q.error.is_some() || q.code.is_none() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    crate::web::pages::html(
        status,
        &CallbackPage {
            page: &app.settings.pages,
            code: q.code.as_deref(),
            state: q.state.as_deref(),
            error: q.error.as_deref(),
            error_description: q.error_description.as_deref(),
            command,
        },
    )
}

/// `ANY /demo/echo[/...]`: answers the request as JSON.
async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            )
        })
        .collect();
    Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn the_hello_definition_is_valid() {
        let input = ServiceInput {
            path: Some(HELLO_SERVICE.into()),
            kind: Some(Kind::Flow),
            definition: Some(hello_definition()),
            ..ServiceInput::default()
        };
        assert!(input.create(0, 0).is_ok());
    }
}
