//! Group commit: a task that owns the write path for access tokens and audit
//! events. Concurrent callers queue their inserts; the task drains the
//! queue, writes everything in one transaction and commits once, so many
//! issuances share one fsync while each caller still gets its answer only
//! after its rows are committed.

use super::map_err;
use crate::domain::{AccessToken, NewAuditEvent, UnixTime};
use crate::store::{StoreError, StoreResult};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Most jobs committed together in one transaction.
const MAX_BATCH: usize = 512;
/// Queue depth before callers wait for room (back-pressure).
const QUEUE: usize = 8192;

pub(super) enum Op {
    AccessTokens(Vec<AccessToken>),
    Audit(Vec<NewAuditEvent>, UnixTime),
}

enum Job {
    Write(Op, oneshot::Sender<StoreResult<()>>),
    Shutdown(oneshot::Sender<()>),
}

pub(super) struct Writer {
    tx: mpsc::Sender<Job>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub(super) fn start(pool: SqlitePool) -> Writer {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(pool, rx));
        Writer {
            tx,
            task: Mutex::new(Some(task)),
        }
    }

    /// Queues `op` and waits until it is committed.
    pub(super) async fn write(&self, op: Op) -> StoreResult<()> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job::Write(op, done))
            .await
            .map_err(|_| StoreError::Unavailable("store is shutting down".into()))?;
        wait.await
            .map_err(|_| StoreError::Unavailable("store writer stopped".into()))?
    }

    /// Commits everything queued so far, then stops the task.
    pub(super) async fn shutdown(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Shutdown(done)).await.is_ok() {
            let _ = wait.await;
        }
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<(Op, oneshot::Sender<StoreResult<()>>)> = Vec::with_capacity(MAX_BATCH);
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
        if !batch.is_empty() {
            commit_batch(&pool, &mut batch).await;
        }
        if let Some(done) = stop {
            let _ = done.send(());
            return;
        }
    }
}

/// Writes the batch in one transaction. If that fails, retries each job in
/// its own transaction so that one bad row fails only its own caller.
async fn commit_batch(pool: &SqlitePool, batch: &mut Vec<(Op, oneshot::Sender<StoreResult<()>>)>) {
    let ops: Vec<&Op> = batch.iter().map(|(op, _)| op).collect();
    match write_all(pool, &ops).await {
        Ok(()) => {
            for (_, done) in batch.drain(..) {
                let _ = done.send(Ok(()));
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some((_, done)) = batch.pop() {
                let _ = done.send(Err(e));
            }
        }
        Err(_) => {
            for (op, done) in batch.drain(..) {
                let _ = done.send(write_all(pool, &[&op]).await);
            }
        }
    }
}

async fn write_all(pool: &SqlitePool, ops: &[&Op]) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(map_err)?;
    let tokens: Vec<&AccessToken> = ops
        .iter()
        .filter_map(|op| match op {
            Op::AccessTokens(t) => Some(t.iter()),
            Op::Audit(..) => None,
        })
        .flatten()
        .collect();
    for chunk in tokens.chunks(ROWS_PER_INSERT) {
        insert_tokens(&mut tx, chunk).await?;
    }
    for op in ops {
        if let Op::Audit(events, at) = op {
            insert_audit(&mut tx, events, *at).await?;
        }
    }
    tx.commit().await.map_err(map_err)
}

/// Rows per multi-row INSERT: one statement round trip for many tokens,
/// well under SQLite's limit on bound parameters.
const ROWS_PER_INSERT: usize = 100;

pub(super) async fn insert_tokens(
    conn: &mut SqliteConnection,
    tokens: &[&AccessToken],
) -> StoreResult<()> {
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO access_tokens (id, token_hash, client_id, username, scope, grant_type, grant_id, issued_at, expires_at, revoked_at) ",
    );
    q.push_values(tokens, |mut row, t| {
        row.push_bind(&t.id.0[..])
            .push_bind(&t.hash.0[..])
            .push_bind(&t.client_id)
            .push_bind(&t.username)
            .push_bind(t.scope.to_string())
            .push_bind(t.grant_type.as_str())
            .push_bind(&t.grant_id)
            .push_bind(t.issued_at)
            .push_bind(t.expires_at)
            .push_bind(t.revoked_at);
    });
    q.build().execute(&mut *conn).await.map_err(map_err)?;
    Ok(())
}

async fn insert_audit(
    conn: &mut SqliteConnection,
    events: &[NewAuditEvent],
    at: UnixTime,
) -> StoreResult<()> {
    for e in events {
        sqlx::query("INSERT INTO audit_events (at, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(at)
            .bind(&e.actor)
            .bind(e.action)
            .bind(&e.target)
            .bind(if e.success { "success" } else { "failure" })
            .bind(super::to_json(&e.detail))
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}
