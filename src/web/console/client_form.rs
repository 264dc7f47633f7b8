//! The register and edit forms of a client: every DESIGN §3 field, the
//! type as a select, and the grants with what each client type may use.

use super::clients::{LIST, lifetime_text};
use super::{
    Chrome, ConsoleAdmin, Flash, Post, Section, item_path, lines, message_of, number, status_of,
};
use crate::app::App;
use crate::domain::{ClientInput, DomainError, GrantType};
use crate::service::ClientView;
use crate::web::pages::html;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::Arc;

/// Grants offered on the form, with their labels.
const GRANTS: [(GrantType, &str); 5] = [
    (
        GrantType::AuthorizationCode,
        "Authorization code (with PKCE)",
    ),
    (GrantType::Implicit, "Implicit"),
    (GrantType::ClientCredentials, "Client credentials"),
    (GrantType::Password, "Resource owner password"),
    (GrantType::RefreshToken, "Refresh token"),
];

/// The client form's fields as typed, so that a refused form comes back
/// filled in.
struct Values {
    name: String,
    version: String,
    description: String,
    public: bool,
    redirect_uris: String,
    grants: Vec<String>,
    scopes: Vec<String>,
    /// `default`, `never` or `seconds`.
    lifetime: String,
    lifetime_seconds: String,
    refresh_count: String,
    active: bool,
}

impl Values {
    /// A new client: confidential, authorization code preselected.
    fn new_client() -> Values {
        Values {
            name: String::new(),
            version: "1.0".into(),
            description: String::new(),
            public: false,
            redirect_uris: String::new(),
            grants: vec![GrantType::AuthorizationCode.as_str().into()],
            scopes: Vec::new(),
            lifetime: "default".into(),
            lifetime_seconds: String::new(),
            refresh_count: "0".into(),
            active: true,
        }
    }

    fn of(c: &ClientView) -> Values {
        let (lifetime, seconds) = match c.access_token_lifetime {
            None => ("default", String::new()),
            Some(-1) => ("never", String::new()),
            Some(n) => ("seconds", n.to_string()),
        };
        Values {
            name: c.client_name.clone(),
            version: c.client_version.clone(),
            description: c.description.clone(),
            public: c.client_type == "public",
            redirect_uris: c.redirect_uris.join("\n"),
            grants: c.grant_types.iter().map(|g| (*g).to_owned()).collect(),
            scopes: c
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            lifetime: lifetime.into(),
            lifetime_seconds: seconds,
            refresh_count: c.refresh_count.to_string(),
            active: c.active,
        }
    }

    fn from_form(f: &super::Form) -> Values {
        Values {
            name: f.text("client_name"),
            version: f.text("client_version"),
            description: f.text("description"),
            public: f.get("client_type") == Some("public"),
            redirect_uris: f.text("redirect_uris"),
            grants: f.all("grant_types"),
            scopes: f.all("scope"),
            lifetime: f.text("lifetime"),
            lifetime_seconds: f.text("lifetime_seconds"),
            refresh_count: f.text("refresh_count"),
            active: f.get("active") == Some("true"),
        }
    }

    /// The domain input; the type is only sent when registering.
    fn input(&self, creating: bool) -> Result<ClientInput, DomainError> {
        let lifetime = match self.lifetime.as_str() {
            "never" => Some(-1),
            "seconds" => Some(
                number(&self.lifetime_seconds, "access_token_lifetime")?.ok_or_else(|| {
                    DomainError::invalid("access_token_lifetime", "enter the number of seconds")
                })?,
            ),
            _ => None,
        };
        let method = if self.public {
            "none"
        } else {
            "client_secret_basic"
        };
        Ok(ClientInput {
            client_name: Some(self.name.clone()),
            client_version: Some(self.version.clone()),
            description: Some(self.description.clone()),
            token_endpoint_auth_method: creating.then(|| method.to_owned()),
            redirect_uris: Some(lines(&self.redirect_uris)),
            grant_types: Some(self.grants.clone()),
            scope: Some(self.scopes.join(" ")),
            access_token_lifetime: Some(lifetime),
            refresh_count: Some(number(&self.refresh_count, "refresh_count")?.unwrap_or(0)),
            active: Some(self.active),
        })
    }
}

/// A checkbox of the form.
struct Choice {
    value: String,
    label: String,
    checked: bool,
    confidential_only: bool,
}

#[derive(askama::Template)]
#[template(path = "console/client_form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    submit: &'static str,
    cancel: String,
    creating: bool,
    /// The type of an existing client, shown read-only.
    client_type: String,
    v: Values,
    grants: Vec<Choice>,
    scopes: Vec<Choice>,
    default_lifetime: String,
    error: Option<String>,
}

/// The register form (`client` absent) or the edit form of `client`.
async fn form_page(
    app: &App,
    admin: &ConsoleAdmin,
    client: Option<&ClientView>,
    v: Values,
    error: Option<DomainError>,
) -> Response {
    let registered = match app.list_scopes().await {
        Ok(s) => s,
        Err(e) => return admin.failure(Section::Clients, &e),
    };
    let grants = GRANTS
        .iter()
        .map(|(g, label)| Choice {
            value: g.as_str().into(),
            label: (*label).into(),
            checked: v.grants.iter().any(|x| x == g.as_str()),
            confidential_only: g.confidential_only(),
        })
        .collect();
    // Registered scopes, plus any the client holds that were deleted since.
    let mut scopes: Vec<Choice> = registered
        .iter()
        .map(|s| Choice {
            value: s.name.clone(),
            label: s.description.clone(),
            checked: v.scopes.contains(&s.name),
            confidential_only: false,
        })
        .collect();
    for extra in v
        .scopes
        .iter()
        .filter(|n| !registered.iter().any(|s| &s.name == *n))
    {
        scopes.push(Choice {
            value: extra.clone(),
            label: "(not registered)".into(),
            checked: true,
            confidential_only: false,
        });
    }
    let (heading, action, submit, cancel) = match client {
        None => (
            "Register client".into(),
            LIST.into(),
            "Register client",
            LIST.into(),
        ),
        Some(c) => {
            let path = item_path("clients", &c.client_id);
            (
                format!("Edit {}", c.client_name),
                path.clone(),
                "Save changes",
                path,
            )
        }
    };
    let page = FormPage {
        chrome: admin.chrome(Section::Clients, None),
        heading,
        action,
        submit,
        cancel,
        creating: client.is_none(),
        client_type: client
            .map(|c| format!("{} ({})", c.client_type, c.token_endpoint_auth_method))
            .unwrap_or_default(),
        v,
        grants,
        scopes,
        default_lifetime: lifetime_text(app.settings.access_token_lifetime),
        error: error.as_ref().map(message_of),
    };
    html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

pub(super) async fn new_form(admin: ConsoleAdmin, State(app): State<Arc<App>>) -> Response {
    form_page(&app, &admin, None, Values::new_client(), None).await
}

/// `POST /admin/clients`: registers; the client's page shows the secret.
pub(super) async fn create(State(app): State<Arc<App>>, post: Post) -> Response {
    let (admin, v) = (post.admin, Values::from_form(&post.form));
    let result = match v.input(true) {
        Ok(input) => app.create_client(&admin.actor(), input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((client, secret)) => {
            let notice = format!("Client \"{}\" registered.", client.spec.name);
            match secret {
                // The secret is shown by this response, exactly once.
                Some(secret) => {
                    let flash = Flash {
                        notice: Some(notice),
                        secret: Some(secret.expose().to_owned()),
                    };
                    super::clients::show_page(&app, &admin, &client.id, flash, None).await
                }
                None => admin.done(&item_path("clients", &client.id), notice),
            }
        }
        Err(e) => form_page(&app, &admin, None, v, Some(e)).await,
    }
}

pub(super) async fn edit_form(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Response {
    match app.get_client(&id).await {
        Ok(c) => {
            let view = ClientView::of(&c, None);
            let v = Values::of(&view);
            form_page(&app, &admin, Some(&view), v, None).await
        }
        Err(e) => admin.failure(Section::Clients, &e),
    }
}

/// `POST /admin/clients/{id}`: saves the edit form.
pub(super) async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let admin = post.admin;
    let current = match app.get_client(&id).await {
        Ok(c) => ClientView::of(&c, None),
        Err(e) => return admin.failure(Section::Clients, &e),
    };
    let mut v = Values::from_form(&post.form);
    v.public = current.client_type == "public";
    let result = match v.input(false) {
        Ok(input) => app.update_client(&admin.actor(), &id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => admin.done(
            &item_path("clients", &id),
            format!("Client \"{}\" saved.", c.spec.name),
        ),
        Err(e) => form_page(&app, &admin, Some(&current), v, Some(e)).await,
    }
}
