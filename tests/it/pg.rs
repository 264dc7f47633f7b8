//! PostgreSQL for tests: each test gets a schema of its own on the server
//! named by `FLOWGATE_TEST_POSTGRES_URL`, and a URL whose connections use
//! it, so tests run in parallel on one database without seeing each other.
//! The schema is dropped when its guard goes.
//!
//! ```ignore
//! let Some((url, _schema)) = pg::pg_test_url().await else { return };
//! let store = flowgate::store::open(&url, true).await.unwrap();
//! ```

use sqlx::{Connection, PgConnection};

/// The variable naming the PostgreSQL server the tests may use.
pub const URL_VAR: &str = "FLOWGATE_TEST_POSTGRES_URL";

/// Whether PostgreSQL tests can run here: `FLOWGATE_TEST_POSTGRES_URL` is
/// set. When it is not, says so (and panics when `CI=true`, where these
/// tests must run).
pub fn configured() -> bool {
    if std::env::var(URL_VAR).is_ok() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{URL_VAR} must be set when CI=true: the PostgreSQL tests must run");
    }
    eprintln!("skipped: set {URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/test) to run");
    false
}

/// A fresh, empty schema and a database URL whose connections have it as
/// their `search_path`: flowgate's migrations and queries then all happen
/// in it. `None`, after printing why, when `FLOWGATE_TEST_POSTGRES_URL` is
/// unset; panics instead when `CI=true`, where these tests must run.
pub async fn pg_test_url() -> Option<(String, PgSchemaGuard)> {
    if !configured() {
        return None;
    }
    let base = std::env::var(URL_VAR).ok()?;
    let schema = format!("fg_test_{}", flowgate::crypto::random_id());
    let mut conn = PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {URL_VAR}: {e}"));
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut conn)
        .await
        .unwrap();
    let _ = conn.close().await;
    let url = with_search_path(&base, &schema);
    Some((url, PgSchemaGuard { base, schema }))
}

/// `url` with `schema` as the search path of its connections (the libpq
/// `options` parameter, which sqlx passes on at connection startup).
pub fn with_search_path(url: &str, schema: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.query_pairs_mut()
        .append_pair("options", &format!("-c search_path={schema}"));
    u.into()
}

/// Drops its schema, with everything in it, when dropped (best effort: a
/// failure is printed, not raised).
pub struct PgSchemaGuard {
    base: String,
    schema: String,
}

impl PgSchemaGuard {
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for PgSchemaGuard {
    fn drop(&mut self) {
        let (base, schema) = (self.base.clone(), self.schema.clone());
        // Drop runs inside the test's runtime, which must not block on
        // itself: do the async work on a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&base)
                    .await
                    .map_err(|e| e.to_string())?;
                // Do not wait forever on a connection a failed test left
                // inside a transaction.
                let sql =
                    format!("SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                sqlx::raw_sql(&sql)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                conn.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test schema {}: {e}", self.schema),
            Err(_) => eprintln!("could not drop test schema {}: panicked", self.schema),
        }
    }
}

/// The helper itself: the store's tables land in the test's schema, and
/// the guard takes them away.
#[tokio::test]
async fn a_test_schema_holds_the_store_and_goes_with_its_guard() {
    let Some((url, guard)) = pg_test_url().await else {
        return;
    };
    let store = flowgate::store::open(&url, true).await.unwrap();
    store.ping().await.unwrap();
    store.close().await;

    let base = std::env::var(URL_VAR).unwrap();
    let mut conn = PgConnection::connect(&base).await.unwrap();
    let tables = |schema: String| {
        sqlx::query_scalar::<_, String>(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = $1 ORDER BY 1",
        )
        .bind(schema)
    };
    let found = tables(guard.schema().to_owned())
        .fetch_all(&mut conn)
        .await
        .unwrap();
    for table in ["_sqlx_migrations", "access_tokens", "clients", "services"] {
        assert!(found.iter().any(|t| t == table), "{table} in {found:?}");
    }
    let schema = guard.schema().to_owned();
    drop(guard);
    assert_eq!(
        tables(schema).fetch_all(&mut conn).await.unwrap(),
        Vec::<String>::new()
    );
}

/// A server that cannot be reached makes the store `Unavailable` within
/// seconds instead of hanging. Needs no PostgreSQL.
#[tokio::test]
async fn an_unreachable_server_is_unavailable_quickly() {
    let started = std::time::Instant::now();
    let opened = flowgate::store::open("postgres://flowgate@127.0.0.1:1/none", true).await;
    match opened {
        Err(flowgate::store::StoreError::Unavailable(_)) => {}
        Err(e) => panic!("expected Unavailable, got {e:?}"),
        Ok(_) => panic!("expected Unavailable, got a store"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}

/// After the server drops every connection (a restart, a failover), the
/// store reconnects by itself.
#[tokio::test]
async fn a_store_reconnects_after_its_connections_are_killed() {
    let Some((url, guard)) = pg_test_url().await else {
        return;
    };
    let name = format!("fg_kill_{}", &guard.schema()[8..20]);
    let mut u = url::Url::parse(&url).unwrap();
    u.query_pairs_mut().append_pair("application_name", &name);
    let store = flowgate::store::open(u.as_str(), true).await.unwrap();
    store.ping().await.unwrap();

    let base = std::env::var(URL_VAR).unwrap();
    let mut admin = PgConnection::connect(&base).await.unwrap();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&name)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!killed.is_empty() && killed.iter().all(|k| *k));

    let t = flowgate::domain::now();
    let scope = flowgate::domain::Scope {
        name: "read".into(),
        description: String::new(),
        services: vec![],
        created_at: t,
    };
    store.insert_scope(&scope).await.unwrap();
    let event = flowgate::domain::NewAuditEvent::success("test", "scope.create", None);
    store.append_audit(vec![event], t).await.unwrap();
    assert_eq!(store.get_scope("read").await.unwrap(), Some(scope));
    store.close().await;
}
