//! Access tokens, and purging of every kind of expired grant, in PostgreSQL.

use super::grants::{CLIENT_LOCK, lock};
use super::{PgStore, map_err};
use crate::domain::{AccessToken, TokenFilter, TokenId, TokenState, UnixTime};
use crate::store::codec::{self, REVOKED_RETENTION, page_size, token_id};
use crate::store::writer::Op;
use crate::store::{StoreResult, TokenStore};
use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder};

#[async_trait]
impl TokenStore for PgStore {
    async fn insert_access_tokens(&self, tokens: &[AccessToken]) -> StoreResult<()> {
        self.writer.write(Op::AccessTokens(tokens.to_vec())).await
    }

    async fn get_access_token(&self, id: &TokenId) -> StoreResult<Option<AccessToken>> {
        sqlx::query("SELECT * FROM access_tokens WHERE id = $1")
            .bind(&id.0[..])
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::access_token)
            .transpose()
    }

    async fn list_access_tokens(
        &self,
        f: &TokenFilter,
        now: UnixTime,
    ) -> StoreResult<Vec<AccessToken>> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM access_tokens WHERE TRUE");
        if let Some(c) = &f.client_id {
            q.push(" AND client_id = ").push_bind(c);
        }
        if let Some(u) = &f.username {
            q.push(" AND username = ").push_bind(u);
        }
        match f.state {
            Some(TokenState::Active) => {
                q.push(" AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ")
                    .push_bind(now)
                    .push(")");
            }
            Some(TokenState::Expired) => {
                q.push(" AND revoked_at IS NULL AND expires_at <= ")
                    .push_bind(now);
            }
            Some(TokenState::Revoked) => {
                q.push(" AND revoked_at IS NOT NULL");
            }
            None => {}
        }
        q.push(" ORDER BY issued_at DESC, id DESC LIMIT ")
            .push_bind(page_size(f.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        q.build()
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(codec::access_token)
            .collect()
    }

    async fn revoke_access_token(&self, id: &TokenId, now: UnixTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(&id.0[..])
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_client_tokens(
        &self,
        client_id: &str,
        now: UnixTime,
    ) -> StoreResult<Vec<TokenId>> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        // Waits for rotations of this client's tokens in flight, and keeps
        // new ones out until the revocation is committed.
        lock(&mut tx, CLIENT_LOCK, client_id).await?;
        let rows = sqlx::query(
            "WITH refresh AS (UPDATE refresh_tokens SET revoked_at = $1 \
                 WHERE client_id = $2 AND revoked_at IS NULL) \
             UPDATE access_tokens SET revoked_at = $1 \
             WHERE client_id = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(client_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        rows.iter().map(token_id).collect()
    }

    async fn purge_expired(&self, now: UnixTime, max_rows: u32) -> StoreResult<u64> {
        let revoked_before = now - REVOKED_RETENTION;
        let mut left = i64::from(max_rows);
        let mut removed = 0u64;
        // Rows another node is purging at the same time are skipped, not
        // waited for.
        let statements = [
            "DELETE FROM access_tokens WHERE id IN (SELECT id FROM access_tokens \
             WHERE expires_at <= $1 LIMIT $3 FOR UPDATE SKIP LOCKED)",
            "DELETE FROM access_tokens WHERE id IN (SELECT id FROM access_tokens \
             WHERE expires_at IS NULL AND revoked_at <= $2 LIMIT $3 FOR UPDATE SKIP LOCKED)",
            "DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens \
             WHERE expires_at <= $1 OR revoked_at <= $2 OR rotated_at <= $2 \
             LIMIT $3 FOR UPDATE SKIP LOCKED)",
            "DELETE FROM auth_codes WHERE id IN (SELECT id FROM auth_codes \
             WHERE expires_at <= $1 LIMIT $3 FOR UPDATE SKIP LOCKED)",
            "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions \
             WHERE expires_at <= $1 LIMIT $3 FOR UPDATE SKIP LOCKED)",
        ];
        for sql in statements {
            if left <= 0 {
                break;
            }
            let done = sqlx::query(sql)
                .bind(now)
                .bind(revoked_before)
                .bind(left)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
            removed += done.rows_affected();
            left -= done.rows_affected() as i64;
        }
        Ok(removed)
    }
}
