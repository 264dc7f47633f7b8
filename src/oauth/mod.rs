//! The OAuth 2.0 protocol engine, free of HTTP framework types: requests
//! come in as [`Params`] plus the `Authorization` header, answers go out as
//! response structs or an [`OAuthError`].

pub mod authorize;
pub mod client_auth;
pub mod error;
pub mod grants;
pub mod introspect;
pub mod issuer;
pub mod metadata;
pub mod params;
pub mod pkce;
pub mod revoke;
pub mod session;
pub mod token;
pub mod validate;

pub use client_auth::AuthenticatedClient;
pub use error::{ErrorCode, OAuthError};
pub use params::Params;
pub use token::TokenResponse;
