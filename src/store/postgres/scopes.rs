//! Scopes in PostgreSQL.

use super::{PgStore, map_err};
use crate::domain::Scope;
use crate::store::codec::{self, conflict_as, to_json};
use crate::store::{ScopeStore, StoreError, StoreResult};
use async_trait::async_trait;

const SELECT: &str = "SELECT name, description, services::text AS services, created_at FROM scopes";

#[async_trait]
impl ScopeStore for PgStore {
    async fn insert_scope(&self, s: &Scope) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO scopes (name, description, services, created_at) VALUES ($1, $2, $3::jsonb, $4)",
        )
        .bind(&s.name)
        .bind(&s.description)
        .bind(to_json(&s.services))
        .bind(s.created_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)
        .map_err(|e| conflict_as(e, || format!("scope \"{}\" already exists", s.name)))?;
        Ok(())
    }

    async fn get_scope(&self, name: &str) -> StoreResult<Option<Scope>> {
        sqlx::query(&format!("{SELECT} WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::scope)
            .transpose()
    }

    async fn list_scopes(&self) -> StoreResult<Vec<Scope>> {
        sqlx::query(&format!("{SELECT} ORDER BY name"))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(codec::scope)
            .collect()
    }

    async fn update_scope(&self, s: &Scope) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE scopes SET description = $1, services = $2::jsonb WHERE name = $3")
                .bind(&s.description)
                .bind(to_json(&s.services))
                .bind(&s.name)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_scope(&self, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM scopes WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }
}
