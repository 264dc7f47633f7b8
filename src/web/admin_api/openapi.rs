//! The OpenAPI 3.1 document: its frame (info, security schemes, shared
//! error responses), the create-body schemas, and the route serving it.

use super::PREFIX;
use crate::app::App;
use crate::domain::{ClientInput, ScopeInput, UserInput};
use crate::service::ServiceInput;
use axum::Extension;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;
use std::sync::Arc;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response as DocResponse, ResponseBuilder};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Doc, Ref, RefOr};
use utoipa::{Modify, OpenApi, PartialSchema, ToResponse, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "flowgate admin API",
        description = "Clients, scopes, services, users, tokens and the audit log of a flowgate \
            authorization server. Authenticate with HTTP Basic as an administrator, or \
            with a bearer token carrying the `admin` scope. Errors are RFC 9457 problem \
            details (`application/problem+json`); a validation error names its `field` \
            and the `rule` it broke."
    ),
    components(schemas(ProblemDetails)),
    modifiers(&Frame),
    security(("basic" = []), ("bearer" = ["admin"])),
    tags(
        (name = "clients", description = "Client applications"),
        (name = "scopes", description = "Scopes and the services they grant"),
        (name = "services", description = "REST APIs and flows the gateway protects, by path"),
        (name = "users", description = "Resource owners and administrators"),
        (name = "tokens", description = "Access tokens, including \"Add New Token\""),
        (name = "audit", description = "Who changed what, newest first"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// An error as RFC 9457 problem details (`application/problem+json`).
#[derive(ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)] // documentation only; `reply::Problem` writes the body
struct ProblemDetails {
    /// Always `about:blank`.
    #[schema(rename = "type", example = "about:blank")]
    kind: String,
    #[schema(example = "Validation failed")]
    title: String,
    #[schema(example = 422)]
    status: u16,
    #[schema(example = "client_name: must not contain ':'")]
    detail: String,
    /// The request field that broke a rule (validation errors).
    field: Option<String>,
    /// The rule it broke (validation errors).
    rule: Option<String>,
}

/// Declares the shared error responses: a marker type per response for
/// `#[utoipa::path(responses((status = 404, response = NotFound)))]`, and
/// the table [`Frame`] registers them from.
macro_rules! errors {
    ($($name:ident = $status:literal, $description:literal;)*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<DocResponse>) {
                    (stringify!($name), RefOr::T(problem($description, $status == "401")))
                }
            }
        )*

        /// `(status, component name, response)` of every shared error.
        fn errors() -> Vec<(&'static str, &'static str, RefOr<DocResponse>)> {
            vec![$(($status, stringify!($name), <$name as ToResponse>::response().1)),*]
        }
    };
}

errors! {
    BadRequest = "400", "Malformed JSON or query string";
    Unauthorized = "401", "No, wrong or inactive credentials; see `WWW-Authenticate`";
    Forbidden = "403", "Not an administrator, or a token without the `admin` scope";
    NotFound = "404", "No such record";
    Conflict = "409", "Clashes with an existing record";
    PayloadTooLarge = "413", "The body is larger than the server accepts";
    UnsupportedMediaType = "415", "The body is not application/json";
    ValidationFailed = "422", "A field broke a rule; `field` and `rule` say which";
    Unavailable = "503", "The store cannot be reached; retry later";
}

fn problem(description: &str, challenge: bool) -> DocResponse {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    if challenge {
        response = response.header(
            "WWW-Authenticate",
            utoipa::openapi::header::Header::new(String::schema()),
        );
    }
    response.build()
}

/// Adds the security schemes and the shared error responses.
struct Frame;

impl Modify for Frame {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("An administrator's user name and password"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An access token from the token endpoint carrying the `admin` scope",
                    ))
                    .build(),
            ),
        );
        for (_, name, response) in errors() {
            components.responses.insert(name.to_owned(), response);
        }
    }
}

fn error_ref(status: &str) -> Option<RefOr<DocResponse>> {
    errors()
        .into_iter()
        .find(|(s, _, _)| *s == status)
        .map(|(_, name, _)| RefOr::Ref(Ref::from_response_name(name)))
}

/// Nests the handlers' paths under [`PREFIX`] in the frame and gives every
/// protected operation the errors any of them can answer: 400, 401, 403
/// and 503, plus 413 and 422 when it takes a body (and 415 when the body
/// is required). Wildcard segments are written as plain parameters.
pub fn finish(mut paths: Doc) -> Doc {
    // Wildcards (`{*path}`) are axum syntax; OpenAPI names the parameter.
    paths.paths.paths = std::mem::take(&mut paths.paths.paths)
        .into_iter()
        .map(|(path, item)| (path.replace("{*", "{"), item))
        .collect();
    let mut doc = ApiDoc::openapi().nest(PREFIX, paths);
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            add_errors(op);
        }
    }
    doc
}

fn add_errors(op: &mut Operation) {
    let public = op
        .security
        .as_ref()
        .is_some_and(|s| s.iter().all(|r| *r == Default::default()));
    if public {
        return;
    }
    let mut statuses = vec!["400", "401", "403", "503"];
    if let Some(body) = &op.request_body {
        statuses.extend(["413", "422"]);
        if body.required == Some(utoipa::openapi::Required::True) {
            statuses.push("415");
        }
    }
    for status in statuses {
        if let Some(r) = error_ref(status) {
            op.responses.responses.entry(status.to_owned()).or_insert(r);
        }
    }
}

/// The body of a create request: the update body with `required` fields.
macro_rules! create_body {
    ($name:ident, $base:ty, $doc:literal, [$($field:literal),*]) => {
        #[doc = $doc]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                require(<$base>::schema(), $doc, &[$($field),*])
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }

            fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
                <$base>::schemas(out);
            }
        }
    };
}

create_body!(
    NewClient,
    ClientInput,
    "A client to register.",
    ["client_name"]
);
create_body!(NewScope, ScopeInput, "A scope to register.", ["name"]);
create_body!(
    NewService,
    ServiceInput,
    "A service to register.",
    ["path", "kind"]
);
create_body!(
    NewUser,
    UserInput,
    "A user to create.",
    ["username", "password"]
);

/// `schema` with `fields` required and no longer nullable.
fn require(schema: RefOr<Schema>, description: &str, fields: &[&str]) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = schema else {
        return schema;
    };
    object.description = Some(description.to_owned());
    for field in fields {
        object.required.push((*field).to_owned());
        if let Some(RefOr::T(Schema::Object(p))) = object.properties.get_mut(*field)
            && let SchemaType::Array(types) = &p.schema_type
        {
            let kept: Vec<Type> = types
                .iter()
                .filter(|t| **t != Type::Null)
                .cloned()
                .collect();
            if let [only] = kept.as_slice() {
                p.schema_type = SchemaType::Type(only.clone());
            }
        }
    }
    RefOr::T(Schema::Object(object))
}

/// The serialized document, built once when the routes are.
#[derive(Clone)]
pub struct Document(pub Arc<str>);

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This OpenAPI document; readable without credentials.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
async fn openapi_json(Extension(doc): Extension<Document>) -> Response {
    if doc.0.is_empty() {
        return super::Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the OpenAPI document is unavailable",
        )
        .into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.0.to_string(),
    )
        .into_response()
}
