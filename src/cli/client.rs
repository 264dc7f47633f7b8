//! `flowgate client ...`: register and manage client applications.

use super::output::{self, Failure};
use super::{CLI_ACTOR, DbArgs};
use crate::app::App;
use crate::domain::ClientInput;
use crate::service::ClientView;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its client_id and, once, its secret.
    Create {
        /// Display name (unique together with the version, ignoring case).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        fields: ClientFields,
        /// Register the client deactivated.
        #[arg(long)]
        inactive: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List clients.
    List {
        /// Most clients to show (at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Clients to skip, for paging.
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show one client.
    Show {
        /// The client_id.
        #[arg(value_name = "CLIENT_ID")]
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Change a client; only the options given change.
    Update {
        /// The client_id.
        #[arg(value_name = "CLIENT_ID")]
        id: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: ClientFields,
        /// Remove every redirect URI.
        #[arg(long, conflicts_with = "redirect_uri")]
        clear_redirect_uris: bool,
        /// Activate or deactivate the client; deactivating makes its tokens inactive.
        #[arg(long, value_name = "true|false")]
        active: Option<bool>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete a client with all its tokens and codes.
    Delete {
        /// The client_id.
        #[arg(value_name = "CLIENT_ID")]
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give a confidential client a new secret; prints it once.
    RotateSecret {
        /// The client_id.
        #[arg(value_name = "CLIENT_ID")]
        id: String,
        /// Seconds the old secret keeps working (0: it stops at once).
        #[arg(long, value_name = "SECS", default_value_t = 0)]
        overlap: i64,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Registration fields shared by `create` and `update`. On update, a list
/// option replaces the whole list.
#[derive(Debug, Clone, Args)]
pub struct ClientFields {
    /// Version (default on create: 1.0).
    #[arg(long, value_name = "V")]
    version: Option<String>,
    /// Free-text description.
    #[arg(long, value_name = "D")]
    description: Option<String>,
    /// client_secret_basic (default), client_secret_post, or none for a public client.
    #[arg(long, value_name = "METHOD")]
    auth_method: Option<String>,
    /// Redirect URI; repeat for several.
    #[arg(long, value_name = "URI")]
    redirect_uri: Vec<String>,
    /// Grant type: authorization_code (default), implicit, client_credentials,
    /// password, refresh_token; repeat for several.
    #[arg(long, value_name = "GRANT")]
    grant: Vec<String>,
    /// Space-separated scopes the client may request.
    #[arg(long, value_name = "\"a b\"")]
    scope: Option<String>,
    /// Access token lifetime in seconds, -1 never expires, or "default" for
    /// the server's.
    #[arg(long, value_name = "SECS|-1|default", allow_negative_numbers = true, value_parser = parse_lifetime)]
    access_token_lifetime: Option<Lifetime>,
    /// How many times one grant may be refreshed; -1 unlimited.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    refresh_count: Option<i64>,
}

/// A lifetime as given on the command line; `None` is the server default.
#[derive(Debug, Clone, Copy)]
struct Lifetime(Option<i64>);

fn parse_lifetime(s: &str) -> Result<Lifetime, String> {
    if s == "default" {
        return Ok(Lifetime(None));
    }
    s.parse()
        .map(|n| Lifetime(Some(n)))
        .map_err(|_| "expected a number of seconds, -1, or \"default\"".to_owned())
}

impl ClientFields {
    fn into_input(
        self,
        name: Option<String>,
        active: Option<bool>,
        clear_redirect_uris: bool,
    ) -> ClientInput {
        let redirect_uris = if clear_redirect_uris {
            Some(Vec::new())
        } else {
            non_empty(self.redirect_uri)
        };
        ClientInput {
            client_name: name,
            client_version: self.version,
            description: self.description,
            token_endpoint_auth_method: self.auth_method,
            redirect_uris,
            grant_types: non_empty(self.grant),
            scope: self.scope,
            access_token_lifetime: self.access_token_lifetime.map(|l| l.0),
            refresh_count: self.refresh_count,
            active,
        }
    }
}

/// A repeated option given at least once, else "not given".
fn non_empty(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

impl ClientCommand {
    fn db(&self) -> &DbArgs {
        match self {
            ClientCommand::Create { db, .. }
            | ClientCommand::List { db, .. }
            | ClientCommand::Show { db, .. }
            | ClientCommand::Update { db, .. }
            | ClientCommand::Delete { db, .. }
            | ClientCommand::RotateSecret { db, .. } => db,
        }
    }
}

pub async fn run(cmd: ClientCommand) -> ExitCode {
    let db = cmd.db().clone();
    let json = db.json;
    output::run_with_app(
        &db,
        move |app| async move { execute(&app, cmd, json).await },
    )
    .await
}

async fn execute(app: &App, cmd: ClientCommand, json: bool) -> Result<String, Failure> {
    match cmd {
        ClientCommand::Create {
            name,
            fields,
            inactive,
            ..
        } => {
            let input = fields.into_input(Some(name), inactive.then_some(false), false);
            let (client, secret) = app.create_client(CLI_ACTOR, input).await?;
            show(&ClientView::of(&client, secret.as_ref()), json)
        }
        ClientCommand::List { limit, offset, .. } => {
            let views: Vec<ClientView> = app
                .list_clients(limit, offset)
                .await?
                .iter()
                .map(|c| ClientView::of(c, None))
                .collect();
            if json {
                return output::json(&views);
            }
            let rows: Vec<Vec<String>> = views
                .iter()
                .map(|c| {
                    vec![
                        c.client_id.clone(),
                        c.client_name.clone(),
                        c.client_version.clone(),
                        c.client_type.to_owned(),
                        if c.active { "yes" } else { "no" }.to_owned(),
                        output::words(&c.grant_types),
                        output::or_dash(&c.scope),
                    ]
                })
                .collect();
            Ok(output::table_or_empty(
                &[
                    "CLIENT_ID",
                    "NAME",
                    "VERSION",
                    "TYPE",
                    "ACTIVE",
                    "GRANTS",
                    "SCOPE",
                ],
                &rows,
                "clients",
            ))
        }
        ClientCommand::Show { id, .. } => {
            show(&ClientView::of(&app.get_client(&id).await?, None), json)
        }
        ClientCommand::Update {
            id,
            name,
            fields,
            clear_redirect_uris,
            active,
            ..
        } => {
            let input = fields.into_input(name, active, clear_redirect_uris);
            show(
                &ClientView::of(&app.update_client(CLI_ACTOR, &id, input).await?, None),
                json,
            )
        }
        ClientCommand::Delete { id, .. } => {
            app.delete_client(CLI_ACTOR, &id).await?;
            if json {
                output::json(&serde_json::json!({ "client_id": id, "deleted": true }))
            } else {
                Ok(format!("deleted client {id}"))
            }
        }
        ClientCommand::RotateSecret { id, overlap, .. } => {
            let (client, secret) = app.rotate_client_secret(CLI_ACTOR, &id, overlap).await?;
            show(&ClientView::of(&client, Some(&secret)), json)
        }
    }
}

/// One client as JSON or `key: value` lines, with its secret when it has
/// just been generated.
fn show(c: &ClientView, json: bool) -> Result<String, Failure> {
    if json {
        return output::json(c);
    }
    let lifetime = match c.access_token_lifetime {
        None => "server default".to_owned(),
        Some(-1) => "never expires".to_owned(),
        Some(n) => format!("{n} s"),
    };
    let refresh = match c.refresh_count {
        -1 => "unlimited".to_owned(),
        n => n.to_string(),
    };
    let mut fields = vec![
        ("client_id", c.client_id.clone()),
        ("client_name", c.client_name.clone()),
        ("client_version", c.client_version.clone()),
        ("description", output::or_dash(&c.description)),
        ("client_type", c.client_type.to_owned()),
        (
            "token_endpoint_auth_method",
            c.token_endpoint_auth_method.to_owned(),
        ),
        ("redirect_uris", output::words(&c.redirect_uris)),
        ("grant_types", output::words(&c.grant_types)),
        ("scope", output::or_dash(&c.scope)),
        ("access_token_lifetime", lifetime),
        ("refresh_count", refresh),
        ("active", c.active.to_string()),
        ("created_at", output::time(c.created_at)),
        ("updated_at", output::time(c.updated_at)),
    ];
    if let Some(secret) = &c.client_secret {
        fields.push(("client_secret", secret.clone()));
    }
    let mut text = output::record(&fields);
    if c.client_secret.is_some() {
        text.push_str(
            "\nThe client secret is shown only once and cannot be retrieved later; store it now.\n",
        );
    }
    Ok(text)
}
