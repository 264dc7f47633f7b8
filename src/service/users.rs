//! Managing resource owners and administrators.

use super::conflict;
use crate::app::App;
use crate::crypto::{self, Secret};
use crate::domain::{DomainError, NewAuditEvent, User, UserInput, now};
use crate::store::{Change, StoreError, StoreResult};
use serde::Serialize;

/// A user as the admin API and the CLI show it; never the password.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub username: String,
    pub admin: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            username: u.username.clone(),
            admin: u.admin,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// Argon2id off the async threads: it is deliberately slow.
async fn hash(password: String) -> Result<String, DomainError> {
    tokio::task::spawn_blocking(move || crypto::hash_password(&password))
        .await
        .map_err(|e| DomainError::Store(StoreError::Internal(format!("hashing task failed: {e}"))))?
        .map_err(|e| {
            DomainError::Store(StoreError::Internal(format!(
                "password hashing failed: {e}"
            )))
        })
}

impl App {
    pub async fn create_user(&self, actor: &str, input: UserInput) -> Result<User, DomainError> {
        let username = input
            .username
            .ok_or_else(|| DomainError::invalid("username", "is required"))?;
        UserInput::check_username(&username)?;
        let password = input
            .password
            .ok_or_else(|| DomainError::invalid("password", "is required"))?;
        UserInput::check_password(&password)?;
        let at = now();
        let user = User {
            username,
            password_hash: hash(password).await?,
            admin: input.admin.unwrap_or(false),
            created_at: at,
            updated_at: at,
        };
        self.store.insert_user(&user).await.map_err(conflict)?;
        self.audit(
            NewAuditEvent::success(actor, "user.create", user.username.clone())
                .with_detail(serde_json::json!({ "admin": user.admin })),
        )
        .await;
        Ok(user)
    }

    pub async fn get_user(&self, username: &str) -> Result<User, DomainError> {
        self.store
            .get_user(username)
            .await?
            .ok_or(DomainError::NotFound("user"))
    }

    pub async fn list_users(&self, limit: u32, offset: u32) -> Result<Vec<User>, DomainError> {
        Ok(self.store.list_users(limit, offset).await?)
    }

    /// Changes a user's password or administrator flag.
    pub async fn update_user(
        &self,
        actor: &str,
        username: &str,
        input: UserInput,
    ) -> Result<User, DomainError> {
        if input.username.as_deref().is_some_and(|u| u != username) {
            return Err(DomainError::invalid("username", "cannot be changed"));
        }
        let current = self.get_user(username).await?;
        let mut user = current.clone();
        if let Some(password) = input.password {
            UserInput::check_password(&password)?;
            user.password_hash = hash(password).await?;
        }
        if let Some(admin) = input.admin {
            if current.admin && !admin && self.other_admins(username).await? == 0 {
                return Err(DomainError::invalid(
                    "admin",
                    "the last administrator cannot lose the administrator flag",
                ));
            }
            user.admin = admin;
        }
        user.updated_at = now();
        self.store.update_user(&user).await.map_err(|e| match e {
            StoreError::NotFound => DomainError::NotFound("user"),
            e => conflict(e),
        })?;
        self.audit(
            NewAuditEvent::success(actor, "user.update", username.to_owned()).with_detail(
                serde_json::json!({
                    "admin": { "before": current.admin, "after": user.admin },
                    "password_changed": user.password_hash != current.password_hash,
                }),
            ),
        )
        .await;
        Ok(user)
    }

    /// Deletes a user and every token issued on their behalf.
    /// The last administrator cannot be deleted: nobody could administer
    /// the server afterwards.
    pub async fn delete_user(&self, actor: &str, username: &str) -> Result<(), DomainError> {
        let user = self.get_user(username).await?;
        if user.admin && self.other_admins(username).await? == 0 {
            return Err(DomainError::Conflict(format!(
                "\"{username}\" is the last administrator; make another user an administrator first"
            )));
        }
        if !self.store.delete_user(username).await? {
            return Err(DomainError::NotFound("user"));
        }
        self.forget(Change::AllTokens).await;
        self.audit(NewAuditEvent::success(
            actor,
            "user.delete",
            username.to_owned(),
        ))
        .await;
        Ok(())
    }

    /// How many administrators other than `username` exist.
    async fn other_admins(&self, username: &str) -> Result<usize, DomainError> {
        let mut count = 0;
        let mut offset = 0;
        loop {
            let page = self.store.list_users(1000, offset).await?;
            count += page
                .iter()
                .filter(|u| u.admin && u.username != username)
                .count();
            if page.len() < 1000 || count > 0 {
                return Ok(count);
            }
            offset += 1000;
        }
    }

    /// Checks a user's password; `None` for an unknown user or a wrong
    /// password, which take the same time.
    pub async fn authenticate_user(
        &self,
        username: &str,
        password: &Secret,
    ) -> StoreResult<Option<User>> {
        let user = self.store.get_user(username).await?;
        let password = password.clone();
        let checked = tokio::task::spawn_blocking(move || match user {
            Some(u) if crypto::verify_password(password.expose(), &u.password_hash) => Some(u),
            Some(_) => None,
            None => {
                crypto::verify_password_dummy(password.expose());
                None
            }
        })
        .await
        .map_err(|e| StoreError::Internal(format!("password check failed: {e}")))?;
        Ok(checked)
    }

    /// Creates the `admin` account on first start. Returns the generated
    /// password when none was given, so the caller can show it once.
    pub async fn ensure_admin_user(
        &self,
        password: Option<String>,
    ) -> Result<Option<Secret>, DomainError> {
        if self.store.get_user("admin").await?.is_some() {
            return Ok(None);
        }
        let (password, generated) = match password {
            Some(p) => (p, false),
            None => (crypto::random_secret("").expose().to_owned(), true),
        };
        let input = UserInput {
            username: Some("admin".into()),
            password: Some(password.clone()),
            admin: Some(true),
        };
        match self.create_user("system", input).await {
            Ok(_) => Ok(generated.then(|| Secret::new(password))),
            Err(DomainError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
