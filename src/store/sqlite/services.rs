//! Services in SQLite.

use super::{SqliteStore, map_err};
use crate::domain::Service;
use crate::store::codec::{self, conflict_as, to_json};
use crate::store::{ServiceStore, StoreError, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl ServiceStore for SqliteStore {
    async fn insert_service(&self, s: &Service) -> StoreResult<()> {
        sqlx::query("INSERT INTO services (path, description, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&s.path)
            .bind(&s.description)
            .bind(to_json(&s.kind))
            .bind(s.created_at)
            .bind(s.updated_at)
            .execute(&self.write)
            .await
            .map_err(map_err)
            .map_err(|e| conflict_as(e, || format!("service \"{}\" already exists", s.path)))?;
        Ok(())
    }

    async fn get_service(&self, path: &str) -> StoreResult<Option<Service>> {
        sqlx::query("SELECT * FROM services WHERE path = ?")
            .bind(path)
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(codec::service)
            .transpose()
    }

    async fn list_services(&self) -> StoreResult<Vec<Service>> {
        sqlx::query("SELECT * FROM services ORDER BY path")
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?
            .iter()
            .map(codec::service)
            .collect()
    }

    async fn update_service(&self, s: &Service) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE services SET description = ?, spec = ?, updated_at = ? WHERE path = ?",
        )
        .bind(&s.description)
        .bind(to_json(&s.kind))
        .bind(s.updated_at)
        .bind(&s.path)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_service(&self, path: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM services WHERE path = ?")
            .bind(path)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }
}
