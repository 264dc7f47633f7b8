//! Administration of clients, scopes, users, services and tokens: the operations that
//! the admin API and the CLI share, each validating through the domain
//! layer, invalidating the caches it affects, and writing the audit log.

pub mod audit;
pub mod clients;
pub mod scopes;
pub mod services;
pub mod tokens;
pub mod users;

pub use clients::ClientView;
pub use services::{ApplySummary, Kind, ServiceInput, ServiceView};
pub use tokens::{MintedToken, TokenView};
pub use users::UserView;

use crate::domain::DomainError;
use crate::store::StoreError;

/// Maps a store conflict to a domain conflict, keeping its message.
pub(crate) fn conflict(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict(msg) => DomainError::Conflict(msg),
        e => DomainError::Store(e),
    }
}
