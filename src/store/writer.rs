//! Group commit: a task that owns the write path for access tokens and audit
//! events. Concurrent callers queue their inserts; the task drains the
//! queue, hands everything to the backend's [`Sink`] to write in one
//! transaction, so many issuances share one commit (one fsync) while each
//! caller still gets its answer only after its rows are committed.

use super::{StoreError, StoreResult};
use crate::domain::{AccessToken, NewAuditEvent, UnixTime};
use std::future::Future;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Most jobs committed together in one transaction.
const MAX_BATCH: usize = 512;
/// Queue depth before callers wait for room (back-pressure).
const QUEUE: usize = 8192;

/// One caller's insert.
pub(crate) enum Op {
    AccessTokens(Vec<AccessToken>),
    Audit(Vec<NewAuditEvent>, UnixTime),
}

/// Every access token of a batch, in queue order.
pub(crate) fn access_tokens<'a>(ops: &[&'a Op]) -> Vec<&'a AccessToken> {
    ops.iter()
        .filter_map(|op| match op {
            Op::AccessTokens(t) => Some(t.iter()),
            Op::Audit(..) => None,
        })
        .flatten()
        .collect()
}

/// Every audit event of a batch with its time, in queue order.
pub(crate) fn audit_events<'a>(ops: &[&'a Op]) -> Vec<(&'a NewAuditEvent, UnixTime)> {
    ops.iter()
        .filter_map(|op| match op {
            Op::Audit(events, at) => Some(events.iter().map(move |e| (e, *at))),
            Op::AccessTokens(_) => None,
        })
        .flatten()
        .collect()
}

/// A backend's half of group commit.
pub(crate) trait Sink: Send + Sync + 'static {
    /// Writes all `ops` in one transaction and commits it; on error nothing
    /// of them may remain.
    fn write_all(&self, ops: &[&Op]) -> impl Future<Output = StoreResult<()>> + Send;
}

enum Job {
    Write(Op, oneshot::Sender<StoreResult<()>>),
    Shutdown(oneshot::Sender<()>),
}

pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub(crate) fn start(sink: impl Sink) -> Writer {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(sink, rx));
        Writer {
            tx,
            task: Mutex::new(Some(task)),
        }
    }

    /// Queues `op` and waits until it is committed.
    pub(crate) async fn write(&self, op: Op) -> StoreResult<()> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job::Write(op, done))
            .await
            .map_err(|_| StoreError::Unavailable("store is shutting down".into()))?;
        wait.await
            .map_err(|_| StoreError::Unavailable("store writer stopped".into()))?
    }

    /// Commits everything queued so far, then stops the task.
    pub(crate) async fn shutdown(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Shutdown(done)).await.is_ok() {
            let _ = wait.await;
        }
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

type Batch = Vec<(Op, oneshot::Sender<StoreResult<()>>)>;

async fn run(sink: impl Sink, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        let mut stop = None;
        match first {
            Job::Write(op, done) => batch.push((op, done)),
            Job::Shutdown(done) => stop = Some(done),
        }
        while stop.is_none() && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Job::Write(op, done)) => batch.push((op, done)),
                Ok(Job::Shutdown(done)) => stop = Some(done),
                Err(_) => break,
            }
        }
        if !batch.is_empty()
            && let Some(reason) = commit_batch(&sink, &mut batch).await
        {
            // The writes that queued while this batch waited for the store
            // would wait as long again for the same answer: fail them now.
            while stop.is_none() {
                match rx.try_recv() {
                    Ok(Job::Write(_, done)) => {
                        let _ = done.send(Err(StoreError::Unavailable(reason.clone())));
                    }
                    Ok(Job::Shutdown(done)) => stop = Some(done),
                    Err(_) => break,
                }
            }
        }
        if let Some(done) = stop {
            let _ = done.send(());
            return;
        }
    }
}

/// Writes the batch in one transaction. If that fails, retries each job in
/// its own transaction so that one bad row fails only its own caller;
/// but if the store is unavailable, each retry would only wait for it
/// again: every job fails at once, and the reason is returned.
async fn commit_batch(sink: &impl Sink, batch: &mut Batch) -> Option<String> {
    let ops: Vec<&Op> = batch.iter().map(|(op, _)| op).collect();
    match sink.write_all(&ops).await {
        Ok(()) => {
            for (_, done) in batch.drain(..) {
                let _ = done.send(Ok(()));
            }
        }
        Err(StoreError::Unavailable(reason)) => {
            for (_, done) in batch.drain(..) {
                let _ = done.send(Err(StoreError::Unavailable(reason.clone())));
            }
            return Some(reason);
        }
        Err(e) if batch.len() == 1 => {
            if let Some((_, done)) = batch.pop() {
                let _ = done.send(Err(e));
            }
        }
        Err(_) => {
            for (op, done) in batch.drain(..) {
                let _ = done.send(sink.write_all(&[&op]).await);
            }
        }
    }
    None
}
