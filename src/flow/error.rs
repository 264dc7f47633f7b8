//! The errors of parsing and running a flow.

/// What went wrong while parsing or running a flow.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FlowError {
    /// The definition breaks a rule: `step` locates it, `field` names the field.
    /// Also used at run time when the document does not have the shape a
    /// step needs (e.g. `loop.over` is not an array).
    #[error("{step}: {field}: {message}")]
    Invalid {
        step: String,
        field: String,
        message: String,
    },
    /// An `exit` step failed the flow with this status (400–599) and message.
    #[error("{message}")]
    Exit { status: u16, message: String },
    /// An execution limit was hit (steps, loop iterations, nesting depth, wall time).
    #[error("flow limit reached: {0}")]
    Limit(String),
    /// An invoke failed (unknown service, upstream down, ...): status for the HTTP answer (404, 502, 504, 403...).
    #[error("{message}")]
    Invoke { status: u16, message: String },
}

impl FlowError {
    /// An [`FlowError::Invalid`] for `step` and `field`.
    pub fn invalid(
        step: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FlowError::Invalid {
            step: step.into(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// The HTTP status that suits this error: the exit or invoke status,
    /// 400 for an invalid definition or document, 508 for a limit.
    pub fn status(&self) -> u16 {
        match self {
            FlowError::Invalid { .. } => 400,
            FlowError::Exit { status, .. } | FlowError::Invoke { status, .. } => *status,
            FlowError::Limit(_) => 508,
        }
    }
}
