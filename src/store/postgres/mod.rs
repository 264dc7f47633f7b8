//! PostgreSQL implementation of [`Store`]: one connection pool shared by
//! every operation, so several flowgate nodes can use the same database.
//! The one-time steps are conditional updates that row locks make atomic
//! across connections and processes; access tokens and audit events go
//! through the group-commit [`Writer`], as with SQLite.

mod audit;
mod clients;
mod feed;
mod grants;
mod scopes;
mod services;
mod sessions;
mod tokens;
mod users;
mod writer;

use super::codec::map_sqlx;
use super::writer::Writer;
use super::{Change, Store, StoreError, StoreResult, redact_url};
use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How long a request waits for a connection (or for a new one to be
/// made) before the store reports itself unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The PostgreSQL store. Cheap to share behind an `Arc`.
pub struct PgStore {
    pool: PgPool,
    writer: Writer,
    /// Turns true when the store closes, ending the change feed.
    closing: watch::Sender<bool>,
}

impl PgStore {
    /// Connects to the database at `url` with up to `max_connections`
    /// connections and migrates it unless `migrate` is false.
    ///
    /// The URL takes every parameter libpq-style URLs do, e.g.
    /// `postgres://flowgate:pw@db:5432/auth?sslmode=require`. To keep
    /// flowgate's tables in their own (existing) schema, set the session's
    /// search path in the URL: `?options=-c%20search_path%3Dflowgate` (or
    /// `?options[search_path]=flowgate`); migrations then run there too.
    pub async fn open(url: &str, migrate: bool, max_connections: u32) -> StoreResult<PgStore> {
        let mut options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Unavailable(format!("bad PostgreSQL URL {}: {e}", redact_url(url)))
        })?;
        // Name the connections in pg_stat_activity unless the URL does.
        if options.get_application_name().is_none() {
            options = options.application_name("flowgate");
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(map_err)?;
        if migrate {
            // sqlx holds an advisory lock while migrating, so nodes that
            // start together migrate one after the other.
            sqlx::migrate!("migrations/postgres")
                .run(&pool)
                .await
                .map_err(|e| StoreError::Internal(format!("migration failed: {e}")))?;
        }
        let writer = Writer::start(writer::PgSink(pool.clone()));
        Ok(PgStore {
            pool,
            writer,
            closing: watch::Sender::new(false),
        })
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(map_err)
    }

    async fn close(&self) {
        self.closing.send_replace(true);
        self.writer.shutdown().await;
        self.pool.close().await;
    }

    async fn publish(&self, change: &Change) -> StoreResult<()> {
        feed::publish(&self.pool, change).await
    }

    fn subscribe(&self) -> Option<mpsc::Receiver<Change>> {
        Some(feed::subscribe(self.pool.clone(), self.closing.subscribe()))
    }
}

/// Maps a sqlx error to the store's vocabulary. Besides lost connections,
/// conditions that pass once the server recovers or the competing
/// transaction ends (shutdown, overload, deadlock, serialization failure)
/// count as `Unavailable`.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().unwrap_or_default();
        let transient = code.starts_with("08") // connection exception
            || code.starts_with("53") // insufficient resources
            || matches!(&*code, "57P01" | "57P02" | "57P03" | "40001" | "40P01");
        if transient {
            return StoreError::Unavailable(format!("{} ({code})", db.message()));
        }
    }
    map_sqlx(e)
}
