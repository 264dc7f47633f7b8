//! Running validated steps over the pipeline document.

use super::definition::{Case, Condition, ExitStep, InvokeStep, MapStep, Step, StepKind, Target};
use super::path::FieldPath;
use super::{Caller, FlowError, Invoker, Limits};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// Most bytes (roughly: 16 a value plus the text of strings and keys) one
/// run may copy: bounds the growth of the document (a `copy` of `a` into
/// `a.b` doubles it each time) and the work of loops.
pub const MAX_COPIED_BYTES: u64 = 64 * 1024 * 1024;
/// Deepest nesting a value put into the document may reach.
pub const MAX_DOCUMENT_DEPTH: usize = 128;
/// What a value in a URL template keeps unescaped (RFC 3986 unreserved).
const URL_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How a list of steps ended.
pub enum Outcome {
    /// The steps ran to the end; the pipeline goes on.
    Continue(Value),
    /// An `exit` step returned this output from the whole flow.
    Exit(Value),
}

/// The state of one run: whom it serves and what it has used.
pub struct Ctx<'a> {
    pub caller: &'a Caller,
    pub invoker: &'a dyn Invoker,
    pub limits: &'a Limits,
    pub depth: u32,
    pub deadline: Option<Instant>,
    pub steps: u32,
    pub iterations: u32,
    pub copied: u64,
}

type StepsFuture<'f> = Pin<Box<dyn Future<Output = Result<Outcome, FlowError>> + Send + 'f>>;

impl Ctx<'_> {
    fn tick(&mut self) -> Result<(), FlowError> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(FlowError::Limit(format!(
                "more than {} steps run",
                self.limits.max_steps
            )));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(wall_time(self.limits));
        }
        Ok(())
    }

    fn iteration(&mut self) -> Result<(), FlowError> {
        self.iterations += 1;
        if self.iterations > self.limits.max_loop_iterations {
            return Err(FlowError::Limit(format!(
                "more than {} loop iterations",
                self.limits.max_loop_iterations
            )));
        }
        Ok(())
    }

    /// Counts a copy of `value` that will be put `at_depth` deep.
    fn charge(&mut self, value: &Value, at_depth: usize) -> Result<(), FlowError> {
        let (bytes, depth) = measure(value);
        self.copied = self.copied.saturating_add(bytes);
        if self.copied > MAX_COPIED_BYTES {
            return Err(FlowError::Limit(format!(
                "more than {} MiB of values copied",
                MAX_COPIED_BYTES / (1024 * 1024)
            )));
        }
        if at_depth + depth > MAX_DOCUMENT_DEPTH {
            return Err(FlowError::Limit(format!(
                "document nested deeper than {MAX_DOCUMENT_DEPTH} levels"
            )));
        }
        Ok(())
    }

    /// A charged copy of `value`.
    fn copy(&mut self, value: &Value, at_depth: usize) -> Result<Value, FlowError> {
        self.charge(value, at_depth)?;
        Ok(value.clone())
    }
}

/// The error for a run past `limits.timeout`.
pub fn wall_time(limits: &Limits) -> FlowError {
    FlowError::Limit(format!(
        "wall time of {} ms exceeded",
        limits.timeout.as_millis()
    ))
}

/// Approximate size in bytes and nesting depth, without recursion.
fn measure(value: &Value) -> (u64, usize) {
    let mut bytes = 0u64;
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        bytes += 16;
        match v {
            Value::String(s) => bytes += s.len() as u64,
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Value::Object(map) => {
                for (k, item) in map {
                    bytes += k.len() as u64;
                    stack.push((item, depth + 1));
                }
            }
            _ => {}
        }
    }
    (bytes, deepest)
}

fn runtime(step: &Step, field: impl Into<String>, message: impl Into<String>) -> FlowError {
    FlowError::invalid(&step.at, field, message)
}

/// Runs `steps` in order over `doc`.
pub fn run_steps<'f, 'c: 'f>(
    steps: &'f [Step],
    mut doc: Value,
    ctx: &'f mut Ctx<'c>,
) -> StepsFuture<'f> {
    Box::pin(async move {
        for step in steps {
            match run_step(step, doc, ctx).await? {
                Outcome::Continue(next) => doc = next,
                exit @ Outcome::Exit(_) => return Ok(exit),
            }
        }
        Ok(Outcome::Continue(doc))
    })
}

fn run_step<'f, 'c: 'f>(step: &'f Step, doc: Value, ctx: &'f mut Ctx<'c>) -> StepsFuture<'f> {
    Box::pin(async move {
        ctx.tick()?;
        match &step.kind {
            StepKind::Map(map) => run_map(step, map, doc, ctx).map(Outcome::Continue),
            StepKind::Invoke(invoke) => run_invoke(step, invoke, doc, ctx)
                .await
                .map(Outcome::Continue),
            StepKind::Branch { on, cases, default } => {
                let steps = choose(on.get(&doc), cases).unwrap_or(default);
                run_steps(steps, doc, ctx).await
            }
            StepKind::Loop {
                over,
                item,
                steps,
                collect,
            } => run_loop(step, (over, item, collect), steps, doc, ctx).await,
            StepKind::Sequence { steps, on_failure } => {
                let Some(on_failure) = on_failure else {
                    return run_steps(steps, doc, ctx).await;
                };
                let backup = ctx.copy(&doc, 0)?;
                match run_steps(steps, doc, ctx).await {
                    Ok(outcome) => Ok(outcome),
                    Err(e @ FlowError::Limit(_)) => Err(e),
                    Err(e) => run_steps(on_failure, with_error(backup, &e), ctx).await,
                }
            }
            StepKind::Exit(ExitStep::Return(output)) => {
                let mut doc = doc;
                Ok(Outcome::Exit(match output {
                    Some(path) => path.remove(&mut doc).unwrap_or(Value::Null),
                    None => doc,
                }))
            }
            StepKind::Exit(ExitStep::Fail { status, message }) => Err(FlowError::Exit {
                status: *status,
                message: message.render_text(&doc, ctx.caller, str::to_owned),
            }),
        }
    })
}

/// `set` (all values computed over the document as the step found it),
/// then `copy`, `rename`, `drop`, each in the order written.
fn run_map(step: &Step, map: &MapStep, mut doc: Value, ctx: &mut Ctx) -> Result<Value, FlowError> {
    let mut values = Vec::with_capacity(map.set.len());
    for (path, value) in &map.set {
        let value = value.eval(&doc, ctx.caller);
        ctx.charge(&value, path.depth())?;
        values.push((path, value));
    }
    for (path, value) in values {
        path.set(&mut doc, value)
            .map_err(|e| runtime(step, format!("set.{path}"), e))?;
    }
    for (i, (from, to)) in map.copy.iter().enumerate() {
        if let Some(value) = from.get(&doc) {
            let value = ctx.copy(value, to.depth())?;
            to.set(&mut doc, value)
                .map_err(|e| runtime(step, format!("copy[{i}].to"), e))?;
        }
    }
    for (i, (from, to)) in map.rename.iter().enumerate() {
        if let Some(value) = from.remove(&mut doc) {
            ctx.charge(&Value::Null, to.depth())?;
            to.set(&mut doc, value)
                .map_err(|e| runtime(step, format!("rename[{i}].to"), e))?;
        }
    }
    for path in &map.drop {
        path.remove(&mut doc);
    }
    Ok(doc)
}

async fn run_invoke(
    step: &Step,
    invoke: &InvokeStep,
    mut doc: Value,
    ctx: &mut Ctx<'_>,
) -> Result<Value, FlowError> {
    let url = match &invoke.target {
        Target::Http { url, .. } => url.render_text(&doc, ctx.caller, |s| {
            utf8_percent_encode(s, URL_VALUE).to_string()
        }),
        Target::Service(_) => String::new(),
    };
    let input = match (&invoke.input, &invoke.output) {
        (Some(path), _) => match path.get(&doc) {
            Some(v) => ctx.copy(v, 0)?,
            None => Value::Null,
        },
        (None, None) => std::mem::take(&mut doc),
        (None, Some(_)) => ctx.copy(&doc, 0)?,
    };
    let result = match &invoke.target {
        Target::Service(path) => {
            ctx.invoker
                .invoke_service(path, input, ctx.caller, ctx.depth)
                .await?
        }
        Target::Http { method, .. } => {
            let body = matches!(method.as_str(), "POST" | "PUT" | "PATCH").then_some(input);
            let answer = ctx.invoker.invoke_http(method, &url, body).await?;
            json!({"status": answer.status, "body": answer.body})
        }
    };
    match &invoke.output {
        Some(path) => {
            path.set(&mut doc, result)
                .map_err(|e| runtime(step, "output", e))?;
            Ok(doc)
        }
        None => Ok(result),
    }
}

fn choose<'s>(value: Option<&Value>, cases: &'s [Case]) -> Option<&'s Vec<Step>> {
    let found = cases.iter().find(|case| match &case.when {
        Condition::Equals(expected) => json_equal(value.unwrap_or(&Value::Null), expected),
        Condition::Exists(exists) => value.is_some() == *exists,
        Condition::Matches(re) => match value {
            Some(Value::String(s)) => re.is_match(s),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => re.is_match(&v.to_string()),
            _ => false,
        },
    });
    found.map(|case| &case.steps)
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

async fn run_loop(
    step: &Step,
    (over, item, collect): (&FieldPath, &FieldPath, &FieldPath),
    steps: &[Step],
    mut doc: Value,
    ctx: &mut Ctx<'_>,
) -> Result<Outcome, FlowError> {
    let items = match over.remove(&mut doc) {
        None => return Ok(Outcome::Continue(doc)),
        Some(Value::Null) => {
            over.set(&mut doc, Value::Null)
                .map_err(|e| runtime(step, "over", e))?;
            return Ok(Outcome::Continue(doc));
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(runtime(
                step,
                "over",
                format!("\"{over}\" is not an array but {}", kind_of(&other)),
            ));
        }
    };
    let mut results = Vec::with_capacity(items.len());
    for element in &items {
        ctx.iteration()?;
        let mut copy = ctx.copy(&doc, 0)?;
        let element = ctx.copy(element, item.depth())?;
        item.set(&mut copy, element)
            .map_err(|e| runtime(step, "as", e))?;
        match run_steps(steps, copy, ctx).await? {
            Outcome::Continue(mut done) => {
                results.push(item.remove(&mut done).unwrap_or(Value::Null));
            }
            exit @ Outcome::Exit(_) => return Ok(exit),
        }
    }
    over.set(&mut doc, Value::Array(items))
        .map_err(|e| runtime(step, "over", e))?;
    ctx.charge(&Value::Null, collect.depth())?;
    collect
        .set(&mut doc, Value::Array(results))
        .map_err(|e| runtime(step, "collect", e))?;
    Ok(Outcome::Continue(doc))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The document `on_failure` starts from: the one before the sequence
/// with `error` set to `{"kind", "status", "message"}`.
fn with_error(doc: Value, error: &FlowError) -> Value {
    let kind = match error {
        FlowError::Invalid { .. } => "invalid",
        FlowError::Exit { .. } => "exit",
        FlowError::Limit(_) => "limit",
        FlowError::Invoke { .. } => "invoke",
    };
    let error = json!({"kind": kind, "status": error.status(), "message": error.to_string()});
    match doc {
        Value::Object(mut map) => {
            map.insert("error".into(), error);
            Value::Object(map)
        }
        Value::Null => Value::Object(Map::from_iter([("error".to_owned(), error)])),
        other => json!({"value": other, "error": error}),
    }
}
