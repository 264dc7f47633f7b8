//! Token management: listing, revoking, purging and "Add New Token".

use crate::app::App;
use crate::domain::{
    AccessToken, DomainError, GrantType, NewAuditEvent, ScopeSet, TokenFilter, TokenId, now,
};
use crate::store::Change;
use serde::Serialize;

/// A token record as administrators see it: never the token itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    /// Record id (the UUID embedded in the token, not a secret).
    pub id: String,
    pub client_id: String,
    pub username: Option<String>,
    pub scope: String,
    #[schema(value_type = GrantType)]
    pub grant_type: &'static str,
    pub issued_at: i64,
    /// `null` never expires.
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// `active`, `expired` or `revoked`.
    #[schema(value_type = crate::domain::TokenState)]
    pub state: &'static str,
}

impl TokenView {
    pub fn of(t: &AccessToken, now: i64) -> TokenView {
        TokenView {
            id: t.id.to_string(),
            client_id: t.client_id.clone(),
            username: t.username.clone(),
            scope: t.scope.to_string(),
            grant_type: t.grant_type.as_str(),
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            state: t.state(now).as_str(),
        }
    }
}

/// An access token minted by an administrator, shaped like a token response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MintedToken {
    /// Shown only in this answer; only its hash is stored.
    pub access_token: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds; absent when the token never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    pub scope: String,
    /// The record id, for listing and revoking.
    pub id: String,
    pub client_id: String,
}

impl App {
    /// "Add New Token": an access token for `client_id` with the given scope
    /// (default: everything the client may request) and lifetime in seconds
    /// (default: the client's; `-1` never expires).
    pub async fn mint_token(
        &self,
        actor: &str,
        client_id: &str,
        scope: Option<&str>,
        expires_in: Option<i64>,
    ) -> Result<MintedToken, DomainError> {
        let client = self.get_client(client_id).await?;
        if !client.spec.active {
            return Err(DomainError::invalid(
                "client_id",
                "the client is deactivated",
            ));
        }
        let scope = match scope {
            Some(s) => ScopeSet::parse(s).map_err(|r| DomainError::invalid("scope", r))?,
            None => {
                let known = self.scopes().await?;
                client
                    .spec
                    .scopes
                    .iter()
                    .filter(|s| known.contains_key(*s))
                    .map(str::to_owned)
                    .collect()
            }
        };
        self.check_scopes_exist(&scope).await?;
        if let Some(extra) = scope.missing_from(&client.spec.scopes).next() {
            return Err(DomainError::invalid(
                "scope",
                format!("the client may not request scope \"{extra}\""),
            ));
        }
        let lifetime = match expires_in {
            None => client
                .spec
                .access_token_lifetime
                .resolve(self.settings.access_token_lifetime),
            Some(-1) => None,
            Some(n) if (1..=crate::domain::client::MAX_LIFETIME).contains(&n) => Some(n),
            Some(_) => {
                return Err(DomainError::invalid(
                    "expires_in",
                    "must be -1 (never expires) or a positive number of seconds up to ten years",
                ));
            }
        };
        let issued = self
            .issue_access_token(
                &client,
                None,
                scope,
                GrantType::ClientCredentials,
                None,
                lifetime,
            )
            .await?;
        let id = issued.record.id.to_string();
        self.audit(
            NewAuditEvent::success(actor, "token.mint", id.clone())
                .with_detail(serde_json::json!({ "client_id": client.id, "scope": issued.record.scope.to_string() })),
        )
        .await;
        Ok(MintedToken {
            access_token: issued.token.expose().to_owned(),
            token_type: "Bearer",
            expires_in: lifetime,
            scope: issued.record.scope.to_string(),
            id,
            client_id: client.id,
        })
    }

    pub async fn list_tokens(&self, filter: &TokenFilter) -> Result<Vec<TokenView>, DomainError> {
        let at = now();
        Ok(self
            .store
            .list_access_tokens(filter, at)
            .await?
            .iter()
            .map(|t| TokenView::of(t, at))
            .collect())
    }

    /// One access token record by id, or `NotFound`.
    pub async fn get_token(&self, id: &str) -> Result<TokenView, DomainError> {
        let token_id = TokenId::parse(id).ok_or(DomainError::NotFound("token"))?;
        let token = self
            .store
            .get_access_token(&token_id)
            .await?
            .ok_or(DomainError::NotFound("token"))?;
        Ok(TokenView::of(&token, now()))
    }

    /// Revokes an access token by record id; effective at once. Revoking
    /// a revoked token succeeds without another audit event.
    pub async fn revoke_token_by_id(&self, actor: &str, id: &str) -> Result<(), DomainError> {
        let token_id = TokenId::parse(id).ok_or(DomainError::NotFound("token"))?;
        if self.store.get_access_token(&token_id).await?.is_none() {
            return Err(DomainError::NotFound("token"));
        }
        if self.store.revoke_access_token(&token_id, now()).await? {
            self.forget(Change::Tokens(vec![token_id])).await;
            self.audit(NewAuditEvent::success(actor, "token.revoke", id.to_owned()))
                .await;
        }
        Ok(())
    }

    /// Removes up to `max_rows` expired tokens and codes; returns how many.
    pub async fn purge_expired(&self, max_rows: u32) -> Result<u64, DomainError> {
        Ok(self.store.purge_expired(now(), max_rows).await?)
    }
}
