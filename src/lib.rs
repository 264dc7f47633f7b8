//! flowgate: an OAuth 2.0 authorization server with a gateway for the
//! services it protects.
//!
//! Layers, from the edge inwards: [`web`] (HTTP) and [`cli`] → [`oauth`]
//! (protocol) and [`service`] (administration), both `impl` blocks on
//! [`app::App`] → [`domain`] (rules) → [`store`] (storage).

pub mod app;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod flow;
pub mod gateway;
pub mod janitor;
pub mod limits;
pub mod oauth;
pub mod server;
pub mod service;
pub mod snapshot;
pub mod store;
pub mod tls;
pub mod web;
