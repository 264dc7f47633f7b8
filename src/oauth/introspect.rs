//! Token introspection (RFC 7662). Callers authenticate as confidential
//! clients — the resource servers — and may introspect any token; an
//! inactive, unknown or malformed token is just `{"active": false}` (§2.2).

use super::{OAuthError, Params};
use crate::app::App;
use crate::crypto::Digest;
use crate::domain::token::{REFRESH_TOKEN_PREFIX, id_of};
use crate::domain::{NewAuditEvent, now};
use serde::Serialize;
use std::sync::Arc;

/// The introspection response (RFC 7662 §2.2).
#[derive(Debug, Default, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
}

impl App {
    pub async fn introspect(
        self: &Arc<Self>,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<Introspection, OAuthError> {
        let caller = self.authenticate_client(authorization, params).await?;
        if caller.client.is_public() {
            self.audit_later(NewAuditEvent::failure(
                format!("client:{}", caller.client.id),
                "token.introspect",
                None,
            ));
            return Err(OAuthError::invalid_client(
                "introspection requires a confidential client; public clients may not introspect",
            ));
        }
        let token = params.require("token")?;
        // The prefix tells the token type, so `token_type_hint` is never
        // needed to find it (RFC 7662 §2.1 lets the server ignore it).
        if token.starts_with(REFRESH_TOKEN_PREFIX) {
            return self.introspect_refresh_token(token).await;
        }
        let Some(t) = self.validate_access_token(token).await? else {
            return Ok(Introspection::default());
        };
        Ok(Introspection {
            active: true,
            scope: Some(t.scope.to_string()),
            client_id: Some(t.client_id.clone()),
            username: t.username.clone(),
            token_type: Some("Bearer"),
            exp: t.expires_at,
            iat: Some(t.issued_at),
            sub: Some(t.username.clone().unwrap_or_else(|| t.client_id.clone())),
            iss: Some(self.settings.public_url.clone()),
        })
    }

    async fn introspect_refresh_token(&self, token: &str) -> Result<Introspection, OAuthError> {
        let Some(id) = id_of(REFRESH_TOKEN_PREFIX, token) else {
            return Ok(Introspection::default());
        };
        let Some(t) = self.store.get_refresh_token(&id).await? else {
            return Ok(Introspection::default());
        };
        if !t.hash.ct_eq(&Digest::of(token)) {
            return Ok(Introspection::default());
        }
        let client_ok = self
            .client(&t.client_id)
            .await?
            .is_some_and(|c| c.spec.active);
        if !t.is_active(now()) || !client_ok {
            return Ok(Introspection::default());
        }
        Ok(Introspection {
            active: true,
            scope: Some(t.scope.to_string()),
            client_id: Some(t.client_id.clone()),
            username: t.username.clone(),
            token_type: None,
            exp: t.expires_at,
            iat: Some(t.issued_at),
            sub: Some(t.username.clone().unwrap_or_else(|| t.client_id.clone())),
            iss: Some(self.settings.public_url.clone()),
        })
    }
}
