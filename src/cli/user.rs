//! `flowgate user ...`: manage resource owners and administrators. Passwords
//! are read from an option, stdin or the environment, and never printed.

use super::output::{self, Failure};
use super::{CLI_ACTOR, DbArgs};
use crate::app::App;
use crate::domain::UserInput;
use crate::service::UserView;
use clap::{Args, Subcommand};
use std::io::Read;
use std::process::ExitCode;

/// Environment variable `user create` reads the password from when neither
/// password option is given.
const PASSWORD_ENV: &str = "FLOWGATE_USER_PASSWORD";

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password comes from --password, --password-stdin,
    /// or else the FLOWGATE_USER_PASSWORD environment variable.
    Create {
        /// Letters, digits or - _ . @ +; cannot be changed later.
        username: String,
        #[command(flatten)]
        password: PasswordArgs,
        /// Make the user an administrator (console and admin API).
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List users.
    List {
        /// Most users to show (at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Users to skip, for paging.
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show one user.
    Show {
        /// The username.
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Change a user's password or administrator flag.
    Update {
        /// The username.
        username: String,
        #[command(flatten)]
        password: PasswordArgs,
        /// Grant or withdraw administrator rights.
        #[arg(long, value_name = "true|false")]
        admin: Option<bool>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete a user and every token issued on their behalf.
    Delete {
        /// The username.
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct PasswordArgs {
    /// The password (visible to other local users in the process list;
    /// prefer --password-stdin).
    #[arg(long, value_name = "P")]
    password: Option<String>,
    /// Read the password from standard input (one trailing newline is dropped).
    #[arg(long, conflicts_with = "password")]
    password_stdin: bool,
}

impl PasswordArgs {
    /// The password given by an option, if any.
    fn read(self) -> Result<Option<String>, Failure> {
        if self.password_stdin {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Failure::Other(format!("cannot read the password from stdin: {e}")))?;
            let trimmed = s
                .strip_suffix('\n')
                .map_or(s.as_str(), |t| t.strip_suffix('\r').unwrap_or(t));
            return Ok(Some(trimmed.to_owned()));
        }
        Ok(self.password)
    }
}

impl UserCommand {
    fn db(&self) -> &DbArgs {
        match self {
            UserCommand::Create { db, .. }
            | UserCommand::List { db, .. }
            | UserCommand::Show { db, .. }
            | UserCommand::Update { db, .. }
            | UserCommand::Delete { db, .. } => db,
        }
    }
}

/// What to run once the password, if any, has been read.
enum Action {
    Create {
        username: String,
        password: String,
        admin: bool,
    },
    List {
        limit: u32,
        offset: u32,
    },
    Show(String),
    Update {
        username: String,
        password: Option<String>,
        admin: Option<bool>,
    },
    Delete(String),
}

pub async fn run(cmd: UserCommand) -> ExitCode {
    let db = cmd.db().clone();
    let json = db.json;
    // Read the password before opening the database, so a missing one fails fast.
    let action = match prepare(cmd) {
        Ok(a) => a,
        Err(f) => return f.report(),
    };
    output::run_with_app(
        &db,
        move |app| async move { execute(&app, action, json).await },
    )
    .await
}

fn prepare(cmd: UserCommand) -> Result<Action, Failure> {
    Ok(match cmd {
        UserCommand::Create {
            username,
            password,
            admin,
            ..
        } => {
            let password = match password.read()? {
                Some(p) => p,
                None => std::env::var(PASSWORD_ENV).map_err(|_| {
                    Failure::Usage(format!(
                        "no password given: use --password-stdin, --password, or set {PASSWORD_ENV}"
                    ))
                })?,
            };
            Action::Create {
                username,
                password,
                admin,
            }
        }
        UserCommand::List { limit, offset, .. } => Action::List { limit, offset },
        UserCommand::Show { username, .. } => Action::Show(username),
        UserCommand::Update {
            username,
            password,
            admin,
            ..
        } => Action::Update {
            username,
            password: password.read()?,
            admin,
        },
        UserCommand::Delete { username, .. } => Action::Delete(username),
    })
}

async fn execute(app: &App, action: Action, json: bool) -> Result<String, Failure> {
    match action {
        Action::Create {
            username,
            password,
            admin,
        } => {
            let input = UserInput {
                username: Some(username),
                password: Some(password),
                admin: Some(admin),
            };
            show(
                &UserView::from(&app.create_user(CLI_ACTOR, input).await?),
                json,
            )
        }
        Action::List { limit, offset } => {
            let users: Vec<UserView> = app
                .list_users(limit, offset)
                .await?
                .iter()
                .map(UserView::from)
                .collect();
            if json {
                return output::json(&users);
            }
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    vec![
                        u.username.clone(),
                        if u.admin { "yes" } else { "no" }.to_owned(),
                        output::time(u.created_at),
                    ]
                })
                .collect();
            Ok(output::table_or_empty(
                &["USERNAME", "ADMIN", "CREATED"],
                &rows,
                "users",
            ))
        }
        Action::Show(username) => show(&UserView::from(&app.get_user(&username).await?), json),
        Action::Update {
            username,
            password,
            admin,
        } => {
            let input = UserInput {
                username: None,
                password,
                admin,
            };
            show(
                &UserView::from(&app.update_user(CLI_ACTOR, &username, input).await?),
                json,
            )
        }
        Action::Delete(username) => {
            app.delete_user(CLI_ACTOR, &username).await?;
            if json {
                output::json(&serde_json::json!({ "username": username, "deleted": true }))
            } else {
                Ok(format!("deleted user {username}"))
            }
        }
    }
}

fn show(u: &UserView, json: bool) -> Result<String, Failure> {
    if json {
        return output::json(u);
    }
    Ok(output::record(&[
        ("username", u.username.clone()),
        ("admin", u.admin.to_string()),
        ("created_at", output::time(u.created_at)),
        ("updated_at", output::time(u.updated_at)),
    ]))
}
