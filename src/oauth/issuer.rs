//! Minting access tokens: a split token (record id and 256 random bits)
//! behind the `fgat_` prefix, stored as a SHA-256 digest, committed before
//! the token is handed out.

use crate::app::App;
use crate::crypto::Secret;
use crate::domain::token::{ACCESS_TOKEN_PREFIX, mint};
use crate::domain::{AccessToken, Client, GrantType, ScopeSet, now};
use crate::store::StoreResult;

/// A token just issued: the secret value (sent once) and its record.
#[derive(Debug)]
pub struct Issued {
    pub token: Secret,
    pub record: AccessToken,
}

impl App {
    /// Issues an access token to `client`. `lifetime` is in seconds
    /// (`None` never expires). The token is durable when this returns.
    pub async fn issue_access_token(
        &self,
        client: &Client,
        username: Option<String>,
        scope: ScopeSet,
        grant: GrantType,
        grant_id: Option<String>,
        lifetime: Option<i64>,
    ) -> StoreResult<Issued> {
        let (id, token) = mint(ACCESS_TOKEN_PREFIX);
        let issued_at = now();
        let record = AccessToken {
            id,
            hash: token.digest(),
            client_id: client.id.clone(),
            username,
            scope,
            grant_type: grant,
            grant_id,
            issued_at,
            expires_at: lifetime.map(|l| issued_at.saturating_add(l)),
            revoked_at: None,
        };
        self.store
            .insert_access_tokens(std::slice::from_ref(&record))
            .await?;
        self.remember_token(record.clone());
        metrics::counter!("flowgate_tokens_issued_total", "grant_type" => grant.as_str())
            .increment(1);
        Ok(Issued { token, record })
    }

    /// The lifetime of an access token issued to `client` now.
    pub fn access_token_lifetime(&self, client: &Client) -> Option<i64> {
        client
            .spec
            .access_token_lifetime
            .resolve(self.settings.access_token_lifetime)
    }
}
