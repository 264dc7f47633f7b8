//! Resource owner password credentials grant (RFC 6749 §4.3). Refresh
//! tokens belong to the authorization code grant only (DESIGN §3).

use crate::app::App;
use crate::crypto::Secret;
use crate::domain::scope::ADMIN_SCOPE;
use crate::domain::{Client, GrantType, NewAuditEvent};
use crate::oauth::{OAuthError, TokenResponse};

pub async fn grant(
    app: &App,
    client: &Client,
    username: &str,
    password: &Secret,
    scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let scope = app.requested_scope(client, scope).await?;
    if let Err(limited) = app.limiter.check_login(None, username) {
        app.refused("token", &limited).await;
        return Err(OAuthError::slow_down(&limited));
    }
    let user = app.authenticate_user(username, password).await?;
    app.limiter.login_result(username, user.is_some());
    let Some(user) = user else {
        app.audit(
            NewAuditEvent::failure(format!("client:{}", client.id), "user.login", None)
                .with_detail(serde_json::json!({ "grant_type": "password" })),
        )
        .await;
        return Err(OAuthError::invalid_grant(
            "the user name or password is wrong",
        ));
    };
    if scope.contains(ADMIN_SCOPE) && !user.admin {
        return Err(OAuthError::invalid_scope(
            "the admin scope is only for administrators",
        ));
    }
    let lifetime = app.access_token_lifetime(client);
    let issued = app
        .issue_access_token(
            client,
            Some(user.username),
            scope,
            GrantType::Password,
            None,
            lifetime,
        )
        .await?;
    Ok(TokenResponse {
        access_token: issued.token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: lifetime,
        refresh_token: None,
        scope: issued.record.scope.to_string(),
    })
}
