//! Parsing and validating a definition into [`Step`]s. Every error names
//! the step (`steps[2].cases[0].steps[1]`) and the field.

use super::FlowError;
use super::fields::Fields;
use super::path::FieldPath;
use super::template::{TValue, Template};
use crate::domain::scope::check_service_path;
use serde_json::Value;

/// Deepest nesting of steps inside steps.
pub const MAX_NESTING: usize = 16;
/// Most steps a definition may hold, all levels together.
pub const MAX_DEFINED_STEPS: usize = 1000;
/// Largest compiled `matches` regex, in bytes.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Methods an HTTP invoke may use.
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// A validated step, with where it stands in the definition.
#[derive(Debug, Clone)]
pub struct Step {
    pub at: String,
    pub kind: StepKind,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Map(MapStep),
    Invoke(InvokeStep),
    Branch {
        on: FieldPath,
        cases: Vec<Case>,
        default: Vec<Step>,
    },
    Loop {
        over: FieldPath,
        item: FieldPath,
        steps: Vec<Step>,
        collect: FieldPath,
    },
    Sequence {
        steps: Vec<Step>,
        on_failure: Option<Vec<Step>>,
    },
    Exit(ExitStep),
}

#[derive(Debug, Clone, Default)]
pub struct MapStep {
    pub set: Vec<(FieldPath, TValue)>,
    pub copy: Vec<(FieldPath, FieldPath)>,
    pub rename: Vec<(FieldPath, FieldPath)>,
    pub drop: Vec<FieldPath>,
}

#[derive(Debug, Clone)]
pub struct InvokeStep {
    pub target: Target,
    pub input: Option<FieldPath>,
    pub output: Option<FieldPath>,
}

#[derive(Debug, Clone)]
pub enum Target {
    Service(String),
    Http { method: String, url: Template },
}

#[derive(Debug, Clone)]
pub struct Case {
    pub when: Condition,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub enum Condition {
    Equals(Value),
    Exists(bool),
    Matches(regex::Regex),
}

#[derive(Debug, Clone)]
pub enum ExitStep {
    Return(Option<FieldPath>),
    Fail { status: u16, message: Template },
}

/// Parses `{"steps": [...]}`.
pub fn parse_definition(definition: &Value) -> Result<Vec<Step>, FlowError> {
    let Some(obj) = definition.as_object() else {
        return Err(FlowError::invalid(
            "definition",
            "definition",
            "must be an object {\"steps\": [...]}",
        ));
    };
    let fields = Fields::new("definition", obj);
    fields.only(&["steps", "description"])?;
    fields.description()?;
    let mut parser = Parser { count: 0 };
    parser.steps("steps", fields.required("steps")?, 0)
}

struct Parser {
    count: usize,
}

impl Parser {
    /// A list of steps at `at` (e.g. `steps[1].steps`).
    fn steps(&mut self, at: &str, value: &Value, depth: usize) -> Result<Vec<Step>, FlowError> {
        let Some(items) = value.as_array() else {
            let (step, field) = split_at(at);
            return Err(FlowError::invalid(step, field, "must be a list of steps"));
        };
        if depth >= MAX_NESTING {
            let (step, field) = split_at(at);
            return Err(FlowError::invalid(
                step,
                field,
                format!("steps may be nested at most {MAX_NESTING} deep"),
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.step(&format!("{at}[{i}]"), item, depth))
            .collect()
    }

    fn step(&mut self, at: &str, value: &Value, depth: usize) -> Result<Step, FlowError> {
        self.count += 1;
        if self.count > MAX_DEFINED_STEPS {
            return Err(FlowError::invalid(
                at,
                "type",
                format!("a flow may hold at most {MAX_DEFINED_STEPS} steps"),
            ));
        }
        let Some(obj) = value.as_object() else {
            return Err(FlowError::invalid(
                at,
                "type",
                "a step must be an object with a \"type\"",
            ));
        };
        let f = Fields::new(at, obj);
        let kind = f
            .string("type")?
            .ok_or_else(|| f.error("type", "is missing"))?;
        f.description()?;
        let nested = |name: &str| format!("{at}.{name}");
        let kind = match kind {
            "map" => {
                f.only(&["set", "copy", "rename", "drop"])?;
                StepKind::Map(parse_map(&f)?)
            }
            "invoke" => {
                f.only(&["service", "url", "method", "input", "output"])?;
                StepKind::Invoke(parse_invoke(&f)?)
            }
            "branch" => {
                f.only(&["on", "cases", "default"])?;
                let on = f.required_path("on")?;
                let Some(list) = f.required("cases")?.as_array() else {
                    return Err(f.error("cases", "must be a list of cases"));
                };
                let mut cases = Vec::with_capacity(list.len());
                for (i, case) in list.iter().enumerate() {
                    cases.push(self.case(at, i, case, depth)?);
                }
                let default = match f.get("default") {
                    Some(d) => self.steps(&nested("default"), d, depth + 1)?,
                    None => Vec::new(),
                };
                StepKind::Branch { on, cases, default }
            }
            "loop" => {
                f.only(&["over", "as", "steps", "collect"])?;
                let over = f.required_path("over")?;
                let item = f.path("as")?.unwrap_or_else(item_path);
                if item.is_root() {
                    return Err(f.error("as", "must name a field, not the whole document"));
                }
                let steps = self.steps(&nested("steps"), f.required("steps")?, depth + 1)?;
                let collect = f.path("collect")?.unwrap_or_else(|| over.clone());
                StepKind::Loop {
                    over,
                    item,
                    steps,
                    collect,
                }
            }
            "sequence" => {
                f.only(&["steps", "on_failure"])?;
                let steps = self.steps(&nested("steps"), f.required("steps")?, depth + 1)?;
                let on_failure = match f.get("on_failure") {
                    Some(s) => Some(self.steps(&nested("on_failure"), s, depth + 1)?),
                    None => None,
                };
                StepKind::Sequence { steps, on_failure }
            }
            "exit" => {
                f.only(&["output", "status", "message"])?;
                StepKind::Exit(parse_exit(&f)?)
            }
            other => {
                return Err(f.error(
                    "type",
                    format!(
                        "unknown step type \"{other}\" (map, invoke, branch, loop, sequence, exit)"
                    ),
                ));
            }
        };
        Ok(Step {
            at: at.to_owned(),
            kind,
        })
    }

    fn case(&mut self, at: &str, i: usize, value: &Value, depth: usize) -> Result<Case, FlowError> {
        let case_at = format!("{at}.cases[{i}]");
        let Some(obj) = value.as_object() else {
            return Err(FlowError::invalid(
                at,
                format!("cases[{i}]"),
                "must be an object",
            ));
        };
        // Errors name the branch step and the case field (`cases[0].matches`).
        let f = Fields::new(at, obj).prefixed(format!("cases[{i}]."));
        f.only_exactly(&["equals", "exists", "matches", "steps"])?;
        let conditions: Vec<&str> = ["equals", "exists", "matches"]
            .into_iter()
            .filter(|c| obj.contains_key(*c))
            .collect();
        let when = match conditions.as_slice() {
            ["equals"] => Condition::Equals(f.required("equals")?.clone()),
            ["exists"] => Condition::Exists(
                f.required("exists")?
                    .as_bool()
                    .ok_or_else(|| f.error("exists", "must be true or false"))?,
            ),
            [_] => {
                let pattern = f
                    .string("matches")?
                    .ok_or_else(|| f.error("matches", "is missing"))?;
                let re = regex::RegexBuilder::new(pattern)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .dfa_size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| f.error("matches", format!("not a valid regex: {e}")))?;
                Condition::Matches(re)
            }
            [] => {
                return Err(f.error("equals", "a case needs one of equals, exists, matches"));
            }
            [_, second, ..] => {
                return Err(f.error(second, "a case takes only one of equals, exists, matches"));
            }
        };
        let steps = self.steps(&format!("{case_at}.steps"), f.required("steps")?, depth + 1)?;
        Ok(Case { when, steps })
    }
}

fn item_path() -> FieldPath {
    FieldPath::parse("item").unwrap_or_else(|_| FieldPath::root())
}

fn parse_map(f: &Fields) -> Result<MapStep, FlowError> {
    let mut map = MapStep::default();
    if let Some(set) = f.get("set") {
        let Some(set) = set.as_object() else {
            return Err(f.error("set", "must be an object of field → value"));
        };
        for (key, value) in set {
            let field = format!("set.{key}");
            let path = FieldPath::parse(key).map_err(|e| f.error(&field, e))?;
            let value = TValue::parse(value).map_err(|e| f.error(&field, e))?;
            map.set.push((path, value));
        }
    }
    map.copy = from_to_list(f, "copy")?;
    map.rename = from_to_list(f, "rename")?;
    for (from, _) in &map.rename {
        if from.is_root() {
            return Err(f.error("rename", "cannot rename the whole document"));
        }
    }
    if let Some(drop) = f.get("drop") {
        let Some(list) = drop.as_array() else {
            return Err(f.error("drop", "must be a list of fields"));
        };
        for (i, item) in list.iter().enumerate() {
            let field = format!("drop[{i}]");
            let path = item
                .as_str()
                .ok_or_else(|| f.error(&field, "must be a field path string"))
                .and_then(|s| FieldPath::parse(s).map_err(|e| f.error(&field, e)))?;
            if path.is_root() {
                return Err(f.error(&field, "cannot drop the whole document"));
            }
            map.drop.push(path);
        }
    }
    Ok(map)
}

fn from_to_list(f: &Fields, name: &str) -> Result<Vec<(FieldPath, FieldPath)>, FlowError> {
    let Some(value) = f.get(name) else {
        return Ok(Vec::new());
    };
    let Some(list) = value.as_array() else {
        return Err(f.error(name, "must be a list of {\"from\", \"to\"}"));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let field = format!("{name}[{i}]");
        let Some(obj) = item.as_object() else {
            return Err(f.error(&field, "must be an object {\"from\", \"to\"}"));
        };
        let inner = Fields::new(&f.at, obj).prefixed(format!("{}{field}.", f.prefix));
        inner.only_exactly(&["from", "to"])?;
        out.push((inner.required_path("from")?, inner.required_path("to")?));
    }
    Ok(out)
}

fn parse_invoke(f: &Fields) -> Result<InvokeStep, FlowError> {
    let target = match (f.string("service")?, f.string("url")?) {
        (Some(service), None) => {
            if f.get("method").is_some() {
                return Err(f.error("method", "applies only to a url invoke"));
            }
            check_service_path(service).map_err(|e| f.error("service", e))?;
            Target::Service(service.to_owned())
        }
        (None, Some(url)) => {
            let method = f.string("method")?.unwrap_or("POST").to_ascii_uppercase();
            if !METHODS.contains(&method.as_str()) {
                return Err(f.error("method", format!("must be one of {}", METHODS.join(", "))));
            }
            let template = Template::parse(url).map_err(|e| f.error("url", e))?;
            let parsed = url::Url::parse(&template.sample("x"))
                .map_err(|e| f.error("url", format!("not an absolute URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(f.error("url", "must be an http(s) URL"));
            }
            // Templates may fill the path and query, never the host.
            if let Some(first) = url.find("{{") {
                let fixed = url[..first]
                    .split_once("://")
                    .is_some_and(|(_, rest)| rest.contains(['/', '?']));
                if !fixed {
                    return Err(f.error(
                        "url",
                        "templates may appear only after the host (in the path or query)",
                    ));
                }
            }
            Target::Http {
                method,
                url: template,
            }
        }
        (Some(_), Some(_)) => return Err(f.error("url", "give either service or url, not both")),
        (None, None) => return Err(f.error("service", "an invoke needs a service or a url")),
    };
    Ok(InvokeStep {
        target,
        input: f.path("input")?,
        output: f.path("output")?,
    })
}

fn parse_exit(f: &Fields) -> Result<ExitStep, FlowError> {
    let Some(status) = f.get("status") else {
        if f.get("message").is_some() {
            return Err(f.error("message", "needs a status (400–599)"));
        }
        return Ok(ExitStep::Return(f.path("output")?));
    };
    if f.get("output").is_some() {
        return Err(f.error("output", "a failing exit (with status) has no output"));
    }
    let status = status
        .as_u64()
        .filter(|s| (400..=599).contains(s))
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| f.error("status", "must be a number from 400 to 599"))?;
    let message = match f.string("message")? {
        Some(m) => Template::parse(m).map_err(|e| f.error("message", e))?,
        None => Template::parse(&format!("flow exited with status {status}"))
            .map_err(|e| f.error("message", e))?,
    };
    Ok(ExitStep::Fail { status, message })
}

/// `steps[1].steps` → (`steps[1]`, `steps`); `steps` → (`definition`, `steps`).
fn split_at(at: &str) -> (&str, &str) {
    match at.rfind('.') {
        Some(dot) => (&at[..dot], &at[dot + 1..]),
        None => ("definition", at),
    }
}
