//! Login sessions in SQLite.

use super::tokens::digest;
use super::{SqliteStore, map_err};
use crate::crypto::Digest;
use crate::domain::Session;
use crate::store::{SessionStore, StoreResult};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, s: &Session) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&s.id_hash.0[..])
            .bind(&s.username)
            .bind(&s.csrf_token)
            .bind(s.created_at)
            .bind(s.expires_at)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn get_session(&self, id_hash: &Digest) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = ?")
            .bind(&id_hash.0[..])
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?;
        row.map(|row| {
            Ok(Session {
                id_hash: digest(&row, "id_hash")?,
                username: row.try_get("username").map_err(map_err)?,
                csrf_token: row.try_get("csrf_token").map_err(map_err)?,
                created_at: row.try_get("created_at").map_err(map_err)?,
                expires_at: row.try_get("expires_at").map_err(map_err)?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, id_hash: &Digest) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(&id_hash.0[..])
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
