//! Who may call the admin API: an administrator with HTTP Basic, or a
//! bearer token carrying the reserved `admin` scope (DESIGN §6).

use super::Problem;
use crate::app::App;
use crate::crypto::Secret;
use crate::domain::DomainError;
use crate::domain::scope::ADMIN_SCOPE;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;

/// An authenticated administrator; the string is the audit actor
/// (`admin:<username>` or `client:<client_id>`).
pub struct Admin(pub String);

/// No or unusable credentials: either scheme will do.
const CHALLENGE_ANY: &str =
    "Basic realm=\"flowgate admin\", charset=\"UTF-8\", Bearer realm=\"flowgate admin\"";
const CHALLENGE_BASIC: &str = "Basic realm=\"flowgate admin\", charset=\"UTF-8\"";
/// RFC 6750 §3.1.
const CHALLENGE_INVALID_TOKEN: &str = "Bearer realm=\"flowgate admin\", error=\"invalid_token\"";
const CHALLENGE_SCOPE: &str =
    "Bearer realm=\"flowgate admin\", error=\"insufficient_scope\", scope=\"admin\"";

fn unauthorized(challenge: &'static str, detail: &str) -> Problem {
    Problem {
        challenge: Some(challenge),
        ..Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }
}

fn forbidden(challenge: Option<&'static str>, detail: &str) -> Problem {
    Problem {
        challenge,
        ..Problem::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }
}

impl FromRequestParts<Arc<App>> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Problem> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthorized(CHALLENGE_ANY, "administrator credentials are required"))?;
        let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("Bearer") {
            bearer(app, credentials.trim()).await
        } else if scheme.eq_ignore_ascii_case("Basic") {
            basic(app, credentials.trim()).await
        } else {
            Err(unauthorized(
                CHALLENGE_ANY,
                "use HTTP Basic or a Bearer token",
            ))
        }
    }
}

async fn bearer(app: &App, token: &str) -> Result<Admin, Problem> {
    let t = app
        .validate_access_token(token)
        .await?
        .ok_or_else(|| unauthorized(CHALLENGE_INVALID_TOKEN, "the bearer token is not active"))?;
    if !t.scope.contains(ADMIN_SCOPE) {
        return Err(forbidden(
            Some(CHALLENGE_SCOPE),
            "the token lacks the admin scope",
        ));
    }
    match &t.username {
        None => Ok(Admin(format!("client:{}", t.client_id))),
        // A token issued to a user is worth no more than the user now is.
        Some(username) => match app.get_user(username).await {
            Ok(user) if user.admin => Ok(Admin(format!("admin:{username}"))),
            Ok(_) | Err(DomainError::NotFound(_)) => Err(forbidden(
                Some(CHALLENGE_SCOPE),
                "the token's user is no longer an administrator",
            )),
            Err(e) => Err(e.into()),
        },
    }
}

async fn basic(app: &App, encoded: &str) -> Result<Admin, Problem> {
    let malformed = || unauthorized(CHALLENGE_BASIC, "malformed Basic credentials");
    let decoded = STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(malformed)?;
    let (username, password) = decoded.split_once(':').ok_or_else(malformed)?;
    match app
        .authenticate_user(username, &Secret::new(password))
        .await?
    {
        Some(user) if user.admin => Ok(Admin(format!("admin:{}", user.username))),
        Some(_) => Err(forbidden(None, "the user is not an administrator")),
        None => Err(unauthorized(CHALLENGE_BASIC, "wrong user name or password")),
    }
}
