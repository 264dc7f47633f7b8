//! HTTP handlers of the token, introspection and revocation endpoints and
//! the metadata document.

use super::form::OAuthRequest;
use super::reply::{OAuthReply, json_no_store, no_store};
use super::source::Source;
use crate::app::App;
use crate::oauth::OAuthError;
use crate::oauth::client_auth::claimed_client_id;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::sync::Arc;

/// `POST /integration/rest/oAuth/getToken` (RFC 6749 §3.2).
pub async fn token(
    State(app): State<Arc<App>>,
    Extension(source): Extension<Source>,
    req: OAuthRequest,
) -> Result<Response, OAuthReply> {
    limit(&app, &source, &req, "token").await?;
    let answer = app.token(req.authorization.as_deref(), &req.params).await?;
    Ok(json_no_store(&answer))
}

/// `POST /integration/rest/oAuth/introspect` (RFC 7662).
pub async fn introspect(
    State(app): State<Arc<App>>,
    Extension(source): Extension<Source>,
    req: OAuthRequest,
) -> Result<Response, OAuthReply> {
    limit(&app, &source, &req, "introspection").await?;
    let answer = app
        .introspect(req.authorization.as_deref(), &req.params)
        .await?;
    Ok(json_no_store(&answer))
}

/// `POST /integration/rest/oAuth/revoke` (RFC 7009).
pub async fn revoke(
    State(app): State<Arc<App>>,
    Extension(source): Extension<Source>,
    req: OAuthRequest,
) -> Result<Response, OAuthReply> {
    limit(&app, &source, &req, "revocation").await?;
    app.revoke(req.authorization.as_deref(), &req.params)
        .await?;
    Ok(no_store(StatusCode::OK.into_response()))
}

/// Counts a request against the limits of its source address and of the
/// client id it names (whether or not its credentials are right, so a
/// client's secret cannot be guessed at full speed).
async fn limit(
    app: &App,
    source: &Source,
    req: &OAuthRequest,
    endpoint: &'static str,
) -> Result<(), OAuthReply> {
    let client_id = claimed_client_id(req.authorization.as_deref(), &req.params);
    match app.limiter.check_oauth(source.ip, client_id.as_deref()) {
        Ok(()) => Ok(()),
        Err(limited) => {
            app.refused(endpoint, &limited).await;
            Err(OAuthError::slow_down(&limited).into())
        }
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(app): State<Arc<App>>) -> Result<Response, OAuthReply> {
    let doc = app
        .metadata()
        .await
        .map_err(crate::oauth::OAuthError::from)?;
    Ok(Json(doc).into_response())
}
