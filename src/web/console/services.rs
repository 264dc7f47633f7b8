//! Services (DESIGN §5): list, add, edit, delete. A REST service forwards
//! to an upstream URL; a flow service runs a definition typed as JSON or
//! YAML. Service paths hold slashes, so the edit and delete pages take the
//! path as the rest of the URL.

use super::{ConsoleAdmin, Post, Section, confirm_delete_page, message_of, number, status_of};
use crate::app::App;
use crate::domain::{DomainError, Service, ServiceKind};
use crate::service::{Kind, ServiceInput};
use crate::web::pages::html;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/services", get(list).post(create))
        .route("/services/edit/{*path}", get(edit_form).post(update))
        .route("/services/delete/{*path}", get(confirm_delete).post(delete))
}

const LIST: &str = "/admin/services";

fn edit_path(path: &str) -> String {
    format!("{LIST}/edit/{path}")
}

fn delete_path(path: &str) -> String {
    format!("{LIST}/delete/{path}")
}

/// The service form's fields as typed.
struct Values {
    path: String,
    kind: String,
    description: String,
    upstream_url: String,
    timeout_ms: String,
    definition: String,
}

impl Default for Values {
    fn default() -> Values {
        Values {
            path: String::new(),
            kind: Kind::Rest.as_str().into(),
            description: String::new(),
            upstream_url: String::new(),
            timeout_ms: String::new(),
            definition: String::new(),
        }
    }
}

impl Values {
    fn from_form(f: &super::Form) -> Values {
        Values {
            path: f.text("path"),
            kind: f.text("kind"),
            description: f.text("description"),
            upstream_url: f.text("upstream_url"),
            timeout_ms: f.text("timeout_ms"),
            definition: f.text("definition"),
        }
    }

    fn of(s: &Service) -> Values {
        let mut v = Values {
            path: s.path.clone(),
            kind: Kind::of(&s.kind).as_str().into(),
            description: s.description.clone(),
            ..Values::default()
        };
        match &s.kind {
            ServiceKind::Rest {
                upstream_url,
                timeout_ms,
            } => {
                v.upstream_url = upstream_url.clone();
                v.timeout_ms = timeout_ms.map(|t| t.to_string()).unwrap_or_default();
            }
            ServiceKind::Flow { definition } => v.definition = definition_text(definition),
        }
        v
    }

    fn is_flow(&self) -> bool {
        self.kind == Kind::Flow.as_str()
    }

    /// The input of the selected kind; the other kind's fields are ignored.
    /// A blank required field is refused here, so that an edit cannot
    /// silently keep a value the administrator cleared.
    fn input(&self, with_path: bool) -> Result<ServiceInput, DomainError> {
        let kind = match self.kind.as_str() {
            "rest" => Kind::Rest,
            "flow" => Kind::Flow,
            _ => {
                return Err(DomainError::invalid("kind", "must be \"rest\" or \"flow\""));
            }
        };
        let mut input = ServiceInput {
            path: with_path.then(|| self.path.trim().to_owned()),
            kind: Some(kind),
            description: Some(self.description.clone()),
            ..ServiceInput::default()
        };
        let required = |field: &'static str| {
            DomainError::invalid(
                field,
                format!("is required for a {} service", kind.as_str()),
            )
        };
        match kind {
            Kind::Rest => {
                let url = self.upstream_url.trim();
                if url.is_empty() {
                    return Err(required("upstream_url"));
                }
                input.upstream_url = Some(url.to_owned());
                let timeout = number(&self.timeout_ms, "timeout_ms")?
                    .map(u64::try_from)
                    .transpose()
                    .map_err(|_| DomainError::invalid("timeout_ms", "must not be negative"))?;
                input.timeout_ms = Some(timeout);
            }
            Kind::Flow => {
                if self.definition.trim().is_empty() {
                    return Err(required("definition"));
                }
                input.definition = Some(parse_definition(&self.definition)?);
            }
        }
        Ok(input)
    }
}

/// A flow definition typed as JSON or YAML, decoded as
/// [`crate::flow::Flow::parse_text`] does; the flow engine checks it when
/// the service is saved.
fn parse_definition(text: &str) -> Result<serde_json::Value, DomainError> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => Ok(value),
        Err(_) => serde_norway::from_str::<serde_json::Value>(text).map_err(|e| {
            DomainError::invalid("definition", format!("not valid YAML or JSON: {e}"))
        }),
    }
}

/// A stored definition as YAML for the edit form (JSON if that fails).
fn definition_text(definition: &serde_json::Value) -> String {
    serde_norway::to_string(definition)
        .or_else(|_| serde_json::to_string_pretty(definition))
        .unwrap_or_default()
}

/// A row of the service table.
struct Row {
    path: String,
    edit: String,
    delete: String,
    kind: &'static str,
    description: String,
    /// The upstream URL of a REST service.
    upstream: Option<String>,
    /// "3 steps" of a flow service.
    steps: String,
}

impl Row {
    fn of(s: Service) -> Row {
        let (upstream, steps) = match &s.kind {
            ServiceKind::Rest { upstream_url, .. } => (Some(upstream_url.clone()), String::new()),
            ServiceKind::Flow { definition } => {
                let n = definition
                    .get("steps")
                    .and_then(serde_json::Value::as_array)
                    .map_or(0, Vec::len);
                (None, format!("{n} step{}", if n == 1 { "" } else { "s" }))
            }
        };
        Row {
            edit: edit_path(&s.path),
            delete: delete_path(&s.path),
            kind: Kind::of(&s.kind).as_str(),
            upstream,
            steps,
            path: s.path,
            description: s.description,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "console/services.html")]
struct ListPage {
    chrome: super::Chrome,
    rows: Vec<Row>,
    v: Values,
    error: Option<String>,
}

async fn list(admin: ConsoleAdmin, State(app): State<Arc<App>>) -> Response {
    let notice = admin.take_flash(LIST).notice;
    list_page(&app, &admin, notice, Values::default(), None).await
}

/// The service table with the add form (`v`, refused with `error`).
async fn list_page(
    app: &App,
    admin: &ConsoleAdmin,
    notice: Option<String>,
    v: Values,
    error: Option<DomainError>,
) -> Response {
    let services = match app.list_services().await {
        Ok(s) => s,
        Err(e) => return admin.failure(Section::Services, &e),
    };
    let page = ListPage {
        chrome: admin.chrome(Section::Services, notice),
        rows: services.into_iter().map(Row::of).collect(),
        v,
        error: error.as_ref().map(message_of),
    };
    html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

/// `POST /admin/services`: adds a service.
async fn create(State(app): State<Arc<App>>, post: Post) -> Response {
    let (admin, v) = (post.admin, Values::from_form(&post.form));
    let result = match v.input(true) {
        Ok(input) => app.create_service(&admin.actor(), input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => admin.done(LIST, format!("Service \"{}\" added.", s.path)),
        Err(e) => list_page(&app, &admin, None, v, Some(e)).await,
    }
}

#[derive(askama::Template)]
#[template(path = "console/services_edit.html")]
struct EditPage {
    chrome: super::Chrome,
    action: String,
    v: Values,
    error: Option<String>,
}

fn edit_page(admin: &ConsoleAdmin, v: Values, error: Option<DomainError>) -> Response {
    let page = EditPage {
        chrome: admin.chrome(Section::Services, None),
        action: edit_path(&v.path),
        v,
        error: error.as_ref().map(message_of),
    };
    html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

async fn edit_form(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
) -> Response {
    match app.get_service(&path).await {
        Ok(s) => edit_page(&admin, Values::of(&s), None),
        Err(e) => admin.failure(Section::Services, &e),
    }
}

/// `POST /admin/services/edit/{path}`: saves the kind, description and the
/// fields of the kind.
async fn update(State(app): State<Arc<App>>, Path(path): Path<String>, post: Post) -> Response {
    let admin = post.admin;
    let v = Values {
        path: path.clone(),
        ..Values::from_form(&post.form)
    };
    let result = match v.input(false) {
        Ok(input) => app.update_service(&admin.actor(), &path, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => admin.done(LIST, format!("Service \"{}\" saved.", s.path)),
        Err(e @ DomainError::NotFound(_)) => admin.failure(Section::Services, &e),
        Err(e) => edit_page(&admin, v, Some(e)),
    }
}

fn confirm_page(admin: &ConsoleAdmin, path: &str, error: Option<DomainError>) -> Response {
    let message = format!(
        "Delete the service \"{path}\"? Calls to it fail from now on; scopes that name it keep the path, which grants nothing until a service is registered there again."
    );
    confirm_delete_page(
        admin,
        Section::Services,
        "service",
        &message,
        delete_path(path),
        LIST.into(),
        error,
    )
}

async fn confirm_delete(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
) -> Response {
    match app.get_service(&path).await {
        Ok(s) => confirm_page(&admin, &s.path, None),
        Err(e) => admin.failure(Section::Services, &e),
    }
}

/// `POST /admin/services/delete/{path}`.
async fn delete(State(app): State<Arc<App>>, Path(path): Path<String>, post: Post) -> Response {
    let admin = post.admin;
    match app.delete_service(&admin.actor(), &path).await {
        Ok(()) => admin.done(LIST, format!("Service \"{path}\" deleted.")),
        Err(e @ DomainError::NotFound(_)) => admin.failure(Section::Services, &e),
        Err(e) => confirm_page(&admin, &path, Some(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_json_or_yaml() {
        let json = parse_definition(r#"{"steps": []}"#).unwrap();
        let yaml = parse_definition("steps: []\n").unwrap();
        assert_eq!(json, yaml);
        let e = parse_definition("steps: [").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("definition: not valid YAML or JSON")
        );
    }

    #[test]
    fn only_the_selected_kind_is_sent() {
        let v = Values {
            path: " a/b ".into(),
            kind: "flow".into(),
            upstream_url: "http://x/".into(),
            definition: "steps: []".into(),
            ..Values::default()
        };
        let input = v.input(true).unwrap();
        assert_eq!(input.path.as_deref(), Some("a/b"));
        assert_eq!(input.upstream_url, None);
        let v = Values {
            kind: "rest".into(),
            timeout_ms: "-1".into(),
            upstream_url: "http://x/".into(),
            ..Values::default()
        };
        assert!(
            v.input(true)
                .unwrap_err()
                .to_string()
                .starts_with("timeout_ms")
        );
        let v = Values {
            kind: "soap".into(),
            ..Values::default()
        };
        assert!(v.input(true).unwrap_err().to_string().starts_with("kind"));
    }
}
