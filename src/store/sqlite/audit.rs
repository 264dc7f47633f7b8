//! Audit events in SQLite.

use super::writer::Op;
use super::{SqliteStore, from_json, map_err, page_size};
use crate::domain::{AuditEvent, AuditFilter, NewAuditEvent, UnixTime};
use crate::store::{AuditStore, StoreResult};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, Sqlite};

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, events: Vec<NewAuditEvent>, now: UnixTime) -> StoreResult<()> {
        self.writer.write(Op::Audit(events, now)).await
    }

    async fn list_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM audit_events WHERE 1 = 1");
        if let Some(a) = &f.actor {
            q.push(" AND actor = ").push_bind(a);
        }
        if let Some(a) = &f.action {
            q.push(" AND action = ").push_bind(a);
        }
        if let Some(t) = &f.target {
            q.push(" AND target = ").push_bind(t);
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(page_size(f.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        let rows = q.build().fetch_all(&self.read).await.map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let detail: String = row.try_get("detail").map_err(map_err)?;
                Ok(AuditEvent {
                    id: row.try_get("id").map_err(map_err)?,
                    at: row.try_get("at").map_err(map_err)?,
                    actor: row.try_get("actor").map_err(map_err)?,
                    action: row.try_get("action").map_err(map_err)?,
                    target: row.try_get("target").map_err(map_err)?,
                    outcome: row.try_get("outcome").map_err(map_err)?,
                    detail: from_json(&detail)?,
                })
            })
            .collect()
    }
}
