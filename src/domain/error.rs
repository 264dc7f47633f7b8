//! Errors of the domain layer: a rule broken, a record missing or clashing,
//! or the store failing underneath.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Input broke a rule; `field` names the input field.
    #[error("{field}: {rule}")]
    Invalid { field: &'static str, rule: String },
    /// The addressed record does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change clashes with an existing record (unique name, ...).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DomainError {
    pub fn invalid(field: &'static str, rule: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            rule: rule.into(),
        }
    }
}
