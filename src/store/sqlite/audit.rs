//! Audit events in SQLite.

use super::{SqliteStore, map_err};
use crate::domain::{AuditEvent, AuditFilter, NewAuditEvent, UnixTime};
use crate::store::codec::{self, page_size};
use crate::store::writer::Op;
use crate::store::{AuditStore, StoreResult};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};

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
        q.build()
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?
            .iter()
            .map(codec::audit_event)
            .collect()
    }
}
