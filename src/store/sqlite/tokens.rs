//! Tokens and authorization codes in SQLite.

use super::writer::Op;
use super::{SqliteStore, map_err, page_size};
use crate::crypto::Digest;
use crate::domain::{AccessToken, GrantType, ScopeSet, TokenFilter, TokenId, TokenState, UnixTime};
use crate::store::{StoreError, StoreResult, TokenStore};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

/// Revoked tokens that never expire are kept this long for the record.
const REVOKED_RETENTION: i64 = 7 * 24 * 3600;

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt token row: {what}"))
}

pub(super) fn digest(row: &SqliteRow, col: &str) -> StoreResult<Digest> {
    let bytes: Vec<u8> = row.try_get(col).map_err(map_err)?;
    Digest::from_slice(&bytes).ok_or_else(|| corrupt(col))
}

pub(super) fn token_id(row: &SqliteRow) -> StoreResult<TokenId> {
    let bytes: Vec<u8> = row.try_get("id").map_err(map_err)?;
    TokenId::from_slice(&bytes).ok_or_else(|| corrupt("id"))
}

pub(super) fn scope(row: &SqliteRow) -> StoreResult<ScopeSet> {
    let s: String = row.try_get("scope").map_err(map_err)?;
    ScopeSet::parse(&s).map_err(|_| corrupt("scope"))
}

pub(super) fn access_from_row(row: &SqliteRow) -> StoreResult<AccessToken> {
    let grant: String = row.try_get("grant_type").map_err(map_err)?;
    Ok(AccessToken {
        id: token_id(row)?,
        hash: digest(row, "token_hash")?,
        client_id: row.try_get("client_id").map_err(map_err)?,
        username: row.try_get("username").map_err(map_err)?,
        scope: scope(row)?,
        grant_type: GrantType::parse(&grant).ok_or_else(|| corrupt("grant_type"))?,
        grant_id: row.try_get("grant_id").map_err(map_err)?,
        issued_at: row.try_get("issued_at").map_err(map_err)?,
        expires_at: row.try_get("expires_at").map_err(map_err)?,
        revoked_at: row.try_get("revoked_at").map_err(map_err)?,
    })
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn insert_access_tokens(&self, tokens: &[AccessToken]) -> StoreResult<()> {
        self.writer.write(Op::AccessTokens(tokens.to_vec())).await
    }

    async fn get_access_token(&self, id: &TokenId) -> StoreResult<Option<AccessToken>> {
        sqlx::query("SELECT * FROM access_tokens WHERE id = ?")
            .bind(&id.0[..])
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(access_from_row)
            .transpose()
    }

    async fn list_access_tokens(
        &self,
        f: &TokenFilter,
        now: UnixTime,
    ) -> StoreResult<Vec<AccessToken>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM access_tokens WHERE 1 = 1");
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
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?
            .iter()
            .map(access_from_row)
            .collect()
    }

    async fn revoke_access_token(&self, id: &TokenId, now: UnixTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(&id.0[..])
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_client_tokens(
        &self,
        client_id: &str,
        now: UnixTime,
    ) -> StoreResult<Vec<TokenId>> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        let rows = sqlx::query(
            "UPDATE access_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(client_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(client_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        rows.iter().map(token_id).collect()
    }

    async fn purge_expired(&self, now: UnixTime, max_rows: u32) -> StoreResult<u64> {
        let revoked_before = now - REVOKED_RETENTION;
        let mut left = i64::from(max_rows);
        let mut removed = 0u64;
        let statements = [
            "DELETE FROM access_tokens WHERE id IN (SELECT id FROM access_tokens \
             WHERE expires_at <= ?1 LIMIT ?3)",
            "DELETE FROM access_tokens WHERE id IN (SELECT id FROM access_tokens \
             WHERE expires_at IS NULL AND revoked_at <= ?2 LIMIT ?3)",
            "DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens \
             WHERE expires_at <= ?1 OR revoked_at <= ?2 OR rotated_at <= ?2 LIMIT ?3)",
            "DELETE FROM auth_codes WHERE id IN (SELECT id FROM auth_codes \
             WHERE expires_at <= ?1 LIMIT ?3)",
            "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions \
             WHERE expires_at <= ?1 LIMIT ?3)",
        ];
        for sql in statements {
            if left <= 0 {
                break;
            }
            let done = sqlx::query(sql)
                .bind(now)
                .bind(revoked_before)
                .bind(left)
                .execute(&self.write)
                .await
                .map_err(map_err)?;
            removed += done.rows_affected();
            left -= done.rows_affected() as i64;
        }
        Ok(removed)
    }
}
