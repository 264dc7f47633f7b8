//! A small cookie-keeping "browser" for the authorization pages (DESIGN.md
//! §4), and the `oauth2` client app the flow tests share.
//!
//! It GETs an authorization URL, follows redirects that stay on the server,
//! fills in the login form (`username`, `password` and every hidden input),
//! then answers the permissions form (the `scope` checkboxes it is told to
//! tick, `decision=grant|deny`, the hidden inputs), and stops at the first
//! redirect that leaves the server: the answer to the client.

use crate::support::{REDIRECT_URI, TestClient, TestServer};
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl, TokenUrl};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use std::sync::Arc;

pub const USER: &str = "alice";
pub const PASSWORD: &str = "alice-password-1";
pub const AUTHORIZE_PATH: &str = "/integration/rest/oAuth/authorize";
pub const LOGOUT_PATH: &str = "/integration/rest/oAuth/logout";

/// What to do with a form's `csrf_token` field.
#[derive(Clone, Debug)]
pub enum Csrf {
    Keep,
    Drop,
    Set(String),
}

/// The two pages the browser knows how to fill in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Login,
    Consent,
}

/// How the user answers the pages.
#[derive(Clone, Debug)]
pub struct Flow {
    pub username: String,
    pub password: String,
    pub login_csrf: Csrf,
    pub consent_csrf: Csrf,
    /// The `scope` values to send; `None`: the boxes ticked by default.
    pub scopes: Option<Vec<String>>,
    pub decision: String,
    /// Return this page instead of submitting it.
    pub stop_at: Option<Step>,
}

impl Default for Flow {
    fn default() -> Flow {
        Flow {
            username: USER.into(),
            password: PASSWORD.into(),
            login_csrf: Csrf::Keep,
            consent_csrf: Csrf::Keep,
            scopes: None,
            decision: "grant".into(),
            stop_at: None,
        }
    }
}

impl Flow {
    pub fn tick(mut self, scopes: &[&str]) -> Flow {
        self.scopes = Some(scopes.iter().map(|s| (*s).to_owned()).collect());
        self
    }
    pub fn deny(mut self) -> Flow {
        self.decision = "deny".into();
        self
    }
}

/// An HTML answer of the server.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

/// A form as the page renders it; values already unescaped.
#[derive(Debug, Default)]
pub struct Form {
    pub action: String,
    pub hidden: Vec<(String, String)>,
    /// (name, value, checked) of each checkbox.
    pub checkboxes: Vec<(String, String, bool)>,
    /// Names of the text and password inputs and of the buttons.
    pub fields: Vec<String>,
}

impl Form {
    pub fn hidden(&self, name: &str) -> Option<&str> {
        self.hidden
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    pub fn form(&self) -> Form {
        forms(&self.body)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no form on the page:\n{}", self.body))
    }

    pub fn step(&self) -> Option<Step> {
        let form = forms(&self.body).into_iter().next()?;
        if form.fields.iter().any(|f| f == "password") {
            Some(Step::Login)
        } else if form.fields.iter().any(|f| f == "decision") {
            Some(Step::Consent)
        } else {
            None
        }
    }
}

/// A redirect that leaves the server: the answer to the client.
#[derive(Debug)]
pub struct Callback {
    pub status: u16,
    pub url: url::Url,
    pub query: Vec<(String, String)>,
    pub fragment: Vec<(String, String)>,
}

impl Callback {
    /// A query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        find(&self.query, name)
    }
    /// A fragment parameter.
    pub fn f(&self, name: &str) -> Option<&str> {
        find(&self.fragment, name)
    }
    /// The redirect target without query and fragment.
    pub fn target(&self) -> String {
        let mut u = self.url.clone();
        u.set_query(None);
        u.set_fragment(None);
        u.to_string()
    }
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut hits = pairs.iter().filter(|(n, _)| n == name);
    let hit = hits.next().map(|(_, v)| v.as_str());
    assert!(hits.next().is_none(), "{name} appears twice: {pairs:?}");
    hit
}

#[derive(Debug)]
pub enum End {
    Redirect(Callback),
    Page(Page),
}

/// Where a run through the pages ended, and what it saw on the way.
#[derive(Debug)]
pub struct Trip {
    pub end: End,
    pub steps: Vec<Step>,
    /// Every `Set-Cookie` header received, in order.
    pub set_cookies: Vec<String>,
}

impl Trip {
    pub fn callback(&self) -> &Callback {
        match &self.end {
            End::Redirect(c) => c,
            End::Page(p) => panic!(
                "expected a redirect to the client, got a {} page (steps {:?}):\n{}",
                p.status, self.steps, p.body
            ),
        }
    }

    pub fn page(&self) -> &Page {
        match &self.end {
            End::Page(p) => p,
            End::Redirect(c) => panic!("expected a page, got a redirect to {}", c.url),
        }
    }
}

pub struct Browser {
    pub http: reqwest::Client,
    base: url::Url,
}

impl Browser {
    pub fn new(s: &TestServer) -> Browser {
        Browser::at(&s.base, Arc::default())
    }

    /// A browser for the server at `base` keeping its cookies in `jar`;
    /// browsers sharing a jar are one user agent (cookies ignore ports).
    pub fn at(base: &str, jar: Arc<reqwest::cookie::Jar>) -> Browser {
        let http = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            base: url::Url::parse(base).unwrap(),
        }
    }

    pub async fn get(&self, url: &str, cookies: &mut Vec<String>) -> End {
        self.send(self.http.get(url), cookies).await
    }

    pub async fn post(
        &self,
        url: &str,
        form: &[(String, String)],
        cookies: &mut Vec<String>,
    ) -> End {
        let url = self.base.join(url).unwrap();
        self.send(self.http.post(url).form(form), cookies).await
    }

    /// Sends `request`, following redirects while they stay on the server.
    async fn send(&self, request: reqwest::RequestBuilder, cookies: &mut Vec<String>) -> End {
        let mut r = request.send().await.unwrap();
        loop {
            for c in r.headers().get_all(SET_COOKIE) {
                cookies.push(c.to_str().unwrap().to_owned());
            }
            let status = r.status().as_u16();
            let location = r.headers().get(LOCATION).map(|l| l.to_str().unwrap());
            let Some(location) = location.filter(|_| r.status().is_redirection()) else {
                let headers = r.headers().clone();
                let body = r.text().await.unwrap();
                return End::Page(Page {
                    status,
                    headers,
                    body,
                });
            };
            let next = r.url().join(location).unwrap();
            if next.origin() != self.base.origin() {
                return End::Redirect(Callback {
                    status,
                    query: next.query_pairs().into_owned().collect(),
                    fragment: form_urlencoded::parse(next.fragment().unwrap_or("").as_bytes())
                        .into_owned()
                        .collect(),
                    url: next,
                });
            }
            r = self.http.get(next).send().await.unwrap();
        }
    }

    /// Runs an authorization request through the login and permissions
    /// pages as `flow` says.
    pub async fn authorize(&self, url: &str, flow: &Flow) -> Trip {
        let mut cookies = Vec::new();
        let mut steps = Vec::new();
        let mut end = self.get(url, &mut cookies).await;
        while let End::Page(page) = &end {
            let Some(step) = page.step() else { break };
            // Each page is submitted once: a second login page is an answer.
            if steps.contains(&step) || flow.stop_at == Some(step) {
                steps.push(step);
                break;
            }
            steps.push(step);
            let form = page.form();
            let mut fields = with_csrf(
                &form.hidden,
                match step {
                    Step::Login => &flow.login_csrf,
                    Step::Consent => &flow.consent_csrf,
                },
            );
            match step {
                Step::Login => {
                    fields.push(("username".into(), flow.username.clone()));
                    fields.push(("password".into(), flow.password.clone()));
                }
                Step::Consent => {
                    let ticked: Vec<String> = match &flow.scopes {
                        Some(s) => s.clone(),
                        None => form
                            .checkboxes
                            .iter()
                            .filter(|(n, _, checked)| n == "scope" && *checked)
                            .map(|(_, v, _)| v.clone())
                            .collect(),
                    };
                    fields.extend(ticked.into_iter().map(|v| ("scope".to_owned(), v)));
                    fields.push(("decision".into(), flow.decision.clone()));
                }
            }
            end = self.post(&form.action, &fields, &mut cookies).await;
        }
        Trip {
            end,
            steps,
            set_cookies: cookies,
        }
    }
}

fn with_csrf(hidden: &[(String, String)], csrf: &Csrf) -> Vec<(String, String)> {
    let mut fields: Vec<_> = hidden
        .iter()
        .filter(|(n, _)| n != "csrf_token" || matches!(csrf, Csrf::Keep))
        .cloned()
        .collect();
    if let Csrf::Set(v) = csrf {
        fields.push(("csrf_token".into(), v.clone()));
    }
    fields
}

/// The forms of `html`, read with a small tag scanner.
pub fn forms(html: &str) -> Vec<Form> {
    let mut out: Vec<Form> = Vec::new();
    let mut open = false;
    for (name, attrs) in tags(html) {
        let attr = |a: &str| {
            attrs
                .iter()
                .find(|(n, _)| n == a)
                .map(|(_, v)| v.clone().unwrap_or_default())
        };
        match name.as_str() {
            "form" => {
                open = true;
                out.push(Form {
                    action: attr("action").unwrap_or_default(),
                    ..Form::default()
                });
            }
            "/form" => open = false,
            "input" | "button" if open => {
                let form = out.last_mut().unwrap();
                let (Some(n), value) = (attr("name"), attr("value").unwrap_or_default()) else {
                    continue;
                };
                match attr("type").as_deref() {
                    Some("hidden") => form.hidden.push((n, value)),
                    Some("checkbox") => form.checkboxes.push((n, value, attr("checked").is_some())),
                    _ => form.fields.push(n),
                }
            }
            _ => {}
        }
    }
    out
}

pub(crate) type Tag = (String, Vec<(String, Option<String>)>);

/// Start and end tags with their attributes (names lower-cased, values
/// unescaped); comments and doctype skipped.
pub(crate) fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(lt) = html[i..].find('<').map(|p| p + i) {
        i = lt + 1;
        if b.get(i) == Some(&b'!') {
            i = html[i..].find('>').map_or(b.len(), |p| p + i + 1);
            continue;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'/') {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let s = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !b"=>/".contains(&b[i]) {
                i += 1;
            }
            let attr = html[s..i].to_ascii_lowercase();
            if b.get(i) != Some(&b'=') {
                attrs.push((attr, None));
                continue;
            }
            i += 1;
            let value = if let Some(q) = b.get(i).filter(|c| **c == b'"' || **c == b'\'') {
                let end = html[i + 1..]
                    .find(*q as char)
                    .map_or(b.len(), |p| p + i + 1);
                let v = &html[i + 1..end];
                i = end + 1;
                v
            } else {
                let s = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                &html[s..i]
            };
            attrs.push((attr, Some(unescape(value))));
        }
        if !name.is_empty() {
            out.push((name, attrs));
        }
    }
    out
}

/// Undoes HTML escaping: `&amp; &lt; &gt; &quot; &apos;` and numeric
/// references (askama writes `&#38;`, `&#60;`, `&#39;`, ...).
pub fn unescape(s: &str) -> String {
    let mut parts = s.split('&');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        match part
            .split_once(';')
            .and_then(|(e, rest)| Some((entity(e)?, rest)))
        {
            Some((c, rest)) => {
                out.push(c);
                out.push_str(rest);
            }
            None => {
                out.push('&');
                out.push_str(part);
            }
        }
    }
    out
}

fn entity(e: &str) -> Option<char> {
    let named = [
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
        ("apos", '\''),
    ];
    if let Some((_, c)) = named.iter().find(|(n, _)| *n == e) {
        return Some(*c);
    }
    let n = e.strip_prefix('#')?;
    let code = match n.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => n.parse().ok()?,
    };
    char::from_u32(code)
}

/// The authorization endpoint URL with `params` in its query.
pub fn authorize_url(s: &TestServer, params: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    s.url(&format!("{AUTHORIZE_PATH}?{query}"))
}

/// The `oauth2` crate set up as `c` (with its secret, if it has one).
pub type OAuthApp =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub fn oauth_app(s: &TestServer, c: &TestClient) -> OAuthApp {
    let app = BasicClient::new(ClientId::new(c.id.clone()))
        .set_auth_uri(AuthUrl::new(s.url(AUTHORIZE_PATH)).unwrap())
        .set_token_uri(TokenUrl::new(s.token_url()).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    match &c.secret {
        Some(secret) => app.set_client_secret(ClientSecret::new(secret.clone())),
        None => app,
    }
}
