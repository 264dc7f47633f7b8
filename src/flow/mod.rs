//! The flow engine (DESIGN §5): a declarative pipeline over one JSON
//! document, run by flowgate for a flow service.
//!
//! # The pipeline
//!
//! The document starts as the input (the request body) exactly as it is,
//! of any JSON type; each step takes the document and hands on the next
//! one; what is left at the end (or what an `exit` returns) is the output.
//! A flow with no steps returns its input unchanged.
//!
//! Fields are named by a dotted path (`a.b.0`) or a JSON pointer
//! (`/a/b/0`); `""` and `"."` name the whole document (see [`path`]).
//! Setting a field creates missing or null intermediate fields as objects
//! (an array index must exist, or be its length or `-` to append); setting
//! through a string, number or boolean fails. Reading a missing field
//! gives null. Strings in `set` values, exit messages and invoke URLs may
//! be templates, `{{path}}` or `{{caller.client_id}}`, `{{caller.subject}}`,
//! `{{caller.scope}}` (see [`template`]); a pipeline field named `caller`
//! is reached with a pointer, `{{/caller}}`.
//!
//! # Steps
//!
//! Every step is an object with `"type"` and may have a `"description"`
//! (a string, ignored); any other unknown field is an error.
//!
//! - `map`: `set` (object of field → value), `copy` and `rename` (lists of
//!   `{"from", "to"}`), `drop` (list of fields), applied in that order.
//!   All `set` values are computed over the document as the step found it,
//!   then written in key order. Copying or renaming a missing field does
//!   nothing, as does dropping one.
//! - `invoke`: `service` (a service path, run through [`Invoker::invoke_service`]
//!   with this run's depth) or `url` (absolute http(s); templates only
//!   after the host, their values percent-encoded) with `method` (GET,
//!   POST (default), PUT, PATCH, DELETE). `input`: the field to send
//!   (default the whole document; a missing field sends null; GET and DELETE
//!   send no body). `output`: where the result goes (default: it replaces
//!   the document). A URL's result is `{"status": n, "body": ...}`, whatever
//!   the status; a failed call is a [`FlowError::Invoke`].
//! - `branch`: `on` (a field), `cases` (list of `{"equals": v, "steps"}`,
//!   `{"exists": bool, "steps"}` or `{"matches": "regex", "steps"}`),
//!   `default` (steps, optional). The first case that holds runs, else the
//!   default. `equals` compares JSON values (numbers by value; a missing
//!   field equals null); `exists` is whether the field is there (even
//!   null); `matches` searches strings, and numbers and booleans as their
//!   JSON text (other values never match).
//! - `loop`: `over` (an array field), `as` (default `item`), `steps`,
//!   `collect` (default: `over`, so the array is replaced by the results).
//!   For each element the steps run on a copy of the document (without the
//!   array being looped over) with the element at `as`; the value of `as`
//!   after the steps is collected into the array `collect`. A missing or
//!   null `over` skips the loop; any other non-array is an error.
//! - `sequence`: `steps`, `on_failure` (optional). When a step fails (any
//!   error but a limit), `on_failure` runs on the document as it was before
//!   the sequence, with `error` set to `{"kind": "invalid" | "exit" |
//!   "invoke", "status", "message"}` (a non-object document becomes
//!   `{"value": doc, "error": ...}`); a failure in `on_failure` propagates.
//!   Without `on_failure` the steps just run as a group.
//! - `exit`: ends the whole flow (from any depth of steps). Alone it
//!   returns the document; with `output` it returns that field; with
//!   `status` (400–599) and an optional `message` (a template) it fails
//!   with [`FlowError::Exit`].
//!
//! # Limits
//!
//! Each executed step (containers included) counts against
//! [`Limits::max_steps`], each loop iteration of the run against
//! [`Limits::max_loop_iterations`]; a run at `depth > max_depth` fails at
//! once; the whole run has [`Limits::timeout`]. Copies made by steps are
//! bounded by [`run::MAX_COPIED_BYTES`] and [`run::MAX_DOCUMENT_DEPTH`].
//! Definitions hold at most [`definition::MAX_DEFINED_STEPS`] steps,
//! nested at most [`definition::MAX_NESTING`] deep. Errors at run time
//! about the document's shape are [`FlowError::Invalid`] naming the step.

pub mod definition;
mod error;
mod fields;
pub mod path;
pub mod run;
pub mod template;
#[cfg(test)]
mod tests;

pub use error::FlowError;

/// Who called: available to templates as {{caller.client_id}}, {{caller.subject}}, {{caller.scope}}.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client_id: String,
    pub subject: Option<String>,
    pub scope: String,
}

/// Execution limits; Default: max_steps 10_000, max_loop_iterations 1_000, max_depth 8, timeout 10 s.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_steps: u32,
    pub max_loop_iterations: u32,
    pub max_depth: u32,
    pub timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 10_000,
            max_loop_iterations: 1_000,
            max_depth: 8,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// The answer of an HTTP invoke.
#[derive(Debug, Clone)]
pub struct HttpResult {
    pub status: u16,
    pub body: serde_json::Value,
}

/// What invoke steps call out to; the gateway implements it.
#[async_trait::async_trait]
pub trait Invoker: Send + Sync {
    /// Runs another registered service by path with `input`, on behalf of `caller`; `depth` is the nesting level of this call (the implementation passes depth+1 when it runs a nested flow).
    async fn invoke_service(
        &self,
        path: &str,
        input: serde_json::Value,
        caller: &Caller,
        depth: u32,
    ) -> Result<serde_json::Value, FlowError>;
    /// An HTTP request to an absolute URL with an optional JSON body.
    async fn invoke_http(
        &self,
        method: &str,
        url: &str,
        body: Option<serde_json::Value>,
    ) -> Result<HttpResult, FlowError>;
}

/// A parsed, validated flow.
#[derive(Debug, Clone)]
pub struct Flow {
    steps: Vec<definition::Step>,
}

impl Flow {
    /// Parses and validates a definition `{"steps": [...]}` (already decoded from JSON or YAML); errors name the step (e.g. "steps[2].cases[0].steps[1]") and the field.
    pub fn parse(definition: &serde_json::Value) -> Result<Flow, FlowError> {
        definition::parse_definition(definition).map(|steps| Flow { steps })
    }

    /// Parses a definition written in YAML or JSON text.
    pub fn parse_text(text: &str) -> Result<Flow, FlowError> {
        let value = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => value,
            Err(_) => serde_norway::from_str::<serde_json::Value>(text).map_err(|e| {
                FlowError::invalid(
                    "definition",
                    "definition",
                    format!("not valid YAML or JSON: {e}"),
                )
            })?,
        };
        Flow::parse(&value)
    }

    /// Runs the flow over `input` (the request body); the result is the output document.
    pub async fn run(
        &self,
        input: serde_json::Value,
        caller: &Caller,
        invoker: &dyn Invoker,
        limits: &Limits,
        depth: u32,
    ) -> Result<serde_json::Value, FlowError> {
        if depth > limits.max_depth {
            return Err(FlowError::Limit(format!(
                "nesting depth {depth} exceeds {}",
                limits.max_depth
            )));
        }
        let mut ctx = run::Ctx {
            caller,
            invoker,
            limits,
            depth,
            deadline: std::time::Instant::now().checked_add(limits.timeout),
            steps: 0,
            iterations: 0,
            copied: 0,
        };
        let work = run::run_steps(&self.steps, input, &mut ctx);
        match tokio::time::timeout(limits.timeout, work).await {
            Ok(Ok(run::Outcome::Continue(output) | run::Outcome::Exit(output))) => Ok(output),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(run::wall_time(limits)),
        }
    }
}
