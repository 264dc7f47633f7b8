//! Client credentials grant (RFC 6749 §4.4): the client acts on its own
//! behalf. No refresh token is issued (§4.4.3).

use crate::app::App;
use crate::domain::{Client, GrantType};
use crate::oauth::{OAuthError, TokenResponse};

pub async fn grant(
    app: &App,
    client: &Client,
    scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let scope = app.requested_scope(client, scope).await?;
    let lifetime = app.access_token_lifetime(client);
    let issued = app
        .issue_access_token(
            client,
            None,
            scope,
            GrantType::ClientCredentials,
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
