//! Authorization codes and refresh tokens in PostgreSQL.
//!
//! The one-time steps are conditional updates (`... WHERE consumed_at IS
//! NULL`, `... WHERE rotated_at IS NULL AND revoked_at IS NULL`): the first
//! of two concurrent calls locks the row, the second waits for it to commit
//! and then finds the condition false, on any connection of any node.
//! Rotation and family revocation also take transaction-scoped advisory
//! locks on the grant and the client, so a revocation never misses the
//! tokens of a rotation that was in flight when it started.

use super::writer::insert_tokens;
use super::{PgStore, map_err};
use crate::domain::{AccessToken, AuthCode, RefreshToken, TokenId, UnixTime};
use crate::store::codec::{self, token_id};
use crate::store::{GrantStore, StoreResult};
use async_trait::async_trait;
use sqlx::PgConnection;

/// Namespaces of flowgate's advisory locks (first key of the two-key form,
/// which never collides with the one-key locks of the migrator): a client
/// is locked to revoke all its tokens, a grant to revoke its family, and a
/// rotation holds its client's lock shared and its grant's exclusively.
pub(super) const CLIENT_LOCK: i32 = 0x6667_0001;
const GRANT_LOCK: i32 = 0x6667_0002;

/// Takes advisory lock `key` of namespace `space` until the transaction ends.
pub(super) async fn lock(conn: &mut PgConnection, space: i32, key: &str) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(space)
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Locks the client (shared) and the grant family of refresh token `id`
/// until the transaction ends, for rotating it; nothing if it is absent.
async fn lock_for_rotation(conn: &mut PgConnection, id: &TokenId) -> StoreResult<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock_shared($1, hashtext(client_id)), \
         pg_advisory_xact_lock($2, hashtext(grant_id)) FROM refresh_tokens WHERE id = $3",
    )
    .bind(CLIENT_LOCK)
    .bind(GRANT_LOCK)
    .bind(&id.0[..])
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

async fn insert_refresh(conn: &mut PgConnection, t: &RefreshToken) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (id, token_hash, client_id, username, scope, grant_id, issued_at, expires_at, \
         refreshes_left, rotated_at, successor_id, successor_access_id, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
    .bind(t.successor.as_ref().map(|(r, _)| &r.0[..]))
    .bind(t.successor.as_ref().map(|(_, a)| &a.0[..]))
    .bind(t.revoked_at)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl GrantStore for PgStore {
    async fn insert_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        insert_refresh(&mut conn, t).await
    }

    async fn get_refresh_token(&self, id: &TokenId) -> StoreResult<Option<RefreshToken>> {
        sqlx::query("SELECT * FROM refresh_tokens WHERE id = $1")
            .bind(&id.0[..])
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::refresh_token)
            .transpose()
    }

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> StoreResult<Vec<TokenId>> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        lock(&mut tx, GRANT_LOCK, grant_id).await?;
        let rows = sqlx::query(
            "WITH refresh AS (UPDATE refresh_tokens SET revoked_at = $1 \
                 WHERE grant_id = $2 AND revoked_at IS NULL) \
             UPDATE access_tokens SET revoked_at = $1 \
             WHERE grant_id = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(grant_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        rows.iter().map(token_id).collect()
    }

    async fn insert_auth_code(&self, c: &AuthCode) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_codes (id, code_hash, client_id, username, redirect_uri, scope, code_challenge, \
             code_challenge_method, grant_id, issued_at, expires_at, consumed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_auth_code(&self, id: &TokenId) -> StoreResult<Option<AuthCode>> {
        sqlx::query("SELECT * FROM auth_codes WHERE id = $1")
            .bind(&id.0[..])
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::auth_code)
            .transpose()
    }

    async fn consume_auth_code(&self, id: &TokenId, now: UnixTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE auth_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
        )
        .bind(now)
        .bind(&id.0[..])
        .execute(&self.pool)
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
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let done = sqlx::query(
            "UPDATE auth_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
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
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        lock_for_rotation(&mut tx, old).await?;
        let done = sqlx::query(
            "UPDATE refresh_tokens SET rotated_at = $1, successor_id = $2, successor_access_id = $3 \
             WHERE id = $4 AND rotated_at IS NULL AND revoked_at IS NULL",
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
