//! SQLite's half of group commit (see [`crate::store::writer`]): a batch of
//! access tokens and audit events in one transaction on the writer
//! connection, tokens in multi-row INSERTs.

use super::map_err;
use crate::domain::{AccessToken, NewAuditEvent, UnixTime};
use crate::store::StoreResult;
use crate::store::codec::to_json;
use crate::store::writer::{Op, Sink, access_tokens, audit_events};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

/// Writes batches through the single writer connection.
pub(super) struct SqliteSink(pub(super) SqlitePool);

impl Sink for SqliteSink {
    async fn write_all(&self, ops: &[&Op]) -> StoreResult<()> {
        let mut tx = self.0.begin().await.map_err(map_err)?;
        for chunk in access_tokens(ops).chunks(ROWS_PER_INSERT) {
            insert_tokens(&mut tx, chunk).await?;
        }
        for (event, at) in audit_events(ops) {
            insert_audit(&mut tx, event, at).await?;
        }
        tx.commit().await.map_err(map_err)
    }
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
    e: &NewAuditEvent,
    at: UnixTime,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO audit_events (at, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(at)
        .bind(&e.actor)
        .bind(e.action)
        .bind(&e.target)
        .bind(if e.success { "success" } else { "failure" })
        .bind(to_json(&e.detail))
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(())
}
