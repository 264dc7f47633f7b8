//! One module per grant type, plus the scope rule they share.

pub mod authorization_code;
pub mod client_credentials;
pub mod password;
pub mod refresh_token;

use super::OAuthError;
use crate::app::App;
use crate::domain::{Client, ScopeSet};

impl App {
    /// The scope a token request gets (RFC 6749 §3.3): what it asked for,
    /// which must be registered and allowed for the client; when it asked
    /// for nothing, everything the client may request that is still
    /// registered.
    pub async fn requested_scope(
        &self,
        client: &Client,
        requested: Option<&str>,
    ) -> Result<ScopeSet, OAuthError> {
        let known = self.scopes().await?;
        let Some(requested) = requested else {
            return Ok(client
                .spec
                .scopes
                .iter()
                .filter(|s| known.contains_key(*s))
                .map(str::to_owned)
                .collect());
        };
        let scope = ScopeSet::parse(requested).map_err(OAuthError::invalid_scope)?;
        if let Some(unknown) = scope.iter().find(|s| !known.contains_key(*s)) {
            return Err(OAuthError::invalid_scope(format!(
                "unknown scope \"{unknown}\""
            )));
        }
        if let Some(extra) = scope.missing_from(&client.spec.scopes).next() {
            return Err(OAuthError::invalid_scope(format!(
                "this client may not request scope \"{extra}\""
            )));
        }
        Ok(scope)
    }
}
