//! Crash safety on SQLite: `flowgate serve` is killed with SIGKILL under
//! concurrent load from [`TASKS`] request loops and started again on the
//! same database, [`ROUNDS`] times. Every token answered with 200 must still
//! work, every refresh family must still be usable by its client, and the
//! database must pass `PRAGMA integrity_check` as each kill left it and at
//! the end. (A crash only loses what was in flight, so each round is one
//! more chance to catch an answer given before its commit.)
//!
//! The binary under test is `$FLOWGATE_CRASH_TEST_BIN` (CI sets it to the
//! release build, whose timing is the one that matters), else the debug build.

mod issuance;
mod refresh;

use crate::process::{Child, spawn_serve_bin};
use crate::support::{REDIRECT_URI, TestClient};
use futures_util::StreamExt;
use serde_json::Value;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const TOKEN_PATH: &str = "/integration/rest/oAuth/getToken";
const INTROSPECT_PATH: &str = "/integration/rest/oAuth/introspect";
/// Concurrent request loops.
const TASKS: usize = 32;
/// Kills per test.
const ROUNDS: usize = 3;
/// Load before the kill, at least.
const LOAD: Duration = Duration::from_millis(1500);
/// Answers before each kill, at least, so that no test passes vacuously.
const MIN_ANSWERS: usize = 200;

/// The binary under test.
fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("FLOWGATE_CRASH_TEST_BIN") {
        return bin.into();
    }
    eprintln!(
        "note: crash test on the debug build; the release build is preferred: \
         cargo build --release; FLOWGATE_CRASH_TEST_BIN=target/release/flowgate"
    );
    PathBuf::from(env!("CARGO_BIN_EXE_flowgate"))
}

/// A SQLite database in a temp dir and the binary that serves it.
struct Db {
    dir: TempDir,
    bin: PathBuf,
    url: String,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("fg.db").display());
        Db {
            dir,
            bin: binary(),
            url,
        }
    }

    /// `flowgate ARGS --database-url URL --json`, which must succeed.
    fn cli(&self, args: &[&str]) -> Value {
        let out = std::process::Command::new(&self.bin)
            .args(args)
            .args(["--database-url", &self.url, "--json"])
            .env_remove("FLOWGATE_DATABASE_URL")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout).unwrap_or(Value::Null)
    }

    /// Scope `read` and a confidential client for it with `grants`.
    fn client(&self, grants: &[&str]) -> TestClient {
        self.cli(&["scope", "create", "read", "--description", "crash test"]);
        let mut args = vec!["client", "create", "--name", "crash", "--scope", "read"];
        for g in grants {
            args.extend(["--grant", g]);
        }
        args.extend(["--redirect-uri", REDIRECT_URI, "--refresh-count", "-1"]);
        let c = self.cli(&args);
        TestClient {
            id: c["client_id"].as_str().unwrap().to_owned(),
            secret: c["client_secret"].as_str().map(str::to_owned),
        }
    }

    /// `flowgate serve` on the database, rate limits off (one client drives
    /// thousands of requests a second), with `args`.
    fn serve(&self, args: &[&str]) -> (Child, String) {
        let child = spawn_serve_bin(&self.bin, self.dir.path(), |c| {
            c.args(["--database-url", &self.url, "--rate-limit", "0"])
                .args(args);
        });
        let base = format!("http://{}", child.addr);
        (child, base)
    }

    /// A copy of the database files as they are now, checked with
    /// [`check_integrity`] and left open. Read-write, so that SQLite recovers
    /// the WAL a killed server left; a copy, so that the restart finds the
    /// original exactly as the kill left it.
    async fn checked_copy(&self) -> (TempDir, SqliteConnection) {
        let copy = tempfile::tempdir().unwrap();
        for name in ["fg.db", "fg.db-wal", "fg.db-shm"] {
            let from = self.dir.path().join(name);
            if from.exists() {
                std::fs::copy(&from, copy.path().join(name)).unwrap();
            }
        }
        let url = format!("sqlite://{}", copy.path().join("fg.db").display());
        let conn = check_integrity(&url, false).await;
        (copy, conn)
    }
}

/// Opens the database at `url` and asserts that `PRAGMA integrity_check`
/// says `ok` and `PRAGMA foreign_key_check` finds nothing.
async fn check_integrity(url: &str, read_only: bool) -> SqliteConnection {
    let options = SqliteConnectOptions::from_str(url)
        .unwrap()
        .read_only(read_only);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, ["ok"], "integrity_check of {url}");
    let orphans = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(
        orphans.is_empty(),
        "foreign_key_check of {url}: {} rows",
        orphans.len()
    );
    conn
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// POSTs `form` to `url` with HTTP Basic as `c`: the status and
/// the JSON body (null if not JSON), or the transport error.
async fn post(
    http: &reqwest::Client,
    url: &str,
    c: &TestClient,
    form: &[(&str, &str)],
) -> Result<(u16, Value), reqwest::Error> {
    let r = http
        .post(url)
        .basic_auth(&c.id, c.secret.as_deref())
        .form(form)
        .send()
        .await?;
    let status = r.status().as_u16();
    let body = r.bytes().await?;
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

/// Shared between the load loops and the killer.
#[derive(Default)]
struct Load {
    answered: AtomicUsize,
    killed: AtomicBool,
}

impl Load {
    /// A transport error is expected only once the server is killed.
    fn transport_error(&self, e: &reqwest::Error) -> Option<String> {
        (!self.killed.load(Relaxed)).then(|| format!("transport error before the kill: {e}"))
    }

    /// Waits until the loops have run for [`LOAD`] with at least
    /// [`MIN_ANSWERS`] answers (or for 60 s), then kills the server with
    /// SIGKILL (`Child::kill` on Unix). Returns the answers counted then.
    async fn kill(&self, server: &mut Child) -> usize {
        let start = Instant::now();
        while start.elapsed() < LOAD
            || (self.answered.load(Relaxed) < MIN_ANSWERS
                && start.elapsed() < Duration::from_secs(60))
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.killed.store(true, Relaxed);
        let answered = self.answered.load(Relaxed);
        server.process.kill().unwrap();
        server.process.wait().unwrap();
        eprintln!(
            "killed after {:.2?} of load, {answered} answers",
            start.elapsed()
        );
        answered
    }
}

/// Introspects every token in `tokens` as `c` with 32 requests in flight;
/// returns those not active.
async fn inactive(base: &str, c: &TestClient, tokens: Vec<String>) -> Vec<String> {
    let http = http();
    let url = format!("{base}{INTROSPECT_PATH}");
    futures_util::stream::iter(tokens)
        .map(|t| {
            let (http, url) = (&http, &url);
            async move {
                let (status, body) = post(http, url, c, &[("token", &t)]).await.unwrap();
                assert_eq!(status, 200, "{body}");
                (body["active"] != true).then_some(t)
            }
        })
        .buffer_unordered(32)
        .filter_map(|t| async move { t })
        .collect()
        .await
}
