//! Managing scopes.

use super::conflict;
use crate::app::App;
use crate::domain::scope::ADMIN_SCOPE;
use crate::domain::{DomainError, NewAuditEvent, Scope, ScopeInput, Service, now};
use crate::store::{Change, StoreError};

impl App {
    pub async fn create_scope(&self, actor: &str, input: ScopeInput) -> Result<Scope, DomainError> {
        let scope = input.create(now())?;
        self.check_services_exist(&scope.services, &[]).await?;
        self.store.insert_scope(&scope).await.map_err(conflict)?;
        self.forget(Change::Scopes).await;
        self.audit(
            NewAuditEvent::success(actor, "scope.create", scope.name.clone())
                .with_detail(serde_json::json!({ "after": &scope })),
        )
        .await;
        Ok(scope)
    }

    pub async fn get_scope(&self, name: &str) -> Result<Scope, DomainError> {
        self.store
            .get_scope(name)
            .await?
            .ok_or(DomainError::NotFound("scope"))
    }

    pub async fn list_scopes(&self) -> Result<Vec<Scope>, DomainError> {
        Ok(self.store.list_scopes().await?)
    }

    pub async fn update_scope(
        &self,
        actor: &str,
        name: &str,
        input: ScopeInput,
    ) -> Result<Scope, DomainError> {
        let current = self.get_scope(name).await?;
        let scope = input.update(&current)?;
        // Paths the scope already named stay even if their service went.
        self.check_services_exist(&scope.services, &current.services)
            .await?;
        self.store.update_scope(&scope).await.map_err(|e| match e {
            StoreError::NotFound => DomainError::NotFound("scope"),
            e => conflict(e),
        })?;
        self.forget(Change::Scopes).await;
        self.audit(
            NewAuditEvent::success(actor, "scope.update", name.to_owned())
                .with_detail(serde_json::json!({ "before": &current, "after": &scope })),
        )
        .await;
        Ok(scope)
    }

    /// Deletes a scope. Tokens already issued keep their scope string;
    /// clients may no longer request it.
    pub async fn delete_scope(&self, actor: &str, name: &str) -> Result<(), DomainError> {
        if name == ADMIN_SCOPE {
            return Err(DomainError::invalid(
                "name",
                "the admin scope is reserved and cannot be deleted",
            ));
        }
        if !self.store.delete_scope(name).await? {
            return Err(DomainError::NotFound("scope"));
        }
        self.forget(Change::Scopes).await;
        self.audit(NewAuditEvent::success(
            actor,
            "scope.delete",
            name.to_owned(),
        ))
        .await;
        Ok(())
    }

    /// Refuses scope entries that name neither a registered service nor a
    /// folder holding one; entries in `kept` are not checked again.
    async fn check_services_exist(
        &self,
        entries: &[String],
        kept: &[String],
    ) -> Result<(), DomainError> {
        let fresh: Vec<&String> = entries.iter().filter(|e| !kept.contains(e)).collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let services = self.store.list_services().await?;
        for entry in fresh {
            if !services.iter().any(|s| Service::covered_by(&s.path, entry)) {
                return Err(DomainError::invalid(
                    "services",
                    format!("no service or folder \"{entry}\" is registered"),
                ));
            }
        }
        Ok(())
    }

    /// Registers the reserved `admin` scope if it is missing.
    pub async fn ensure_admin_scope(&self) -> Result<(), DomainError> {
        if self.store.get_scope(ADMIN_SCOPE).await?.is_some() {
            return Ok(());
        }
        let input = ScopeInput {
            name: Some(ADMIN_SCOPE.into()),
            description: Some("Administer flowgate through its admin API".into()),
            services: None,
        };
        match self.create_scope("system", input).await {
            Ok(_) | Err(DomainError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
