//! The command line: `flowgate serve` and the administration commands that
//! scripts and bootstrapping use. Administration goes through the same
//! [`App`] operations as the admin API, so every rule is enforced once.

mod client;
mod output;
mod scope;
mod service;
mod token;
mod user;

use crate::app::{App, Settings};
use crate::config::ServeArgs;
use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;

/// flowgate: an OAuth 2.0 authorization server with a gateway for the
/// services it protects.
#[derive(Debug, Parser)]
#[command(name = "flowgate", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the authorization server.
    Serve(Box<ServeArgs>),
    /// Bring the database schema up to date, then exit (for deployments
    /// whose nodes start with `serve --no-migrate`).
    Migrate(MigrateArgs),
    /// Register and manage client applications.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage scopes.
    #[command(subcommand)]
    Scope(scope::ScopeCommand),
    /// Manage services; apply and export them as YAML or JSON.
    #[command(subcommand)]
    Service(service::ServiceCommand),
    /// Manage users (resource owners and administrators).
    #[command(subcommand)]
    User(user::UserCommand),
    /// Mint, list, revoke and purge access tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
}

/// Options shared by the administration commands.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database to administer.
    #[arg(
        long,
        env = "FLOWGATE_DATABASE_URL",
        default_value = "sqlite://flowgate.db",
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,
    /// Print JSON instead of text, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Options of `flowgate migrate`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Database to migrate.
    #[arg(
        long,
        env = "FLOWGATE_DATABASE_URL",
        default_value = "sqlite://flowgate.db",
        hide_env_values = true
    )]
    pub database_url: String,
}

/// Runs the parsed command line; the exit code tells scripts how it went.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => crate::server::run(*args).await,
        Command::Migrate(args) => migrate(&args).await,
        Command::Client(cmd) => client::run(cmd).await,
        Command::Scope(cmd) => scope::run(cmd).await,
        Command::Service(cmd) => service::run(cmd).await,
        Command::User(cmd) => user::run(cmd).await,
        Command::Token(cmd) => token::run(cmd).await,
    }
}

/// `flowgate migrate`: applies the embedded migrations that the database
/// lacks.
async fn migrate(args: &MigrateArgs) -> ExitCode {
    let url = crate::store::redact_url(&args.database_url);
    match crate::store::open(&args.database_url, true).await {
        Ok(store) => {
            store.close().await;
            println!("{url}: the schema is up to date");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot migrate {url}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The actor recorded in the audit log for CLI changes.
pub(crate) const CLI_ACTOR: &str = "cli";

/// Opens the database for an administration command.
pub(crate) async fn open(db: &DbArgs) -> Result<Arc<App>, String> {
    let store = crate::store::open(&db.database_url, true)
        .await
        .map_err(|e| {
            format!(
                "cannot open {}: {e}",
                crate::store::redact_url(&db.database_url)
            )
        })?;
    let settings = Settings {
        access_token_lifetime: std::env::var("FLOWGATE_ACCESS_TOKEN_LIFETIME")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Settings::default().access_token_lifetime),
        ..Settings::default()
    };
    Ok(Arc::new(App::new(store, settings)))
}
