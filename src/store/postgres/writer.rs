//! PostgreSQL's half of group commit (see [`crate::store::writer`]): a
//! batch of access tokens and audit events in one transaction, each table
//! in a single INSERT over arrays (`UNNEST`), whatever the batch size.

use super::map_err;
use crate::domain::{AccessToken, NewAuditEvent, UnixTime};
use crate::store::StoreResult;
use crate::store::codec::to_json;
use crate::store::writer::{Op, Sink, access_tokens, audit_events};
use sqlx::{PgConnection, PgPool};

/// Writes batches through a connection of the pool.
pub(super) struct PgSink(pub(super) PgPool);

impl Sink for PgSink {
    async fn write_all(&self, ops: &[&Op]) -> StoreResult<()> {
        let mut tx = self.0.begin().await.map_err(map_err)?;
        insert_tokens(&mut tx, &access_tokens(ops)).await?;
        insert_audit(&mut tx, &audit_events(ops)).await?;
        tx.commit().await.map_err(map_err)
    }
}

/// Inserts access tokens in one statement.
pub(super) async fn insert_tokens(
    conn: &mut PgConnection,
    tokens: &[&AccessToken],
) -> StoreResult<()> {
    if tokens.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO access_tokens (id, token_hash, client_id, username, scope, grant_type, grant_id, \
         issued_at, expires_at, revoked_at) \
         SELECT * FROM UNNEST($1::bytea[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::bigint[], $9::bigint[], $10::bigint[])",
    )
    .bind(tokens.iter().map(|t| &t.id.0[..]).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| &t.hash.0[..]).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| t.client_id.as_str()).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| t.username.as_deref()).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| t.scope.to_string()).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| t.grant_type.as_str()).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| t.grant_id.as_deref()).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| t.issued_at).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| t.expires_at).collect::<Vec<_>>())
    .bind(tokens.iter().map(|t| t.revoked_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// Inserts audit events in one statement; ids follow the given order.
async fn insert_audit(
    conn: &mut PgConnection,
    events: &[(&NewAuditEvent, UnixTime)],
) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO audit_events (at, actor, action, target, outcome, detail) \
         SELECT at, actor, action, target, outcome, detail::jsonb \
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
         WITH ORDINALITY AS e (at, actor, action, target, outcome, detail, n) ORDER BY n",
    )
    .bind(events.iter().map(|(_, at)| *at).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|(e, _)| e.actor.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|(e, _)| e.action).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|(e, _)| e.target.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|(e, _)| if e.success { "success" } else { "failure" })
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|(e, _)| to_json(&e.detail))
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}
