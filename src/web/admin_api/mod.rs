//! The admin API at `/admin/api/v1/` (DESIGN §6): JSON over the same
//! [`App`] operations as the CLI. Callers authenticate with HTTP Basic as an
//! administrator, or with a bearer token carrying the `admin` scope.

use super::reply::Problem;
use crate::app::App;
use crate::crypto::Secret;
use crate::domain::scope::ADMIN_SCOPE;
use crate::domain::{ClientInput, DomainError, ScopeInput, TokenFilter, TokenState, UserInput};
use crate::service::{ClientView, UserView};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/clients", get(list_clients).post(create_client))
        .route(
            "/clients/{id}",
            get(get_client).patch(update_client).delete(delete_client),
        )
        .route("/clients/{id}/secret", post(rotate_secret))
        .route("/scopes", get(list_scopes).post(create_scope))
        .route(
            "/scopes/{name}",
            get(get_scope).patch(update_scope).delete(delete_scope),
        )
        .route("/users", get(list_users).post(create_user))
        .route(
            "/users/{username}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/tokens", get(list_tokens).post(mint_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
}

/// An authenticated administrator; the string is the audit actor.
pub struct Admin(String);

const CHALLENGE: &str = "Basic realm=\"flowgate admin\", charset=\"UTF-8\"";

fn unauthorized(detail: &str) -> Problem {
    Problem {
        challenge: Some(CHALLENGE),
        ..Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }
}

impl FromRequestParts<Arc<App>> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Problem> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthorized("administrator credentials are required"))?;
        if let Some(token) = header.strip_prefix("Bearer ") {
            let t = app
                .validate_access_token(token.trim())
                .await?
                .ok_or_else(|| unauthorized("the bearer token is not active"))?;
            if !t.scope.contains(ADMIN_SCOPE) {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "the token lacks the admin scope",
                ));
            }
            return Ok(Admin(format!("client:{}", t.client_id)));
        }
        let encoded = header
            .strip_prefix("Basic ")
            .ok_or_else(|| unauthorized("use HTTP Basic or a Bearer token"))?;
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| unauthorized("malformed Basic credentials"))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or_else(|| unauthorized("malformed Basic credentials"))?;
        match app
            .authenticate_user(username, &Secret::new(password))
            .await?
        {
            Some(user) if user.admin => Ok(Admin(format!("admin:{}", user.username))),
            Some(_) => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "the user is not an administrator",
            )),
            None => Err(unauthorized("wrong user name or password")),
        }
    }
}

/// A JSON body whose rejections are problem details, not plain text.
pub struct Body<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed",
                e.body_text(),
            )),
            Err(e) => Err(Problem::new(e.status(), "Bad request", e.body_text())),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    limit: u32,
    #[serde(default)]
    offset: u32,
}

fn page<T: serde::Serialize>(items: Vec<T>, p: &Page) -> Response {
    Json(serde_json::json!({ "items": items, "limit": p.limit, "offset": p.offset }))
        .into_response()
}

fn created<T: serde::Serialize>(location: String, body: T) -> Response {
    (
        StatusCode::CREATED,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        Json(body),
    )
        .into_response()
}

type Answer = Result<Response, Problem>;

async fn list_clients(_: Admin, State(app): State<Arc<App>>, Query(p): Query<Page>) -> Answer {
    let clients = app.list_clients(p.limit, p.offset).await?;
    Ok(page(
        clients.iter().map(|c| ClientView::of(c, None)).collect(),
        &p,
    ))
}

async fn create_client(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(input): Body<ClientInput>,
) -> Answer {
    let (client, secret) = app.create_client(&actor, input).await?;
    Ok(created(
        format!("/admin/api/v1/clients/{}", client.id),
        ClientView::of(&client, secret.as_ref()),
    ))
}

async fn get_client(_: Admin, State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    Ok(Json(ClientView::of(&app.get_client(&id).await?, None)).into_response())
}

async fn update_client(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(input): Body<ClientInput>,
) -> Answer {
    Ok(Json(ClientView::of(
        &app.update_client(&actor, &id, input).await?,
        None,
    ))
    .into_response())
}

async fn delete_client(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Answer {
    app.delete_client(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotation {
    /// Seconds the old secret keeps working.
    #[serde(default)]
    overlap_seconds: i64,
}

/// `POST /clients/{id}/secret`, with an optional `{"overlap_seconds": N}`.
async fn rotate_secret(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Answer {
    let overlap = if body.iter().all(u8::is_ascii_whitespace) {
        0
    } else {
        serde_json::from_slice::<Rotation>(&body)
            .map_err(|e| {
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation failed",
                    e.to_string(),
                )
            })?
            .overlap_seconds
    };
    let (client, secret) = app.rotate_client_secret(&actor, &id, overlap).await?;
    let mut response = Json(ClientView::of(&client, Some(&secret))).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn list_scopes(_: Admin, State(app): State<Arc<App>>) -> Answer {
    let scopes = app.list_scopes().await?;
    Ok(page(
        scopes,
        &Page {
            limit: 0,
            offset: 0,
        },
    ))
}

async fn create_scope(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(input): Body<ScopeInput>,
) -> Answer {
    let scope = app.create_scope(&actor, input).await?;
    Ok(created(
        format!("/admin/api/v1/scopes/{}", scope.name),
        scope,
    ))
}

async fn get_scope(_: Admin, State(app): State<Arc<App>>, Path(name): Path<String>) -> Answer {
    Ok(Json(app.get_scope(&name).await?).into_response())
}

async fn update_scope(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Body(input): Body<ScopeInput>,
) -> Answer {
    Ok(Json(app.update_scope(&actor, &name, input).await?).into_response())
}

async fn delete_scope(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Answer {
    app.delete_scope(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_users(_: Admin, State(app): State<Arc<App>>, Query(p): Query<Page>) -> Answer {
    let users = app.list_users(p.limit, p.offset).await?;
    Ok(page(users.iter().map(UserView::from).collect(), &p))
}

async fn create_user(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(input): Body<UserInput>,
) -> Answer {
    let user = app.create_user(&actor, input).await?;
    Ok(created(
        format!("/admin/api/v1/users/{}", user.username),
        UserView::from(&user),
    ))
}

async fn get_user(_: Admin, State(app): State<Arc<App>>, Path(username): Path<String>) -> Answer {
    Ok(Json(UserView::from(&app.get_user(&username).await?)).into_response())
}

async fn update_user(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
    Body(input): Body<UserInput>,
) -> Answer {
    Ok(Json(UserView::from(
        &app.update_user(&actor, &username, input).await?,
    ))
    .into_response())
}

async fn delete_user(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
) -> Answer {
    app.delete_user(&actor, &username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MintRequest {
    client_id: String,
    scope: Option<String>,
    /// Seconds; `-1` never expires; absent: the client's lifetime.
    expires_in: Option<i64>,
}

async fn mint_token(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(req): Body<MintRequest>,
) -> Answer {
    let minted = app
        .mint_token(&actor, &req.client_id, req.scope.as_deref(), req.expires_in)
        .await
        .map_err(|e| match e {
            DomainError::NotFound(_) => DomainError::invalid("client_id", "no such client"),
            e => e,
        })?;
    Ok(created(
        format!("/admin/api/v1/tokens/{}", minted.id),
        minted,
    ))
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    client_id: Option<String>,
    username: Option<String>,
    state: Option<String>,
    #[serde(default)]
    limit: u32,
    #[serde(default)]
    offset: u32,
}

async fn list_tokens(_: Admin, State(app): State<Arc<App>>, Query(q): Query<TokenQuery>) -> Answer {
    let state = match q.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(TokenState::parse(s).ok_or_else(|| {
            DomainError::invalid("state", "must be one of active, expired, revoked")
        })?),
    };
    let filter = TokenFilter {
        client_id: q.client_id,
        username: q.username,
        state,
        limit: q.limit,
        offset: q.offset,
    };
    let tokens = app.list_tokens(&filter).await?;
    Ok(page(
        tokens,
        &Page {
            limit: q.limit,
            offset: q.offset,
        },
    ))
}

async fn revoke_token(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Answer {
    app.revoke_token_by_id(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
