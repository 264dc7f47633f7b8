//! Reading the audit log.

use crate::app::App;
use crate::domain::{AuditEvent, AuditFilter, DomainError};

impl App {
    /// Audit events matching `filter`, newest first.
    pub async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, DomainError> {
        Ok(self.store.list_audit(filter).await?)
    }
}
