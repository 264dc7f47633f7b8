//! The administration CLI, run as the real binary against a temporary
//! SQLite database.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

/// A scratch database and a way to run `flowgate` against it.
pub(crate) struct Db {
    _dir: TempDir,
    pub(crate) url: String,
}

/// What one run of the binary answered.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    #[track_caller]
    pub(crate) fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Db {
    pub(crate) fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("flowgate.db").display());
        Db { _dir: dir, url }
    }

    /// A command with a clean environment for the variables the CLI reads.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flowgate"));
        cmd.args(args)
            .env_remove("FLOWGATE_DATABASE_URL")
            .env_remove("FLOWGATE_USER_PASSWORD")
            .env_remove("FLOWGATE_ACCESS_TOKEN_LIFETIME")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `flowgate ARGS --database-url URL`.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        cmd.args(["--database-url", &self.url]);
        cmd.output().unwrap().into()
    }

    /// Runs `flowgate ARGS --database-url URL` with `input` on stdin.
    pub(crate) fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut cmd = self.command(args);
        cmd.args(["--database-url", &self.url])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap().into()
    }

    /// Registers the REST service `orders/list`, for scopes to name.
    pub(crate) fn orders_list_service(&self) {
        let yaml = "path: orders/list\nkind: rest\nupstream_url: http://127.0.0.1:9/list\n";
        self.run_with_stdin(&["service", "apply", "-f", "-"], yaml)
            .ok();
    }

    /// Registers scope `read` and a confidential client_credentials client
    /// that may request it; returns (client_id, client_secret).
    fn confidential_client(&self) -> (String, String) {
        self.run(&["scope", "create", "read", "--description", "Read things"])
            .ok();
        let created = self
            .run(&[
                "client",
                "create",
                "--name",
                "Billing",
                "--grant",
                "client_credentials",
                "--scope",
                "read",
                "--json",
            ])
            .ok()
            .json();
        (
            created["client_id"].as_str().unwrap().to_owned(),
            created["client_secret"].as_str().unwrap().to_owned(),
        )
    }
}

#[test]
fn client_create_json_returns_id_and_secret_and_list_show_omit_the_secret() {
    let db = Db::new();
    let (id, secret) = db.confidential_client();
    assert!(secret.starts_with("fgcs_"), "{secret}");

    let list = db.run(&["client", "list", "--json"]).ok();
    let clients = list.json();
    assert_eq!(clients.as_array().unwrap().len(), 1);
    assert_eq!(clients[0]["client_id"], id.as_str());
    assert!(!list.stdout.contains(&secret));

    let shown = db.run(&["client", "show", &id]).ok();
    assert!(shown.stdout.contains("client_id:") && shown.stdout.contains(&id));
    assert!(shown.stdout.contains("client_credentials"));
    assert!(!shown.stdout.contains(&secret));
    assert!(!shown.stdout.contains("client_secret:"));
}

#[test]
fn client_create_text_prints_the_secret_with_a_shown_once_notice() {
    let db = Db::new();
    let out = db
        .run(&[
            "client",
            "create",
            "--name",
            "Web",
            "--redirect-uri",
            "https://app.example.com/cb",
        ])
        .ok();
    assert!(out.stdout.contains("client_secret:"), "{}", out.stdout);
    assert!(out.stdout.contains("fgcs_"));
    assert!(out.stdout.contains("shown only once"));
}

#[test]
fn client_update_deactivates_and_rotate_secret_prints_a_new_secret() {
    let db = Db::new();
    let (id, secret) = db.confidential_client();

    let updated = db
        .run(&[
            "client",
            "update",
            &id,
            "--active",
            "false",
            "--description",
            "Paused",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(updated["active"], false);
    assert_eq!(updated["description"], "Paused");
    assert_eq!(updated["client_name"], "Billing");

    let rotated = db
        .run(&["client", "rotate-secret", &id, "--overlap", "60", "--json"])
        .ok()
        .json();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert!(new_secret.starts_with("fgcs_"));
    assert_ne!(new_secret, secret);
}

#[test]
fn client_delete_then_show_exits_1_with_client_not_found() {
    let db = Db::new();
    let (id, _) = db.confidential_client();
    let deleted = db.run(&["client", "delete", &id]).ok();
    assert!(deleted.stdout.contains(&id));

    let shown = db.run(&["client", "show", &id]);
    assert_eq!(shown.code, 1);
    assert_eq!(shown.stderr.trim(), "error: client not found");
    assert_eq!(db.run(&["client", "delete", &id]).code, 1);
}

#[test]
fn client_name_with_forbidden_character_exits_1_naming_the_field() {
    let db = Db::new();
    let out = db.run(&[
        "client",
        "create",
        "--name",
        "Billing:v2",
        "--grant",
        "client_credentials",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with("error: client_name: must not contain ':'"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        db.run(&["client", "list", "--json"]).ok().json(),
        serde_json::json!([])
    );
}

#[test]
fn usage_errors_exit_2() {
    let db = Db::new();
    assert_eq!(db.run(&["client", "create"]).code, 2, "--name is required");
    assert_eq!(db.run(&["token", "list", "--state", "sleeping"]).code, 2);
    assert_eq!(
        db.run(&[
            "user",
            "create",
            "eve",
            "--password",
            "x",
            "--password-stdin"
        ])
        .code,
        2
    );
}

#[test]
fn database_url_is_read_from_flowgate_database_url() {
    let db = Db::new();
    db.orders_list_service();
    let created = db
        .command(&["scope", "create", "orders.read", "--service", "orders/list"])
        .env("FLOWGATE_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    Run::from(created).ok();
    let scope = db
        .run(&["scope", "show", "orders.read", "--json"])
        .ok()
        .json();
    assert_eq!(scope["services"], serde_json::json!(["orders/list"]));
}

#[test]
fn scope_update_list_and_delete() {
    let db = Db::new();
    db.orders_list_service();
    db.run(&["scope", "create", "orders.read"]).ok();
    let updated = db
        .run(&[
            "scope",
            "update",
            "orders.read",
            "--description",
            "Orders",
            "--service",
            "orders/list",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(updated["description"], "Orders");
    let list = db.run(&["scope", "list"]).ok();
    assert!(list.stdout.starts_with("NAME"), "{}", list.stdout);
    assert!(list.stdout.contains("orders.read") && list.stdout.contains("orders/list"));
    db.run(&["scope", "delete", "orders.read"]).ok();
    let gone = db.run(&["scope", "show", "orders.read"]);
    assert_eq!(
        (gone.code, gone.stderr.trim()),
        (1, "error: scope not found")
    );
}

#[test]
fn user_create_and_show_never_print_the_password() {
    let db = Db::new();
    let password = "correct horse battery";
    let created = db
        .run_with_stdin(
            &[
                "user",
                "create",
                "alice",
                "--password-stdin",
                "--admin",
                "--json",
            ],
            &format!("{password}\n"),
        )
        .ok();
    assert_eq!(created.json()["admin"], true);
    let from_env = db
        .command(&["user", "create", "bob", "--database-url", &db.url])
        .env("FLOWGATE_USER_PASSWORD", password)
        .output()
        .unwrap();
    let from_env = Run::from(from_env).ok();

    let shown = db.run(&["user", "show", "alice"]).ok();
    assert!(shown.stdout.contains("alice") && shown.stdout.contains("admin:"));
    let listed = db.run(&["user", "list", "--json"]).ok();
    assert_eq!(listed.json().as_array().unwrap().len(), 2);
    for out in [&created, &from_env, &shown, &listed] {
        assert!(!out.stdout.contains(password) && !out.stderr.contains(password));
        assert!(!out.stdout.contains("password") && !out.stdout.contains("$argon2"));
    }
}

#[test]
fn user_create_without_a_password_fails_with_a_clear_message() {
    let db = Db::new();
    let out = db.run(&["user", "create", "carol"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("FLOWGATE_USER_PASSWORD"),
        "{}",
        out.stderr
    );
    let short = db.run(&["user", "create", "carol", "--password", "short"]);
    assert_eq!(short.code, 1);
    assert!(
        short.stderr.starts_with("error: password:"),
        "{}",
        short.stderr
    );
}

#[test]
fn minted_token_is_listed_for_its_client_and_revoke_marks_it_revoked() {
    let db = Db::new();
    let (id, _) = db.confidential_client();
    let minted = db
        .run(&[
            "token",
            "create",
            "--client",
            &id,
            "--expires-in",
            "600",
            "--json",
        ])
        .ok()
        .json();
    let token = minted["access_token"].as_str().unwrap();
    let record = minted["id"].as_str().unwrap();
    assert!(token.starts_with("fgat_"));
    assert_eq!(minted["scope"], "read");
    assert_eq!(minted["expires_in"], 600);

    let listed = db.run(&["token", "list", "--client", &id, "--json"]).ok();
    assert!(
        !listed.stdout.contains(token),
        "a listing never shows the token"
    );
    let records = listed.json();
    assert_eq!(records.as_array().unwrap().len(), 1);
    assert_eq!(records[0]["id"], record);
    assert_eq!(records[0]["state"], "active");

    let revoked = db.run(&["token", "revoke", record]).ok();
    assert!(revoked.stdout.contains(record));
    let listed = db
        .run(&["token", "list", "--state", "revoked", "--json"])
        .ok()
        .json();
    assert_eq!(listed[0]["id"], record);
    assert_eq!(
        db.run(&["token", "list", "--state", "active", "--json"])
            .ok()
            .json(),
        serde_json::json!([])
    );
    assert_eq!(db.run(&["token", "revoke", "00ff"]).code, 1);
}

#[test]
fn token_create_text_prints_the_token_once_with_a_notice() {
    let db = Db::new();
    let (id, _) = db.confidential_client();
    let out = db
        .run(&["token", "create", "--client", &id, "--expires-in", "-1"])
        .ok();
    assert!(out.stdout.contains("access_token:") && out.stdout.contains("fgat_"));
    assert!(out.stdout.contains("never expires"));
    assert!(out.stdout.contains("shown only once"));
}

#[test]
fn purge_expired_reports_how_many_rows_it_removed() {
    let db = Db::new();
    let (id, _) = db.confidential_client();
    db.run(&["token", "create", "--client", &id, "--expires-in", "1"])
        .ok();
    std::thread::sleep(std::time::Duration::from_millis(2100));

    let text = db.run(&["token", "purge-expired", "--max-rows", "10"]).ok();
    let n: u64 = text
        .stdout
        .trim()
        .strip_prefix("removed ")
        .and_then(|s| s.strip_suffix(" expired tokens and codes"))
        .unwrap_or_else(|| panic!("unexpected output: {}", text.stdout))
        .parse()
        .unwrap();
    assert_eq!(n, 1);
    let json = db.run(&["token", "purge-expired", "--json"]).ok().json();
    assert_eq!(json, serde_json::json!({ "removed": 0 }));
}

#[test]
fn command_line_definition_passes_clap_debug_asserts() {
    use clap::CommandFactory;
    flowgate::cli::Cli::command().debug_assert();
}

#[test]
fn migrate_prepares_a_database_that_serve_no_migrate_then_uses() {
    let db = Db::new();
    let serve = |db: &Db| {
        db.command(&["serve", "--no-migrate", "--listen", "127.0.0.1:0"])
            .args(["--database-url", &db.url])
            .env("FLOWGATE_ADMIN_PASSWORD", "an-admin-password")
            .output()
            .unwrap()
    };
    let refused: Run = serve(&db).into();
    assert_eq!(refused.code, 1);
    let said = format!("{}{}", refused.stdout, refused.stderr);
    assert!(said.contains("run `flowgate migrate` first"), "{said}");

    let migrated = db.run(&["migrate"]).ok();
    assert!(migrated.stdout.contains("the schema is up to date"));
    db.run(&["migrate"]).ok();
    db.run(&["scope", "create", "read", "--description", "Read"])
        .ok();
    assert_eq!(
        db.run(&["scope", "list", "--json"]).ok().json()[0]["name"],
        "read"
    );
}
