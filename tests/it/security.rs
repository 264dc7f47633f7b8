//! The security suite: one test per threat, each named for the threat and
//! the section of the OAuth 2.0 Security Best Current Practice (RFC 9700),
//! the threat model (RFC 6819) or the core specifications (RFC 6749, RFC
//! 6750) that describes it; plus the hygiene every HTML page and the logs
//! owe the people whose secrets pass through the server.
//!
//! | threat | section | module |
//! |---|---|---|
//! | authorization server as open redirector | RFC 9700 §4.11.2 | `redirects` |
//! | redirect URI manipulation | RFC 9700 §4.1 | `redirects` |
//! | authorization code injection | RFC 9700 §4.5 | `codes` |
//! | authorization code replay | RFC 6749 §4.1.2 | `codes` |
//! | PKCE downgrade | RFC 9700 §4.8.2 | `codes` |
//! | CSRF on the login and permissions pages | RFC 6749 §10.12 | `pages` |
//! | clickjacking, page headers | RFC 9700 §4.16, §4.2.4 | `pages` |
//! | session fixation | OWASP ASVS 4.0 V3.2.1 | `pages` |
//! | access token in the query at a service | RFC 6750 §2.3, RFC 9700 §4.3.2 | `tokens` |
//! | scope escalation on refresh | RFC 6749 §6 | `tokens` |
//! | admin API with a non-admin token | RFC 9700 §2.3 | `tokens` |
//! | client impersonation | RFC 6749 §10.2 | `clients` |
//! | client secret guessing by timing | RFC 6819 §4.3.5 | `clients` |
//! | secrets in the logs | RFC 6819 §4.6.7 | `logs` |

mod clients;
mod codes;
mod logs;
mod pages;
mod redirects;
mod tokens;
