//! flowgate's integration tests: one binary, each test against a real
//! server on an ephemeral port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod cli;
mod introspection;
mod server;
mod store_suite;
mod support;
mod token_endpoint;
