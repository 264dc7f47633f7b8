//! Scopes in SQLite.

use super::{SqliteStore, from_json, map_err, to_json};
use crate::domain::Scope;
use crate::store::{ScopeStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

fn from_row(row: &SqliteRow) -> StoreResult<Scope> {
    Ok(Scope {
        name: row.try_get("name").map_err(map_err)?,
        description: row.try_get("description").map_err(map_err)?,
        services: from_json(row.try_get("services").map_err(map_err)?)?,
        created_at: row.try_get("created_at").map_err(map_err)?,
    })
}

#[async_trait]
impl ScopeStore for SqliteStore {
    async fn insert_scope(&self, s: &Scope) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO scopes (name, description, services, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&s.name)
        .bind(&s.description)
        .bind(to_json(&s.services))
        .bind(s.created_at)
        .execute(&self.write)
        .await
        .map_err(map_err)
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("scope \"{}\" already exists", s.name))
            }
            e => e,
        })?;
        Ok(())
    }

    async fn get_scope(&self, name: &str) -> StoreResult<Option<Scope>> {
        sqlx::query("SELECT * FROM scopes WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    async fn list_scopes(&self) -> StoreResult<Vec<Scope>> {
        sqlx::query("SELECT * FROM scopes ORDER BY name")
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?
            .iter()
            .map(from_row)
            .collect()
    }

    async fn update_scope(&self, s: &Scope) -> StoreResult<()> {
        let done = sqlx::query("UPDATE scopes SET description = ?, services = ? WHERE name = ?")
            .bind(&s.description)
            .bind(to_json(&s.services))
            .bind(&s.name)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_scope(&self, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM scopes WHERE name = ?")
            .bind(name)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }
}
