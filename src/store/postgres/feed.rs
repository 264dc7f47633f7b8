//! The change feed between nodes: each announced [`Change`] is a
//! PostgreSQL notification on one channel, delivered to every listening
//! node when the announcing transaction commits.

use super::map_err;
use crate::store::{Change, StoreResult};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The notification channel flowgate nodes talk on.
const CHANNEL: &str = "flowgate_changes";

/// How often a node without a feed forgets everything (its fallback TTL),
/// and how long it waits for the feed to connect.
const RETRY: Duration = Duration::from_secs(1);

/// Announces `change` to every listening node.
pub(super) async fn publish(pool: &PgPool, change: &Change) -> StoreResult<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(change.encode())
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(map_err)
}

/// Starts following the channel; the receiver ends when `closing` turns
/// true (the store closes).
pub(super) fn subscribe(pool: PgPool, closing: watch::Receiver<bool>) -> mpsc::Receiver<Change> {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        let mut closing = closing;
        tokio::select! {
            () = follow(pool, tx) => {}
            _ = closing.wait_for(|closed| *closed) => {}
        }
    });
    rx
}

/// Listens until the receiver is dropped or the pool closes, reconnecting
/// on its own. Whenever the feed is down, and once each time it is back
/// (notifications may have been missed meanwhile), it sends
/// [`Change::Everything`].
async fn follow(pool: PgPool, tx: mpsc::Sender<Change>) {
    let mut connected_once = false;
    while !pool.is_closed() && !tx.is_closed() {
        match tokio::time::timeout(RETRY, listen(&pool)).await {
            Ok(Ok(mut listener)) => {
                if connected_once {
                    tracing::info!("change feed reconnected");
                }
                connected_once = true;
                if tx.send(Change::Everything).await.is_err() {
                    return;
                }
                loop {
                    match listener.try_recv().await {
                        Ok(Some(n)) => {
                            if tx.send(Change::decode(n.payload())).await.is_err() {
                                return;
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("change feed lost its connection; reconnecting");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "change feed failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "change feed cannot connect"),
            Err(_) => tracing::warn!("change feed cannot connect in time"),
        }
        if tx.send(Change::Everything).await.is_err() {
            return;
        }
        tokio::time::sleep(RETRY).await;
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
