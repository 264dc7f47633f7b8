//! Token revocation (RFC 7009). A client may revoke only tokens issued to
//! it (§2.1); revoking a refresh token also revokes the access tokens of
//! the same grant. Unknown tokens are answered with 200 (§2.2).

use super::{OAuthError, Params};
use crate::app::App;
use crate::crypto::Digest;
use crate::domain::token::{ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX};
use crate::domain::{NewAuditEvent, now};
use std::sync::Arc;

impl App {
    pub async fn revoke(
        self: &Arc<Self>,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<(), OAuthError> {
        let caller = self.authenticate_client(authorization, params).await?;
        let token = params.require("token")?;
        if token.len() > 128 {
            return Ok(());
        }
        let hash = Digest::of(token);
        let actor = format!("client:{}", caller.client.id);
        let now = now();
        let owner = if token.starts_with(ACCESS_TOKEN_PREFIX) {
            self.store
                .get_access_token(&hash)
                .await?
                .map(|t| t.client_id)
        } else if token.starts_with(REFRESH_TOKEN_PREFIX) {
            self.store
                .get_refresh_token(&hash)
                .await?
                .map(|t| t.client_id)
        } else {
            None
        };
        let Some(owner) = owner else { return Ok(()) };
        if owner != caller.client.id {
            self.audit_later(
                NewAuditEvent::failure(actor, "token.revoke", hash.to_hex())
                    .with_detail(serde_json::json!({ "reason": "token issued to another client" })),
            );
            return Err(OAuthError::unauthorized_client(
                "the token was not issued to this client",
            ));
        }
        if token.starts_with(ACCESS_TOKEN_PREFIX) {
            self.store.revoke_access_token(&hash, now).await?;
            self.forget_tokens(&[hash]);
        } else if let Some(t) = self.store.get_refresh_token(&hash).await? {
            let revoked = self.store.revoke_grant(&t.grant_id, now).await?;
            self.forget_tokens(&revoked);
        }
        self.audit_later(NewAuditEvent::success(actor, "token.revoke", hash.to_hex()));
        Ok(())
    }
}
