//! Clients in SQLite.

use super::{SqliteStore, from_json, map_err, page_size, to_json};
use crate::crypto::Digest;
use crate::domain::{AuthMethod, Client, ClientSpec, GrantType, Lifetime, RefreshCount, ScopeSet};
use crate::store::{ClientStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

const COLUMNS: &str = "id, name, version, description, auth_method, secret_hash, previous_secret_hash, \
    previous_secret_until, redirect_uris, grant_types, scope, access_token_lifetime, refresh_count, active, \
    created_at, updated_at";

fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt client row: {what}"))
}

fn from_row(row: &SqliteRow) -> StoreResult<Client> {
    let auth: String = row.try_get("auth_method").map_err(map_err)?;
    let grants: Vec<String> = from_json(row.try_get("grant_types").map_err(map_err)?)?;
    let scope: String = row.try_get("scope").map_err(map_err)?;
    let secret: Option<Vec<u8>> = row.try_get("secret_hash").map_err(map_err)?;
    let previous: Option<Vec<u8>> = row.try_get("previous_secret_hash").map_err(map_err)?;
    let previous_until: Option<i64> = row.try_get("previous_secret_until").map_err(map_err)?;
    let spec = ClientSpec {
        name: row.try_get("name").map_err(map_err)?,
        version: row.try_get("version").map_err(map_err)?,
        description: row.try_get("description").map_err(map_err)?,
        auth_method: AuthMethod::parse(&auth).ok_or_else(|| corrupt("auth_method"))?,
        redirect_uris: from_json(row.try_get("redirect_uris").map_err(map_err)?)?,
        grant_types: grants
            .iter()
            .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant_types")))
            .collect::<StoreResult<_>>()?,
        scopes: ScopeSet::parse(&scope).map_err(|_| corrupt("scope"))?,
        access_token_lifetime: Lifetime::from_option(
            row.try_get("access_token_lifetime").map_err(map_err)?,
        )
        .map_err(|_| corrupt("access_token_lifetime"))?,
        refresh_count: RefreshCount::from_i64(row.try_get("refresh_count").map_err(map_err)?)
            .map_err(|_| corrupt("refresh_count"))?,
        active: row.try_get("active").map_err(map_err)?,
    };
    Ok(Client {
        id: row.try_get("id").map_err(map_err)?,
        spec,
        secret: secret
            .as_deref()
            .map(|b| Digest::from_slice(b).ok_or_else(|| corrupt("secret_hash")))
            .transpose()?,
        previous_secret: match (previous, previous_until) {
            (Some(b), Some(until)) => Some((
                Digest::from_slice(&b).ok_or_else(|| corrupt("previous_secret_hash"))?,
                until,
            )),
            _ => None,
        },
        created_at: row.try_get("created_at").map_err(map_err)?,
        updated_at: row.try_get("updated_at").map_err(map_err)?,
    })
}

fn grant_names(c: &Client) -> String {
    to_json(
        &c.spec
            .grant_types
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>(),
    )
}

fn name_conflict(e: StoreError, c: &Client) -> StoreError {
    match e {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "a client named \"{}\" version \"{}\" already exists",
            c.spec.name, c.spec.version
        )),
        e => e,
    }
}

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
        .map_err(|e| name_conflict(e, c))?;
        Ok(())
    }

    async fn get_client(&self, id: &str) -> StoreResult<Option<Client>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM clients WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(from_row)
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
        .map(from_row)
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
        .map_err(|e| name_conflict(e, c))?;
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
