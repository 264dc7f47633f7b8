//! The security suite: one test per threat, each named for the threat and
//! the section of the OAuth 2.0 Security Best Current Practice (RFC 9700),
//! the threat model (RFC 6819) or the core specifications (RFC 6749, RFC
//! 6750) that describes it; plus the hygiene every HTML page and the logs
//! owe the people whose secrets pass through the server.

mod codes;
mod logs;
mod pages;
mod redirects;
