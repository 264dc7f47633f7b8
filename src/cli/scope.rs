//! `flowgate scope ...`: manage scopes and the services each one grants.

use super::output::{self, Failure};
use super::{CLI_ACTOR, DbArgs};
use crate::app::App;
use crate::domain::{Scope, ScopeInput};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ScopeCommand {
    /// Register a scope.
    Create {
        /// Scope name: printable ASCII, no spaces.
        name: String,
        /// Shown to the resource owner on the permissions page.
        #[arg(long, value_name = "D")]
        description: Option<String>,
        /// Folder or service path the scope grants, e.g. orders/createOrder;
        /// repeat for several.
        #[arg(long, value_name = "PATH")]
        service: Vec<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List scopes.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show one scope.
    Show {
        /// Scope name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Change a scope's description or services; only the options given change.
    Update {
        /// Scope name.
        name: String,
        /// New description.
        #[arg(long, value_name = "D")]
        description: Option<String>,
        /// Folder or service path; replaces the whole list; repeat for several.
        #[arg(long, value_name = "PATH")]
        service: Vec<String>,
        /// Remove every service path.
        #[arg(long, conflicts_with = "service")]
        clear_services: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete a scope. Tokens already issued keep it; clients can no longer request it.
    Delete {
        /// Scope name (the reserved admin scope cannot be deleted).
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

impl ScopeCommand {
    fn db(&self) -> &DbArgs {
        match self {
            ScopeCommand::Create { db, .. }
            | ScopeCommand::List { db }
            | ScopeCommand::Show { db, .. }
            | ScopeCommand::Update { db, .. }
            | ScopeCommand::Delete { db, .. } => db,
        }
    }
}

pub async fn run(cmd: ScopeCommand) -> ExitCode {
    let db = cmd.db().clone();
    let json = db.json;
    output::run_with_app(
        &db,
        move |app| async move { execute(&app, cmd, json).await },
    )
    .await
}

async fn execute(app: &App, cmd: ScopeCommand, json: bool) -> Result<String, Failure> {
    match cmd {
        ScopeCommand::Create {
            name,
            description,
            service,
            ..
        } => {
            let input = ScopeInput {
                name: Some(name),
                description,
                services: (!service.is_empty()).then_some(service),
            };
            show(&app.create_scope(CLI_ACTOR, input).await?, json)
        }
        ScopeCommand::List { .. } => {
            let scopes = app.list_scopes().await?;
            if json {
                return output::json(&scopes);
            }
            let rows: Vec<Vec<String>> = scopes
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        output::words(&s.services),
                        output::or_dash(&s.description),
                    ]
                })
                .collect();
            Ok(output::table_or_empty(
                &["NAME", "SERVICES", "DESCRIPTION"],
                &rows,
                "scopes",
            ))
        }
        ScopeCommand::Show { name, .. } => show(&app.get_scope(&name).await?, json),
        ScopeCommand::Update {
            name,
            description,
            service,
            clear_services,
            ..
        } => {
            let services = if clear_services {
                Some(Vec::new())
            } else {
                (!service.is_empty()).then_some(service)
            };
            let input = ScopeInput {
                name: None,
                description,
                services,
            };
            show(&app.update_scope(CLI_ACTOR, &name, input).await?, json)
        }
        ScopeCommand::Delete { name, .. } => {
            app.delete_scope(CLI_ACTOR, &name).await?;
            if json {
                output::json(&serde_json::json!({ "name": name, "deleted": true }))
            } else {
                Ok(format!("deleted scope {name}"))
            }
        }
    }
}

fn show(s: &Scope, json: bool) -> Result<String, Failure> {
    if json {
        return output::json(s);
    }
    Ok(output::record(&[
        ("name", s.name.clone()),
        ("description", output::or_dash(&s.description)),
        ("services", output::words(&s.services)),
        ("created_at", output::time(s.created_at)),
    ]))
}
