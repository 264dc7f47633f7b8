//! Reading the fields of one object of a definition, with errors that
//! name the step and the field.

use super::FlowError;
use super::path::FieldPath;
use serde_json::{Map, Value};

/// The fields of one object in the definition, for error reporting.
pub(super) struct Fields<'a> {
    pub(super) at: String,
    pub(super) prefix: String,
    obj: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub(super) fn new(at: &str, obj: &'a Map<String, Value>) -> Self {
        Fields {
            at: at.to_owned(),
            prefix: String::new(),
            obj,
        }
    }

    pub(super) fn prefixed(mut self, prefix: String) -> Self {
        self.prefix = prefix;
        self
    }

    pub(super) fn error(&self, field: &str, message: impl Into<String>) -> FlowError {
        FlowError::invalid(&self.at, format!("{}{field}", self.prefix), message)
    }

    /// Rejects fields other than `type`, `description` and `allowed`.
    pub(super) fn only(&self, allowed: &[&str]) -> Result<(), FlowError> {
        self.check_known(|k| k == "type" || k == "description" || allowed.contains(&k))
    }

    /// Rejects fields other than `allowed`.
    pub(super) fn only_exactly(&self, allowed: &[&str]) -> Result<(), FlowError> {
        self.check_known(|k| allowed.contains(&k))
    }

    pub(super) fn check_known(&self, known: impl Fn(&str) -> bool) -> Result<(), FlowError> {
        match self.obj.keys().find(|k| !known(k)) {
            // Quoted, so that an empty name or one with stray spaces shows.
            Some(k) => Err(self.error(k, format!("unknown field \"{k}\""))),
            None => Ok(()),
        }
    }

    pub(super) fn description(&self) -> Result<(), FlowError> {
        self.string("description").map(|_| ())
    }

    pub(super) fn get(&self, name: &str) -> Option<&'a Value> {
        self.obj.get(name)
    }

    pub(super) fn required(&self, name: &str) -> Result<&'a Value, FlowError> {
        self.get(name).ok_or_else(|| self.error(name, "is missing"))
    }

    pub(super) fn string(&self, name: &str) -> Result<Option<&'a str>, FlowError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(name, "must be a string")),
        }
    }

    pub(super) fn path(&self, name: &str) -> Result<Option<FieldPath>, FlowError> {
        self.string(name)?
            .map(|s| FieldPath::parse(s).map_err(|e| self.error(name, e)))
            .transpose()
    }

    pub(super) fn required_path(&self, name: &str) -> Result<FieldPath, FlowError> {
        self.path(name)?
            .ok_or_else(|| self.error(name, "is missing"))
    }
}
