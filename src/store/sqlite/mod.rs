//! SQLite implementation of [`Store`]: WAL mode, foreign keys on, a pool of
//! readers and a single writer connection. Access tokens and audit events go
//! through the group-commit [`Writer`] task, which commits concurrent
//! inserts together.

mod audit;
mod clients;
mod grants;
mod scopes;
mod services;
mod sessions;
mod tokens;
mod users;
mod writer;

use super::writer::Writer;
use super::{Store, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// The SQLite store. Cheap to share behind an `Arc`.
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    writer: Writer,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url`, e.g.
    /// `sqlite://flowgate.db` or `sqlite::memory:`, and migrates it.
    pub async fn open(url: &str, migrate: bool) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL {url}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode NORMAL keeps every commit across a process crash
            // (kill -9); only an OS crash or power loss can lose the last ones.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // One writer connection: SQLite allows one writer at a time, and
        // queuing here is cheaper than busy-waiting on the file lock.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            // Never let the only connection go idle-closed: for an
            // in-memory database it *is* the database.
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(map_err)?;
        if migrate {
            sqlx::migrate!("migrations/sqlite")
                .run(&write)
                .await
                .map_err(|e| StoreError::Internal(format!("migration failed: {e}")))?;
        }
        // An in-memory database exists per connection, so readers must share
        // the writer's.
        let read = if in_memory {
            write.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(4)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.read_only(true))
                .await
                .map_err(map_err)?
        };
        let writer = Writer::start(writer::SqliteSink(write.clone()));
        Ok(SqliteStore {
            read,
            write,
            writer,
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
            .map_err(map_err)
    }

    async fn close(&self) {
        self.writer.shutdown().await;
        self.write.close().await;
        self.read.close().await;
    }
}

/// Maps a sqlx error to the store's vocabulary.
pub(crate) use super::codec::map_sqlx as map_err;
