//! Users in SQLite.

use super::{SqliteStore, map_err};
use crate::domain::User;
use crate::store::codec::{self, conflict_as, page_size};
use crate::store::{StoreError, StoreResult, UserStore};
use async_trait::async_trait;

#[async_trait]
impl UserStore for SqliteStore {
    async fn insert_user(&self, u: &User) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (username, password_hash, admin, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&u.username)
        .bind(&u.password_hash)
        .bind(u.admin)
        .bind(u.created_at)
        .bind(u.updated_at)
        .execute(&self.write)
        .await
        .map_err(map_err)
        .map_err(|e| conflict_as(e, || format!("user \"{}\" already exists", u.username)))?;
        Ok(())
    }

    async fn get_user(&self, username: &str) -> StoreResult<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::user)
            .transpose()
    }

    async fn list_users(&self, limit: u32, offset: u32) -> StoreResult<Vec<User>> {
        sqlx::query("SELECT * FROM users ORDER BY username LIMIT ? OFFSET ?")
            .bind(page_size(limit))
            .bind(i64::from(offset))
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?
            .iter()
            .map(codec::user)
            .collect()
    }

    async fn update_user(&self, u: &User) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = ?, admin = ?, updated_at = ? WHERE username = ?",
        )
        .bind(&u.password_hash)
        .bind(u.admin)
        .bind(u.updated_at)
        .bind(&u.username)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM users WHERE username = ?")
            .bind(username)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }
}
