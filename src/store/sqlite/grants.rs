//! Authorization codes and refresh tokens in SQLite. The one-time steps
//! (consuming a code, rotating a refresh token) are conditional updates, so
//! of two concurrent requests exactly one wins.

use super::writer::insert_tokens;
use super::{SqliteStore, map_err};
use crate::domain::{AccessToken, AuthCode, RefreshToken, TokenId, UnixTime};
use crate::store::codec::{self, token_id};
use crate::store::{GrantStore, StoreResult};
use async_trait::async_trait;
use sqlx::SqliteConnection;

async fn insert_refresh(conn: &mut SqliteConnection, t: &RefreshToken) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (id, token_hash, client_id, username, scope, grant_id, issued_at, expires_at, \
         refreshes_left, rotated_at, successor_id, successor_access_id, revoked_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&t.id.0[..])
    .bind(&t.hash.0[..])
    .bind(&t.client_id)
    .bind(&t.username)
    .bind(t.scope.to_string())
    .bind(&t.grant_id)
    .bind(t.issued_at)
    .bind(t.expires_at)
    .bind(t.refreshes_left)
    .bind(t.rotated_at)
    .bind(t.successor.map(|(r, _)| r.0.to_vec()))
    .bind(t.successor.map(|(_, a)| a.0.to_vec()))
    .bind(t.revoked_at)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl GrantStore for SqliteStore {
    async fn insert_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
        let mut conn = self.write.acquire().await.map_err(map_err)?;
        insert_refresh(&mut conn, t).await
    }

    async fn get_refresh_token(&self, id: &TokenId) -> StoreResult<Option<RefreshToken>> {
        sqlx::query("SELECT * FROM refresh_tokens WHERE id = ?")
            .bind(&id.0[..])
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::refresh_token)
            .transpose()
    }

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> StoreResult<Vec<TokenId>> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        let rows = sqlx::query(
            "UPDATE access_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(grant_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(grant_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        rows.iter().map(token_id).collect()
    }

    async fn insert_auth_code(&self, c: &AuthCode) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_codes (id, code_hash, client_id, username, redirect_uri, scope, code_challenge, \
             code_challenge_method, grant_id, issued_at, expires_at, consumed_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.id.0[..])
        .bind(&c.hash.0[..])
        .bind(&c.client_id)
        .bind(&c.username)
        .bind(&c.redirect_uri)
        .bind(c.scope.to_string())
        .bind(&c.code_challenge)
        .bind(&c.code_challenge_method)
        .bind(&c.grant_id)
        .bind(c.issued_at)
        .bind(c.expires_at)
        .bind(c.consumed_at)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_auth_code(&self, id: &TokenId) -> StoreResult<Option<AuthCode>> {
        sqlx::query("SELECT * FROM auth_codes WHERE id = ?")
            .bind(&id.0[..])
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::auth_code)
            .transpose()
    }

    async fn consume_auth_code(&self, id: &TokenId, now: UnixTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE auth_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL",
        )
        .bind(now)
        .bind(&id.0[..])
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn redeem_auth_code(
        &self,
        code: &TokenId,
        now: UnixTime,
        access: &AccessToken,
        refresh: Option<&RefreshToken>,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        let done = sqlx::query(
            "UPDATE auth_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL",
        )
        .bind(now)
        .bind(&code.0[..])
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_tokens(&mut tx, &[access]).await?;
        if let Some(r) = refresh {
            insert_refresh(&mut tx, r).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn rotate_refresh_token(
        &self,
        old: &TokenId,
        now: UnixTime,
        refresh: &RefreshToken,
        access: &AccessToken,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        let done = sqlx::query(
            "UPDATE refresh_tokens SET rotated_at = ?, successor_id = ?, successor_access_id = ? \
             WHERE id = ? AND rotated_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(&refresh.id.0[..])
        .bind(&access.id.0[..])
        .bind(&old.0[..])
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_refresh(&mut tx, refresh).await?;
        insert_tokens(&mut tx, &[access]).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }
}
