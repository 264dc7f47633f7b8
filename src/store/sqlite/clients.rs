//! Clients in SQLite.

use super::{SqliteStore, map_err};
use crate::domain::Client;
use crate::store::codec::{self, client_conflict, grant_names, page_size, to_json};
use crate::store::{ClientStore, StoreError, StoreResult};
use async_trait::async_trait;

const COLUMNS: &str = "id, name, version, description, auth_method, secret_hash, previous_secret_hash, \
    previous_secret_until, redirect_uris, grant_types, scope, access_token_lifetime, refresh_count, active, \
    created_at, updated_at";

#[async_trait]
impl ClientStore for SqliteStore {
    async fn insert_client(&self, c: &Client) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO clients ({COLUMNS}, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&c.id)
        .bind(&c.spec.name)
        .bind(&c.spec.version)
        .bind(&c.spec.description)
        .bind(c.spec.auth_method.as_str())
        .bind(c.secret.as_ref().map(|d| d.0.to_vec()))
        .bind(c.previous_secret.as_ref().map(|(d, _)| d.0.to_vec()))
        .bind(c.previous_secret.as_ref().map(|(_, t)| *t))
        .bind(to_json(&c.spec.redirect_uris))
        .bind(grant_names(c))
        .bind(c.spec.scopes.to_string())
        .bind(c.spec.access_token_lifetime.to_option())
        .bind(c.spec.refresh_count.to_i64())
        .bind(c.spec.active)
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(Client::name_key(&c.spec))
        .execute(&self.write)
        .await
        .map_err(map_err)
        .map_err(|e| client_conflict(e, c))?;
        Ok(())
    }

    async fn get_client(&self, id: &str) -> StoreResult<Option<Client>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM clients WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::client)
            .transpose()
    }

    async fn list_clients(&self, limit: u32, offset: u32) -> StoreResult<Vec<Client>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clients ORDER BY created_at, id LIMIT ? OFFSET ?"
        ))
        .bind(page_size(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?
        .iter()
        .map(codec::client)
        .collect()
    }

    async fn update_client(&self, c: &Client) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE clients SET name = ?, version = ?, name_key = ?, description = ?, auth_method = ?, \
             secret_hash = ?, previous_secret_hash = ?, previous_secret_until = ?, redirect_uris = ?, \
             grant_types = ?, scope = ?, access_token_lifetime = ?, refresh_count = ?, active = ?, updated_at = ? \
             WHERE id = ?",
        )
        .bind(&c.spec.name)
        .bind(&c.spec.version)
        .bind(Client::name_key(&c.spec))
        .bind(&c.spec.description)
        .bind(c.spec.auth_method.as_str())
        .bind(c.secret.as_ref().map(|d| d.0.to_vec()))
        .bind(c.previous_secret.as_ref().map(|(d, _)| d.0.to_vec()))
        .bind(c.previous_secret.as_ref().map(|(_, t)| *t))
        .bind(to_json(&c.spec.redirect_uris))
        .bind(grant_names(c))
        .bind(c.spec.scopes.to_string())
        .bind(c.spec.access_token_lifetime.to_option())
        .bind(c.spec.refresh_count.to_i64())
        .bind(c.spec.active)
        .bind(c.updated_at)
        .bind(&c.id)
        .execute(&self.write)
        .await
        .map_err(map_err)
        .map_err(|e| client_conflict(e, c))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_client(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM clients WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }
}
