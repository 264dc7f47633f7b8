//! Resource owners and administrators. Passwords are kept as Argon2id hashes.

use super::{DomainError, UnixTime};
use serde::Deserialize;

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Unique and immutable; tokens refer to it as their subject.
    pub username: String,
    /// Argon2id hash in PHC string format.
    pub password_hash: String,
    pub admin: bool,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

/// User fields as the admin API and CLI send them.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// 1 to 100 letters, digits or `- _ . @ +`; cannot change once created.
    #[schema(min_length = 1, max_length = 100, example = "alice")]
    pub username: Option<String>,
    /// 8 to 1024 characters; never returned.
    #[schema(min_length = 8, max_length = 1024, format = Password, write_only)]
    pub password: Option<String>,
    /// Administrators may use the console and the admin API.
    pub admin: Option<bool>,
}

/// Minimum password length for new passwords.
pub const MIN_PASSWORD_LEN: usize = 8;

impl UserInput {
    pub fn check_username(username: &str) -> Result<(), DomainError> {
        let ok_len = (1..=100).contains(&username.chars().count());
        let ok_chars = username
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.@+".contains(c));
        if !ok_len || !ok_chars {
            return Err(DomainError::invalid(
                "username",
                "must be 1 to 100 letters, digits or - _ . @ +",
            ));
        }
        Ok(())
    }

    pub fn check_password(password: &str) -> Result<(), DomainError> {
        let n = password.chars().count();
        if !(MIN_PASSWORD_LEN..=1024).contains(&n) {
            return Err(DomainError::invalid(
                "password",
                format!("must be {MIN_PASSWORD_LEN} to 1024 characters"),
            ));
        }
        Ok(())
    }
}
