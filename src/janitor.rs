//! The janitor: removes expired tokens and codes in bounded batches so the
//! database never grows without bound and no single delete holds the write
//! lock for long.

use crate::app::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Runs until `stop` changes, purging every `interval`.
pub async fn run(app: Arc<App>, interval: Duration, batch: u32, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        let mut total = 0u64;
        loop {
            match app.purge_expired(batch).await {
                Ok(n) => {
                    total += n;
                    if n < u64::from(batch) || *stop.borrow() {
                        break;
                    }
                    // Let token writes in between batches.
                    tokio::task::yield_now().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "janitor could not purge expired tokens");
                    break;
                }
            }
        }
        if total > 0 {
            tracing::info!(removed = total, "janitor purged expired tokens and codes");
        }
    }
}
