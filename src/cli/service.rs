//! `flowgate service ...`: manage the services flowgate protects, and keep
//! them in git as YAML or JSON files (`apply` and `export`).

use super::output::{self, Failure};
use super::{CLI_ACTOR, DbArgs};
use crate::app::App;
use crate::domain::{Service, ServiceKind};
use crate::service::{ServiceInput, ServiceView};
use clap::{Subcommand, ValueEnum};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create or replace services from YAML or JSON. A file holds one
    /// service or a list; a directory applies every *.yaml, *.yml and
    /// *.json file in it, by name. Nothing is written unless every service
    /// is valid.
    Apply {
        /// File or directory to read; `-` reads YAML or JSON from stdin.
        #[arg(short = 'f', long = "file", value_name = "FILE|DIR")]
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print every service in the form `apply` reads.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Yaml)]
        format: Format,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List services.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show one service.
    Show {
        /// Service path, e.g. orders/createOrder.
        path: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete a service. Scopes that name it keep the path.
    Delete {
        /// Service path.
        path: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The text format of `service export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Yaml,
    Json,
}

impl ServiceCommand {
    fn db(&self) -> &DbArgs {
        match self {
            ServiceCommand::Apply { db, .. }
            | ServiceCommand::Export { db, .. }
            | ServiceCommand::List { db }
            | ServiceCommand::Show { db, .. }
            | ServiceCommand::Delete { db, .. } => db,
        }
    }
}

pub async fn run(cmd: ServiceCommand) -> ExitCode {
    let db = cmd.db().clone();
    let json = db.json;
    // Read and parse the files before opening the database.
    let inputs = match &cmd {
        ServiceCommand::Apply { file, .. } => match read_inputs(file) {
            Ok(inputs) => Some(inputs),
            Err(f) => return f.report(),
        },
        _ => None,
    };
    output::run_with_app(&db, move |app| async move {
        execute(&app, cmd, inputs.unwrap_or_default(), json).await
    })
    .await
}

async fn execute(
    app: &App,
    cmd: ServiceCommand,
    inputs: Vec<ServiceInput>,
    json: bool,
) -> Result<String, Failure> {
    match cmd {
        ServiceCommand::Apply { .. } => {
            let summary = app.apply_services(CLI_ACTOR, inputs).await?;
            if json {
                return output::json(&summary);
            }
            Ok(format!(
                "{} created, {} updated",
                summary.created.len(),
                summary.updated.len()
            ))
        }
        ServiceCommand::Export { format, .. } => {
            let all: Vec<ServiceInput> = app
                .list_services()
                .await?
                .iter()
                .map(ServiceInput::of)
                .collect();
            match format {
                Format::Json => output::json(&all),
                Format::Yaml => serde_norway::to_string(&all)
                    .map_err(|e| Failure::Other(format!("cannot encode YAML: {e}"))),
            }
        }
        ServiceCommand::List { .. } => {
            let services = app.list_services().await?;
            if json {
                let views: Vec<ServiceView> = services.iter().map(ServiceView::from).collect();
                return output::json(&views);
            }
            let rows: Vec<Vec<String>> = services
                .iter()
                .map(|s| {
                    vec![
                        s.path.clone(),
                        crate::service::Kind::of(&s.kind).as_str().to_owned(),
                        target(s),
                        output::or_dash(&s.description),
                    ]
                })
                .collect();
            Ok(output::table_or_empty(
                &["PATH", "KIND", "TARGET", "DESCRIPTION"],
                &rows,
                "services",
            ))
        }
        ServiceCommand::Show { path, .. } => show(&app.get_service(&path).await?, json),
        ServiceCommand::Delete { path, .. } => {
            app.delete_service(CLI_ACTOR, &path).await?;
            if json {
                output::json(&serde_json::json!({ "path": path, "deleted": true }))
            } else {
                Ok(format!("deleted service {path}"))
            }
        }
    }
}

/// Where a service goes: its upstream, or how many steps its flow has.
fn target(s: &Service) -> String {
    match &s.kind {
        ServiceKind::Rest { upstream_url, .. } => upstream_url.clone(),
        ServiceKind::Flow { definition } => {
            let n = definition["steps"].as_array().map_or(0, Vec::len);
            format!("{n} step{}", if n == 1 { "" } else { "s" })
        }
    }
}

fn show(s: &Service, json: bool) -> Result<String, Failure> {
    if json {
        return output::json(&ServiceView::from(s));
    }
    let mut fields = vec![
        ("path", s.path.clone()),
        (
            "kind",
            crate::service::Kind::of(&s.kind).as_str().to_owned(),
        ),
        ("description", output::or_dash(&s.description)),
    ];
    match &s.kind {
        ServiceKind::Rest {
            upstream_url,
            timeout_ms,
        } => {
            fields.push(("upstream_url", upstream_url.clone()));
            let timeout = timeout_ms.map_or_else(
                || format!("{} (default)", crate::domain::service::DEFAULT_TIMEOUT_MS),
                |t| t.to_string(),
            );
            fields.push(("timeout_ms", timeout));
        }
        ServiceKind::Flow { definition } => {
            let text = serde_json::to_string(definition)
                .map_err(|e| Failure::Other(format!("cannot encode JSON: {e}")))?;
            fields.push(("definition", text));
        }
    }
    fields.push(("created_at", output::time(s.created_at)));
    fields.push(("updated_at", output::time(s.updated_at)));
    Ok(output::record(&fields))
}

/// The services in `path`: a file, a directory of files, or `-` (stdin).
fn read_inputs(path: &Path) -> Result<Vec<ServiceInput>, Failure> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Other(format!("cannot read stdin: {e}")))?;
        return parse_file("stdin", &text, false);
    }
    let files = if path.is_dir() {
        service_files(path)?
    } else {
        vec![path.to_owned()]
    };
    let mut inputs = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Failure::Other(format!("cannot read {name}: {e}")))?;
        let is_json = file.extension().is_some_and(|e| e == "json");
        inputs.extend(parse_file(&name, &text, is_json)?);
    }
    Ok(inputs)
}

/// The *.yaml, *.yml and *.json files directly in `dir`, sorted by name.
fn service_files(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let name = dir.display();
    let entries =
        std::fs::read_dir(dir).map_err(|e| Failure::Other(format!("cannot read {name}: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Failure::Other(format!("cannot read {name}: {e}")))?
            .path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if wanted && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Failure::Other(format!(
            "{name} holds no *.yaml, *.yml or *.json file"
        )));
    }
    Ok(files)
}

/// One service or a list of them, from YAML (or JSON, which YAML reads too).
fn parse_file(name: &str, text: &str, is_json: bool) -> Result<Vec<ServiceInput>, Failure> {
    let value: serde_json::Value = if is_json {
        serde_json::from_str(text).map_err(|e| Failure::Other(format!("{name}: {e}")))?
    } else {
        serde_norway::from_str(text).map_err(|e| Failure::Other(format!("{name}: {e}")))?
    };
    let (items, single) = match value {
        serde_json::Value::Array(items) => (items, false),
        serde_json::Value::Null => (Vec::new(), false),
        one => (vec![one], true),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_path_to_error::deserialize::<_, ServiceInput>(item).map_err(|e| {
                let at = if single {
                    String::new()
                } else {
                    format!(" item {}", i + 1)
                };
                let field = e.path().to_string();
                let field = if field == "." {
                    String::new()
                } else {
                    format!(" {field}:")
                };
                Failure::Other(format!("{name}{at}:{field} {}", e.inner()))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_holds_one_service_or_a_list() {
        let one = "path: a/b\nkind: rest\nupstream_url: http://x.test/\n";
        assert_eq!(parse_file("f", one, false).unwrap().len(), 1);
        let list = "- {path: a, kind: flow, definition: {steps: []}}\n- {path: b, kind: flow, definition: {steps: []}}\n";
        let parsed = parse_file("f", list, false).unwrap();
        assert_eq!(parsed[1].path.as_deref(), Some("b"));
        let json = r#"[{"path": "a", "kind": "rest", "upstream_url": "http://x.test"}]"#;
        assert_eq!(parse_file("f.json", json, true).unwrap().len(), 1);
    }

    #[test]
    fn parse_errors_name_the_file_item_and_field() {
        let bad = "- {path: a, kind: rest, upstream_url: http://x.test}\n- {path: b, kind: soap}\n";
        let Err(Failure::Other(m)) = parse_file("s.yaml", bad, false) else {
            panic!("accepted");
        };
        assert!(m.starts_with("s.yaml item 2: kind: unknown variant"), "{m}");
        let Err(Failure::Other(m)) = parse_file("s.yaml", "path: a\ncolour: red\n", false) else {
            panic!("accepted");
        };
        assert!(m.contains("colour"), "{m}");
    }
}
