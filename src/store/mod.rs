//! The storage interface the whole server goes through, and its SQLite and
//! PostgreSQL implementations. Each aggregate has a narrow trait; [`Store`]
//! bundles them. Operations that must be atomic (consume a code, revoke a
//! family) are single trait methods, so each backend can make them so its
//! own way.

pub mod changes;
pub(crate) mod codec;
pub mod postgres;
pub mod sqlite;
pub(crate) mod writer;

pub use changes::Change;

use crate::crypto::Digest;
use crate::domain::{
    AccessToken, AuditEvent, AuditFilter, AuthCode, Client, NewAuditEvent, RefreshToken, Scope,
    Service, Session, TokenFilter, TokenId, UnixTime, User,
};
use async_trait::async_trait;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint would be broken; the message names it.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The record to change does not exist.
    #[error("not found")]
    NotFound,
    /// The database cannot be reached or is shutting down.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data. Logged, never shown to callers.
    #[error("store failure: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Inserts a client; `Conflict` when its name + version is taken.
    async fn insert_client(&self, client: &Client) -> StoreResult<()>;
    async fn get_client(&self, id: &str) -> StoreResult<Option<Client>>;
    async fn list_clients(&self, limit: u32, offset: u32) -> StoreResult<Vec<Client>>;
    /// Replaces a client's fields; `NotFound` when it does not exist.
    async fn update_client(&self, client: &Client) -> StoreResult<()>;
    /// Deletes a client with all its tokens and codes; `false` if absent.
    async fn delete_client(&self, id: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait ScopeStore: Send + Sync {
    async fn insert_scope(&self, scope: &Scope) -> StoreResult<()>;
    async fn get_scope(&self, name: &str) -> StoreResult<Option<Scope>>;
    async fn list_scopes(&self) -> StoreResult<Vec<Scope>>;
    async fn update_scope(&self, scope: &Scope) -> StoreResult<()>;
    async fn delete_scope(&self, name: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn get_user(&self, username: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, limit: u32, offset: u32) -> StoreResult<Vec<User>>;
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    /// Deletes a user with every token issued on their behalf.
    async fn delete_user(&self, username: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores new access tokens durably (committed before returning).
    /// Concurrent callers may share one commit.
    async fn insert_access_tokens(&self, tokens: &[AccessToken]) -> StoreResult<()>;
    async fn get_access_token(&self, id: &TokenId) -> StoreResult<Option<AccessToken>>;
    async fn list_access_tokens(
        &self,
        filter: &TokenFilter,
        now: UnixTime,
    ) -> StoreResult<Vec<AccessToken>>;
    /// Marks an access token revoked; `false` if it was absent or already revoked.
    async fn revoke_access_token(&self, id: &TokenId, now: UnixTime) -> StoreResult<bool>;
    /// Revokes every access and refresh token of a client; returns the ids
    /// of the access tokens it revoked.
    async fn revoke_client_tokens(
        &self,
        client_id: &str,
        now: UnixTime,
    ) -> StoreResult<Vec<TokenId>>;

    /// Deletes up to `max_rows` expired tokens and codes (and revoked ones
    /// older than the retention); returns how many rows went.
    async fn purge_expired(&self, now: UnixTime, max_rows: u32) -> StoreResult<u64>;
}

/// Authorization codes and refresh tokens: the grants that outlive one
/// request, with the atomic steps their rules need.
#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> StoreResult<()>;
    async fn get_refresh_token(&self, id: &TokenId) -> StoreResult<Option<RefreshToken>>;
    /// Revokes every access and refresh token of a grant family; returns
    /// the digests of the access tokens it revoked.
    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> StoreResult<Vec<TokenId>>;

    async fn insert_auth_code(&self, code: &AuthCode) -> StoreResult<()>;
    async fn get_auth_code(&self, id: &TokenId) -> StoreResult<Option<AuthCode>>;
    /// Marks a code used without redeeming it (a failed exchange burns the
    /// code); `true` only for the one call that did it.
    async fn consume_auth_code(&self, id: &TokenId, now: UnixTime) -> StoreResult<bool>;
    /// Marks code `code` used and stores the tokens it was exchanged for,
    /// in one transaction; `false` (and nothing stored) when the code was
    /// used already. A replay that sees the code used therefore also sees
    /// its tokens, and can revoke them.
    async fn redeem_auth_code(
        &self,
        code: &TokenId,
        now: UnixTime,
        access: &AccessToken,
        refresh: Option<&RefreshToken>,
    ) -> StoreResult<bool>;

    /// Exchanges refresh token `old` for `refresh` and `access`, atomically
    /// and only if `old` is still active (neither rotated nor revoked);
    /// `false` when another request rotated or revoked it first.
    async fn rotate_refresh_token(
        &self,
        old: &TokenId,
        now: UnixTime,
        refresh: &RefreshToken,
        access: &AccessToken,
    ) -> StoreResult<bool>;
}

#[async_trait]
pub trait ServiceStore: Send + Sync {
    /// Inserts a service; `Conflict` when its path is taken.
    async fn insert_service(&self, service: &Service) -> StoreResult<()>;
    async fn get_service(&self, path: &str) -> StoreResult<Option<Service>>;
    /// Every service, ordered by path.
    async fn list_services(&self) -> StoreResult<Vec<Service>>;
    async fn update_service(&self, service: &Service) -> StoreResult<()>;
    async fn delete_service(&self, path: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    async fn get_session(&self, id_hash: &Digest) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, id_hash: &Digest) -> StoreResult<()>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends events; they may be batched with other writes.
    async fn append_audit(&self, events: Vec<NewAuditEvent>, now: UnixTime) -> StoreResult<()>;
    async fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>>;
}

/// Everything flowgate stores.
#[async_trait]
pub trait Store:
    ClientStore
    + ScopeStore
    + UserStore
    + TokenStore
    + GrantStore
    + ServiceStore
    + SessionStore
    + AuditStore
{
    /// Checks that the database answers (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Flushes pending writes and closes connections.
    async fn close(&self);

    /// Announces a committed change to every other process sharing the
    /// database; a no-op for a backend only one server process uses.
    async fn publish(&self, change: &Change) -> StoreResult<()> {
        let _ = change;
        Ok(())
    }

    /// The changes other processes announce, for a backend that carries
    /// them. When the feed is interrupted it yields [`Change::Everything`]
    /// (again every second until it is back), so caches cannot go stale.
    fn subscribe(&self) -> Option<tokio::sync::mpsc::Receiver<Change>> {
        None
    }
}

/// Connections a PostgreSQL store opened by [`open`] may use.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// Opens the store named by a database URL, running migrations unless
/// `migrate` is false; a PostgreSQL store gets
/// [`DEFAULT_MAX_CONNECTIONS`] connections.
pub async fn open(url: &str, migrate: bool) -> StoreResult<Arc<dyn Store>> {
    open_with(url, migrate, DEFAULT_MAX_CONNECTIONS).await
}

/// Opens the store named by a database URL (`sqlite:` or `postgres:` /
/// `postgresql:`), running migrations unless `migrate` is false. SQLite
/// has fixed pools and ignores `max_connections`.
pub async fn open_with(
    url: &str,
    migrate: bool,
    max_connections: u32,
) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::open(url, migrate).await?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = postgres::PgStore::open(url, migrate, max_connections).await?;
        Ok(Arc::new(store))
    } else {
        Err(StoreError::Unavailable(format!(
            "unsupported database URL (expected sqlite://PATH or postgres://...): {}",
            redact_url(url)
        )))
    }
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
