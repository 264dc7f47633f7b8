//! Token revocation (RFC 7009). A client may revoke only tokens issued to
//! it (§2.1); revoking a refresh token also revokes the access tokens of
//! the same grant. Unknown tokens are answered with 200 (§2.2).

use super::{OAuthError, Params};
use crate::app::App;
use crate::crypto::Digest;
use crate::domain::token::{ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, id_of};
use crate::domain::{NewAuditEvent, TokenId, now};
use crate::store::Change;
use std::sync::Arc;

/// A token found by its id whose secret matched.
enum Found {
    Access {
        id: TokenId,
        client_id: String,
    },
    Refresh {
        id: TokenId,
        client_id: String,
        grant_id: String,
    },
}

impl App {
    pub async fn revoke(
        self: &Arc<Self>,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<(), OAuthError> {
        let caller = self.authenticate_client(authorization, params).await?;
        let token = params.require("token")?;
        // The prefix tells the type; `token_type_hint` is not needed.
        let Some(found) = self.find_for_revocation(token).await? else {
            return Ok(());
        };
        let (id, owner) = match &found {
            Found::Access { id, client_id } | Found::Refresh { id, client_id, .. } => {
                (*id, client_id)
            }
        };
        let actor = format!("client:{}", caller.client.id);
        if *owner != caller.client.id {
            self.audit_later(
                NewAuditEvent::failure(actor, "token.revoke", id.to_string())
                    .with_detail(serde_json::json!({ "reason": "token issued to another client" })),
            );
            return Err(OAuthError::unauthorized_client(
                "the token was not issued to this client",
            ));
        }
        let now = now();
        match &found {
            Found::Access { id, .. } => {
                self.store.revoke_access_token(id, now).await?;
                self.forget(Change::Tokens(vec![*id])).await;
            }
            Found::Refresh { grant_id, .. } => {
                let revoked = self.store.revoke_grant(grant_id, now).await?;
                self.forget(Change::Tokens(revoked)).await;
            }
        }
        self.audit_later(NewAuditEvent::success(
            actor,
            "token.revoke",
            id.to_string(),
        ));
        Ok(())
    }

    async fn find_for_revocation(&self, token: &str) -> Result<Option<Found>, OAuthError> {
        if let Some(id) = id_of(ACCESS_TOKEN_PREFIX, token) {
            let found = self.store.get_access_token(&id).await?;
            return Ok(found
                .filter(|t| t.hash.ct_eq(&Digest::of(token)))
                .map(|t| Found::Access {
                    id,
                    client_id: t.client_id,
                }));
        }
        if let Some(id) = id_of(REFRESH_TOKEN_PREFIX, token) {
            let found = self.store.get_refresh_token(&id).await?;
            return Ok(found.filter(|t| t.hash.ct_eq(&Digest::of(token))).map(|t| {
                Found::Refresh {
                    id,
                    client_id: t.client_id,
                    grant_id: t.grant_id,
                }
            }));
        }
        Ok(None)
    }
}
