//! HTTP handlers of the token, introspection and revocation endpoints and
//! the metadata document.

use super::form::OAuthRequest;
use super::reply::{OAuthReply, json_no_store, no_store};
use crate::app::App;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `POST /integration/rest/oAuth/getToken` (RFC 6749 §3.2).
pub async fn token(State(app): State<Arc<App>>, req: OAuthRequest) -> Result<Response, OAuthReply> {
    let answer = app.token(req.authorization.as_deref(), &req.params).await?;
    Ok(json_no_store(&answer))
}

/// `POST /integration/rest/oAuth/introspect` (RFC 7662).
pub async fn introspect(
    State(app): State<Arc<App>>,
    req: OAuthRequest,
) -> Result<Response, OAuthReply> {
    let answer = app
        .introspect(req.authorization.as_deref(), &req.params)
        .await?;
    Ok(json_no_store(&answer))
}

/// `POST /integration/rest/oAuth/revoke` (RFC 7009).
pub async fn revoke(
    State(app): State<Arc<App>>,
    req: OAuthRequest,
) -> Result<Response, OAuthReply> {
    app.revoke(req.authorization.as_deref(), &req.params)
        .await?;
    Ok(no_store(StatusCode::OK.into_response()))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(app): State<Arc<App>>) -> Result<Response, OAuthReply> {
    let doc = app
        .metadata()
        .await
        .map_err(crate::oauth::OAuthError::from)?;
    Ok(Json(doc).into_response())
}
