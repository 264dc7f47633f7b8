//! Registering and managing client applications.

use super::conflict;
use crate::app::App;
use crate::crypto::Secret;
use crate::domain::client::new_client_secret;
use crate::domain::{
    AuthMethod, Client, ClientInput, ClientSpec, DomainError, NewAuditEvent, ScopeSet, now,
};
use crate::store::{Change, StoreError};
use serde::Serialize;

/// A client as the admin API and the CLI show it (RFC 7591 names).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub client_id: String,
    pub client_name: String,
    pub client_version: String,
    pub description: String,
    /// `confidential` or `public`.
    #[schema(value_type = String, pattern = "^(confidential|public)$")]
    pub client_type: &'static str,
    #[schema(value_type = AuthMethod)]
    pub token_endpoint_auth_method: &'static str,
    pub redirect_uris: Vec<String>,
    #[schema(value_type = Vec<crate::domain::GrantType>)]
    pub grant_types: Vec<&'static str>,
    pub scope: String,
    /// Seconds; `-1` never expires; `null` is the server default.
    pub access_token_lifetime: Option<i64>,
    pub refresh_count: i64,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Present only in the answer that created or rotated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl ClientView {
    pub fn of(c: &Client, secret: Option<&Secret>) -> ClientView {
        ClientView {
            client_id: c.id.clone(),
            client_name: c.spec.name.clone(),
            client_version: c.spec.version.clone(),
            description: c.spec.description.clone(),
            client_type: if c.is_public() {
                "public"
            } else {
                "confidential"
            },
            token_endpoint_auth_method: c.spec.auth_method.as_str(),
            redirect_uris: c.spec.redirect_uris.clone(),
            grant_types: c.spec.grant_types.iter().map(|g| g.as_str()).collect(),
            scope: c.spec.scopes.to_string(),
            access_token_lifetime: c.spec.access_token_lifetime.to_option(),
            refresh_count: c.spec.refresh_count.to_i64(),
            active: c.spec.active,
            created_at: c.created_at,
            updated_at: c.updated_at,
            client_secret: secret.map(|s| s.expose().to_owned()),
        }
    }
}

/// Longest overlap allowed when rotating a secret: 30 days.
pub const MAX_SECRET_OVERLAP: i64 = 30 * 24 * 3600;

impl App {
    /// Registers a client. A confidential client gets a secret, returned
    /// here once and stored only as its digest.
    pub async fn create_client(
        &self,
        actor: &str,
        input: ClientInput,
    ) -> Result<(Client, Option<Secret>), DomainError> {
        let spec = input.create()?;
        self.check_scopes_exist(&spec.scopes).await?;
        let secret = (spec.auth_method != AuthMethod::None).then(new_client_secret);
        let at = now();
        let client = Client {
            id: uuid::Uuid::new_v4().to_string(),
            spec,
            secret: secret.as_ref().map(Secret::digest),
            previous_secret: None,
            created_at: at,
            updated_at: at,
        };
        self.store.insert_client(&client).await.map_err(conflict)?;
        self.audit(
            NewAuditEvent::success(actor, "client.create", client.id.clone())
                .with_detail(serde_json::json!({ "after": ClientView::of(&client, None) })),
        )
        .await;
        Ok((client, secret))
    }

    /// A client by id, or `NotFound`.
    pub async fn get_client(&self, id: &str) -> Result<Client, DomainError> {
        self.store
            .get_client(id)
            .await?
            .ok_or(DomainError::NotFound("client"))
    }

    pub async fn list_clients(&self, limit: u32, offset: u32) -> Result<Vec<Client>, DomainError> {
        Ok(self.store.list_clients(limit, offset).await?)
    }

    /// Changes a client's registration. Deactivating it revokes its tokens.
    pub async fn update_client(
        &self,
        actor: &str,
        id: &str,
        input: ClientInput,
    ) -> Result<Client, DomainError> {
        let current = self.get_client(id).await?;
        let spec: ClientSpec = input.update(&current.spec)?;
        if spec.scopes != current.spec.scopes {
            self.check_scopes_exist(&spec.scopes).await?;
        }
        let updated = Client {
            spec,
            updated_at: now(),
            ..current.clone()
        };
        self.store
            .update_client(&updated)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => DomainError::NotFound("client"),
                e => conflict(e),
            })?;
        self.forget(Change::Client(id.to_owned())).await;
        if current.spec.active && !updated.spec.active {
            // Deactivation ends every token at once; reactivating the client
            // later does not bring them back.
            let revoked = self.store.revoke_client_tokens(id, now()).await?;
            self.forget(Change::Tokens(revoked)).await;
        }
        self.audit(
            NewAuditEvent::success(actor, "client.update", id.to_owned()).with_detail(
                serde_json::json!({
                    "before": ClientView::of(&current, None),
                    "after": ClientView::of(&updated, None),
                }),
            ),
        )
        .await;
        Ok(updated)
    }

    /// Deletes a client with all its tokens and codes.
    pub async fn delete_client(&self, actor: &str, id: &str) -> Result<(), DomainError> {
        let before = self.get_client(id).await?;
        if !self.store.delete_client(id).await? {
            return Err(DomainError::NotFound("client"));
        }
        self.forget(Change::Client(id.to_owned())).await;
        self.audit(
            NewAuditEvent::success(actor, "client.delete", id.to_owned())
                .with_detail(serde_json::json!({ "before": ClientView::of(&before, None) })),
        )
        .await;
        Ok(())
    }

    /// Gives a confidential client a new secret. The old one keeps working
    /// for `overlap_secs` (0: it stops at once).
    pub async fn rotate_client_secret(
        &self,
        actor: &str,
        id: &str,
        overlap_secs: i64,
    ) -> Result<(Client, Secret), DomainError> {
        if !(0..=MAX_SECRET_OVERLAP).contains(&overlap_secs) {
            return Err(DomainError::invalid(
                "overlap",
                format!("must be 0 to {MAX_SECRET_OVERLAP} seconds"),
            ));
        }
        let current = self.get_client(id).await?;
        if current.is_public() {
            return Err(DomainError::invalid(
                "client_id",
                "a public client has no secret to rotate",
            ));
        }
        let secret = new_client_secret();
        let at = now();
        let rotated = Client {
            secret: Some(secret.digest()),
            previous_secret: match (current.secret, overlap_secs) {
                (Some(old), n) if n > 0 => Some((old, at + n)),
                _ => None,
            },
            updated_at: at,
            ..current
        };
        self.store
            .update_client(&rotated)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => DomainError::NotFound("client"),
                e => conflict(e),
            })?;
        self.forget(Change::Client(id.to_owned())).await;
        self.audit(
            NewAuditEvent::success(actor, "client.rotate_secret", id.to_owned())
                .with_detail(serde_json::json!({ "overlap_seconds": overlap_secs })),
        )
        .await;
        Ok((rotated, secret))
    }

    /// Refuses scope names that are not registered.
    pub(crate) async fn check_scopes_exist(&self, scopes: &ScopeSet) -> Result<(), DomainError> {
        let known = self.scopes().await?;
        if let Some(missing) = scopes.iter().find(|s| !known.contains_key(*s)) {
            return Err(DomainError::invalid(
                "scope",
                format!("scope \"{missing}\" is not registered"),
            ));
        }
        Ok(())
    }
}
