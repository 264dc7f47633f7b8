//! Clients in PostgreSQL.

use super::{PgStore, map_err};
use crate::domain::Client;
use crate::store::codec::{self, client_conflict, grant_names, page_size, to_json};
use crate::store::{ClientStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;

/// The columns a client is read from, JSON as text.
const COLUMNS: &str = "id, name, version, description, auth_method, secret_hash, previous_secret_hash, \
    previous_secret_until, redirect_uris::text AS redirect_uris, grant_types::text AS grant_types, scope, \
    access_token_lifetime, refresh_count, active, created_at, updated_at";

/// Binds every stored field of `c` but its id and created_at, in the
/// order `$n` .. `$n + 14` of both statements below.
fn bind_fields<'q>(
    q: Query<'q, Postgres, PgArguments>,
    c: &'q Client,
) -> Query<'q, Postgres, PgArguments> {
    q.bind(&c.spec.name)
        .bind(&c.spec.version)
        .bind(Client::name_key(&c.spec))
        .bind(&c.spec.description)
        .bind(c.spec.auth_method.as_str())
        .bind(c.secret.as_ref().map(|d| &d.0[..]))
        .bind(c.previous_secret.as_ref().map(|(d, _)| &d.0[..]))
        .bind(c.previous_secret.as_ref().map(|(_, t)| *t))
        .bind(to_json(&c.spec.redirect_uris))
        .bind(grant_names(c))
        .bind(c.spec.scopes.to_string())
        .bind(c.spec.access_token_lifetime.to_option())
        .bind(c.spec.refresh_count.to_i64())
        .bind(c.spec.active)
        .bind(c.updated_at)
}

#[async_trait]
impl ClientStore for PgStore {
    async fn insert_client(&self, c: &Client) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO clients (name, version, name_key, description, auth_method, secret_hash, \
             previous_secret_hash, previous_secret_until, redirect_uris, grant_types, scope, \
             access_token_lifetime, refresh_count, active, updated_at, id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13, $14, $15, $16, $17)",
        );
        bind_fields(q, c)
            .bind(&c.id)
            .bind(c.created_at)
            .execute(&self.pool)
            .await
            .map_err(map_err)
            .map_err(|e| client_conflict(e, c))?;
        Ok(())
    }

    async fn get_client(&self, id: &str) -> StoreResult<Option<Client>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM clients WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::client)
            .transpose()
    }

    async fn list_clients(&self, limit: u32, offset: u32) -> StoreResult<Vec<Client>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clients ORDER BY created_at, id LIMIT $1 OFFSET $2"
        ))
        .bind(page_size(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(codec::client)
        .collect()
    }

    async fn update_client(&self, c: &Client) -> StoreResult<()> {
        let q = sqlx::query(
            "UPDATE clients SET name = $1, version = $2, name_key = $3, description = $4, auth_method = $5, \
             secret_hash = $6, previous_secret_hash = $7, previous_secret_until = $8, redirect_uris = $9::jsonb, \
             grant_types = $10::jsonb, scope = $11, access_token_lifetime = $12, refresh_count = $13, \
             active = $14, updated_at = $15 WHERE id = $16",
        );
        let done = bind_fields(q, c)
            .bind(&c.id)
            .execute(&self.pool)
            .await
            .map_err(map_err)
            .map_err(|e| client_conflict(e, c))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_client(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM clients WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }
}
