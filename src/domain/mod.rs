//! The things flowgate manages and the rules they obey (DESIGN §3), free of
//! HTTP and SQL. Every rule lives here once; the server, the admin API and
//! the CLI all validate through these types.

pub mod audit;
pub mod client;
pub mod error;
pub mod grant;
pub mod name;
pub mod redirect_uri;
pub mod scope;
pub mod service;
pub mod session;
pub mod token;
pub mod user;

pub use audit::{AuditEvent, AuditFilter, NewAuditEvent};
pub use client::{AuthMethod, Client, ClientInput, ClientSpec, Lifetime, RefreshCount};
pub use error::DomainError;
pub use grant::GrantType;
pub use scope::{Scope, ScopeInput, ScopeSet};
pub use service::{Service, ServiceKind};
pub use session::Session;
pub use token::{AccessToken, AuthCode, RefreshToken, TokenFilter, TokenId, TokenState};
pub use user::{User, UserInput};

/// Seconds since the Unix epoch; every timestamp flowgate stores uses it.
pub type UnixTime = i64;

/// The current time in seconds since the Unix epoch.
pub fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
