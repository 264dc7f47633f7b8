//! flowgate's integration tests: one binary, each test against a real
//! server on an ephemeral port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_api;
mod authorization_code;
mod authorization_pages;
mod browser;
mod cli;
mod cli_services;
mod console;
mod crash;
mod demo;
mod gateway;
mod implicit;
mod introspection;
mod limits;
mod multi_node;
mod pg;
mod process;
mod properties;
mod refresh;
mod security;
mod server;
mod store_suite;
mod support;
mod tls;
mod token_endpoint;
mod user_agent;
