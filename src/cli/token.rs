//! `flowgate token ...`: "Add New Token", listing, revoking and purging
//! access tokens. Only minting ever shows a token itself; everything else
//! names a token by its record id.

use super::output::{self, Failure};
use super::{CLI_ACTOR, DbArgs};
use crate::app::App;
use crate::domain::{TokenFilter, TokenState};
use crate::service::{MintedToken, TokenView};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint an access token for a client ("Add New Token"); prints it once.
    Create {
        /// The client_id the token is issued to.
        #[arg(long, value_name = "CLIENT_ID")]
        client: String,
        /// Space-separated scopes (default: every scope the client may request).
        #[arg(long, value_name = "\"a b\"")]
        scope: Option<String>,
        /// Lifetime in seconds, or -1 for a token that never expires
        /// (default: the client's access token lifetime).
        #[arg(long, value_name = "SECS|-1", allow_negative_numbers = true)]
        expires_in: Option<i64>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List access token records, newest first (never the tokens themselves).
    List {
        /// Only tokens of this client_id.
        #[arg(long, value_name = "CLIENT_ID")]
        client: Option<String>,
        /// Only tokens issued on behalf of this user.
        #[arg(long, value_name = "USERNAME")]
        user: Option<String>,
        /// Only tokens in this state: active, expired or revoked.
        #[arg(long, value_parser = parse_state)]
        state: Option<TokenState>,
        /// Most records to show (at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Records to skip, for paging.
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke an access token by record id; effective at once.
    Revoke {
        /// The record id shown by `token list` and `token create`.
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete expired tokens and codes, at most --max-rows in one run.
    PurgeExpired {
        /// Most rows to delete in this run.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        max_rows: u32,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn parse_state(s: &str) -> Result<TokenState, String> {
    TokenState::parse(s).ok_or_else(|| "expected active, expired or revoked".to_owned())
}

impl TokenCommand {
    fn db(&self) -> &DbArgs {
        match self {
            TokenCommand::Create { db, .. }
            | TokenCommand::List { db, .. }
            | TokenCommand::Revoke { db, .. }
            | TokenCommand::PurgeExpired { db, .. } => db,
        }
    }
}

pub async fn run(cmd: TokenCommand) -> ExitCode {
    let db = cmd.db().clone();
    let json = db.json;
    output::run_with_app(
        &db,
        move |app| async move { execute(&app, cmd, json).await },
    )
    .await
}

async fn execute(app: &App, cmd: TokenCommand, json: bool) -> Result<String, Failure> {
    match cmd {
        TokenCommand::Create {
            client,
            scope,
            expires_in,
            ..
        } => {
            let minted = app
                .mint_token(CLI_ACTOR, &client, scope.as_deref(), expires_in)
                .await?;
            show_minted(&minted, json)
        }
        TokenCommand::List {
            client,
            user,
            state,
            limit,
            offset,
            ..
        } => {
            let filter = TokenFilter {
                client_id: client,
                username: user,
                state,
                limit,
                offset,
            };
            let tokens = app.list_tokens(&filter).await?;
            if json {
                return output::json(&tokens);
            }
            Ok(output::table_or_empty(
                &[
                    "ID",
                    "CLIENT_ID",
                    "USER",
                    "SCOPE",
                    "GRANT",
                    "STATE",
                    "ISSUED",
                    "EXPIRES",
                ],
                &tokens.iter().map(row).collect::<Vec<_>>(),
                "tokens",
            ))
        }
        TokenCommand::Revoke { id, .. } => {
            app.revoke_token_by_id(CLI_ACTOR, &id).await?;
            if json {
                output::json(&serde_json::json!({ "id": id, "revoked": true }))
            } else {
                Ok(format!("revoked token {id}"))
            }
        }
        TokenCommand::PurgeExpired { max_rows, .. } => {
            let removed = app.purge_expired(max_rows).await?;
            if json {
                output::json(&serde_json::json!({ "removed": removed }))
            } else {
                Ok(format!("removed {removed} expired tokens and codes"))
            }
        }
    }
}

fn row(t: &TokenView) -> Vec<String> {
    vec![
        t.id.clone(),
        t.client_id.clone(),
        t.username.clone().unwrap_or_else(|| "-".to_owned()),
        output::or_dash(&t.scope),
        t.grant_type.to_owned(),
        t.state.to_owned(),
        output::time(t.issued_at),
        output::time_or_never(t.expires_at),
    ]
}

fn show_minted(t: &MintedToken, json: bool) -> Result<String, Failure> {
    if json {
        return output::json(t);
    }
    let expires_in = t
        .expires_in
        .map_or_else(|| "never expires".to_owned(), |s| format!("{s} s"));
    let mut text = output::record(&[
        ("access_token", t.access_token.clone()),
        ("token_type", t.token_type.to_owned()),
        ("expires_in", expires_in),
        ("scope", output::or_dash(&t.scope)),
        ("id", t.id.clone()),
        ("client_id", t.client_id.clone()),
    ]);
    text.push_str(
        "\nThe access token is shown only once and cannot be retrieved later; store it now.\n",
    );
    Ok(text)
}
