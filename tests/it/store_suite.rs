//! Storage conformance suite: every check is written once against
//! `Arc<dyn Store>`, so each backend runs the very same contracts.
//!
//! To run the suite against another backend, write a factory
//! `async fn make_xxx_store() -> Option<(Arc<dyn Store>, String, Guard)>`
//! that returns an empty, migrated store, the URL that opens the same
//! database again (for the checks that need two stores, like two server
//! nodes), and a guard that keeps its resources alive until the test ends;
//! or `None` when the backend is not available here (the tests then pass
//! without checking anything). Add `store_suite!(xxx, make_xxx_store);` at
//! the bottom of this file. Each check becomes one `#[tokio::test]` in
//! module `xxx`.

mod grants;
mod records;
mod services;
mod tokens;

pub use grants::*;
pub use records::*;
pub use services::*;
pub use tokens::*;

use crate::pg::{PgSchemaGuard, pg_test_url};
use flowgate::crypto::{Digest, random_secret};
use flowgate::domain::{
    AccessToken, AuthCode, AuthMethod, Client, ClientSpec, GrantType, Lifetime, RefreshCount,
    RefreshToken, ScopeSet, TokenId, User,
};
use flowgate::store::{Store, StoreError, StoreResult};
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

/// Expands to one `#[tokio::test]` per check, in a module named `$backend`,
/// each against a fresh store from `$make`. Checks of the second list also
/// get a second store on the same database.
macro_rules! store_suite {
    ($backend:ident, $make:path) => {
        store_suite!(@tests $backend, $make;
            [
                check_client_crud,
                check_client_name_version_is_unique_ignoring_case,
                check_update_missing_client_is_not_found,
                check_delete_client_cascades_to_tokens_and_codes,
                check_scope_crud,
                check_user_crud,
                check_delete_user_removes_their_tokens,
                check_service_crud,
                check_service_path_is_unique,
                check_session_round_trip,
                check_concurrent_access_token_inserts,
                check_failed_access_token_insert_is_isolated_and_atomic,
                check_revoke_access_token_once,
                check_list_access_tokens_filters_and_pages,
                check_refresh_token_round_trip,
                check_revoke_grant,
                check_auth_code_round_trip,
                check_consume_auth_code_once_under_concurrency,
                check_rotate_refresh_token_once_under_concurrency,
                check_purge_expired_in_bounded_batches,
                check_purge_revoked_after_retention,
                check_audit_append_and_list,
                check_ping_and_close,
            ];
            [
                check_one_time_steps_across_two_stores,
                check_revocation_never_misses_a_rotation,
            ]
        );
    };
    (@tests $backend:ident, $make:path; [$($check:ident),* $(,)?]; [$($pair:ident),* $(,)?]) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    let Some((store, _url, _guard)) = $make().await else {
                        return;
                    };
                    super::$check(store.clone()).await;
                    store.close().await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $pair() {
                    let Some((store, url, _guard)) = $make().await else {
                        return;
                    };
                    let second = flowgate::store::open(&url, false).await.unwrap();
                    super::$pair(store.clone(), second.clone()).await;
                    second.close().await;
                    store.close().await;
                }
            )*
        }
    };
}

/// A fresh SQLite store in a temporary directory, kept alive by the guard.
pub async fn make_sqlite_store() -> Option<(Arc<dyn Store>, String, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = flowgate::store::sqlite::SqliteStore::open(&url, true)
        .await
        .unwrap();
    Some((Arc::new(store), url, dir))
}

/// A fresh PostgreSQL store in a schema of its own on the server named by
/// `FLOWGATE_TEST_POSTGRES_URL` (see [`pg_test_url`]); `None` without one.
pub async fn make_pg_store() -> Option<(Arc<dyn Store>, String, PgSchemaGuard)> {
    let (url, guard) = pg_test_url().await?;
    let store = flowgate::store::postgres::PgStore::open(&url, true, 8)
        .await
        .unwrap();
    Some((Arc::new(store), url, guard))
}

store_suite!(sqlite, make_sqlite_store);
store_suite!(postgres, make_pg_store);

// ---------------------------------------------------------------------------
// Builders and assertions shared by the checks.

pub fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

pub fn new_digest() -> Digest {
    random_secret("fgt_").digest()
}

pub fn client(id: &str, name: &str, version: &str, at: i64) -> Client {
    Client {
        id: id.into(),
        spec: ClientSpec {
            name: name.into(),
            version: version.into(),
            description: format!("{name} client"),
            auth_method: AuthMethod::ClientSecretBasic,
            redirect_uris: vec!["https://app.example.com/cb".into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scopes: scopes("read write"),
            access_token_lifetime: Lifetime::ServerDefault,
            refresh_count: RefreshCount::Limited(3),
            active: true,
        },
        secret: Some(new_digest()),
        previous_secret: None,
        created_at: at,
        updated_at: at,
    }
}

pub fn user(username: &str, at: i64) -> User {
    User {
        username: username.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${username}"),
        admin: false,
        created_at: at,
        updated_at: at,
    }
}

pub fn access(
    client_id: &str,
    username: Option<&str>,
    issued: i64,
    exp: Option<i64>,
) -> AccessToken {
    AccessToken {
        id: TokenId::new(),
        hash: new_digest(),
        client_id: client_id.into(),
        username: username.map(Into::into),
        scope: scopes("read"),
        grant_type: if username.is_some() {
            GrantType::AuthorizationCode
        } else {
            GrantType::ClientCredentials
        },
        grant_id: None,
        issued_at: issued,
        expires_at: exp,
        revoked_at: None,
    }
}

pub fn refresh(
    client_id: &str,
    username: Option<&str>,
    grant_id: &str,
    issued: i64,
) -> RefreshToken {
    RefreshToken {
        id: TokenId::new(),
        hash: new_digest(),
        client_id: client_id.into(),
        username: username.map(Into::into),
        scope: scopes("read write"),
        grant_id: grant_id.into(),
        issued_at: issued,
        expires_at: Some(issued + 86_400),
        refreshes_left: 2,
        rotated_at: None,
        successor: None,
        revoked_at: None,
    }
}

pub fn code(client_id: &str, username: &str, issued: i64, expires: i64) -> AuthCode {
    AuthCode {
        id: TokenId::new(),
        hash: new_digest(),
        client_id: client_id.into(),
        username: username.into(),
        redirect_uri: "https://app.example.com/cb".into(),
        scope: scopes("read"),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        code_challenge_method: Some("S256".into()),
        grant_id: format!("grant-{}", random_secret("").expose()),
        issued_at: issued,
        expires_at: expires,
        consumed_at: None,
    }
}

pub fn assert_conflict<T: Debug>(r: StoreResult<T>) {
    match r {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("expected StoreError::Conflict, got {other:?}"),
    }
}

pub fn assert_not_found<T: Debug>(r: StoreResult<T>) {
    match r {
        Err(StoreError::NotFound) => {}
        other => panic!("expected StoreError::NotFound, got {other:?}"),
    }
}

/// Token ids sorted, for comparing sets of tokens.
pub fn sorted(mut v: Vec<TokenId>) -> Vec<TokenId> {
    v.sort();
    v
}

/// A store with client `c1` (and `c2`) and users `alice` and `bob`.
pub async fn seed(store: &Arc<dyn Store>, t: i64) {
    store
        .insert_client(&client("c1", "One", "1.0", t))
        .await
        .unwrap();
    store
        .insert_client(&client("c2", "Two", "1.0", t))
        .await
        .unwrap();
    store.insert_user(&user("alice", t)).await.unwrap();
    store.insert_user(&user("bob", t)).await.unwrap();
}

/// Inserts each token list from its own task, all released at once.
pub async fn insert_concurrently(
    store: &Arc<dyn Store>,
    jobs: Vec<Vec<AccessToken>>,
) -> Vec<Result<(), StoreError>> {
    let barrier = Arc::new(tokio::sync::Barrier::new(jobs.len()));
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|tokens| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.insert_access_tokens(&tokens).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

pub fn ids(tokens: &[AccessToken]) -> Vec<TokenId> {
    tokens.iter().map(|t| t.id).collect()
}

/// Runs `f(i)` for each `i` in `0..n`, each in its own task, all released
/// at once; returns the results in order.
pub async fn race<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, work) = (barrier.clone(), f(i));
            tokio::spawn(async move {
                barrier.wait().await;
                work.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// The index of the only `true`, failing unless there is exactly one.
pub fn only_winner(results: &[bool]) -> usize {
    let winners: Vec<usize> = (0..results.len()).filter(|&i| results[i]).collect();
    assert_eq!(winners.len(), 1, "exactly one call must win: {results:?}");
    winners[0]
}
