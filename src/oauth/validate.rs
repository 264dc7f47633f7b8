//! Access token validation, shared by introspection and (later) protected
//! service calls. A valid token is usually answered from memory: the token
//! record and its client both come from caches that revocation and client
//! changes invalidate.

use crate::app::App;
use crate::crypto::Digest;
use crate::domain::token::{ACCESS_TOKEN_PREFIX, id_of};
use crate::domain::{AccessToken, now};
use crate::store::StoreResult;
use std::sync::Arc;

impl App {
    /// The token's record if it is active: known, its secret matching the
    /// stored digest, neither expired nor revoked, and its client still
    /// exists and is active.
    pub async fn validate_access_token(
        &self,
        token: &str,
    ) -> StoreResult<Option<Arc<AccessToken>>> {
        let Some(id) = id_of(ACCESS_TOKEN_PREFIX, token) else {
            return Ok(None);
        };
        let Some(record) = self.access_token_record(&id).await? else {
            return Ok(None);
        };
        if !record.hash.ct_eq(&Digest::of(token)) || !record.is_active(now()) {
            return Ok(None);
        }
        match self.client(&record.client_id).await? {
            Some(client) if client.spec.active => Ok(Some(record)),
            _ => Ok(None),
        }
    }
}
