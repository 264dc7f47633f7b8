//! Login sessions in PostgreSQL.

use super::{PgStore, map_err};
use crate::crypto::Digest;
use crate::domain::Session;
use crate::store::codec;
use crate::store::{SessionStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl SessionStore for PgStore {
    async fn insert_session(&self, s: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id_hash.0[..])
        .bind(&s.username)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_session(&self, id_hash: &Digest) -> StoreResult<Option<Session>> {
        sqlx::query("SELECT * FROM sessions WHERE id_hash = $1")
            .bind(&id_hash.0[..])
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::session)
            .transpose()
    }

    async fn delete_session(&self, id_hash: &Digest) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(&id_hash.0[..])
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
