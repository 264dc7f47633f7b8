//! Pieces every console page is built from: the navigation chrome, paging,
//! links to records, times, and the shared message and confirmation pages.

use super::BASE;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

/// The sections of the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Clients,
    Scopes,
    Users,
    Services,
    Tokens,
    Audit,
}

impl Section {
    /// The section a request path belongs to.
    pub fn of_path(path: &str) -> Section {
        let area = path
            .trim_start_matches(BASE)
            .trim_start_matches('/')
            .split('/')
            .next();
        match area {
            Some("scopes") => Section::Scopes,
            Some("users") => Section::Users,
            Some("services") => Section::Services,
            Some("tokens") => Section::Tokens,
            Some("audit") => Section::Audit,
            _ => Section::Clients,
        }
    }
}

/// What every console page shows around its content: the navigation, the
/// signed-in administrator, the sign-out form and a notice.
pub struct Chrome {
    pub username: String,
    pub csrf: String,
    pub section: Section,
    pub notice: Option<String>,
}

impl Chrome {
    /// (href, label, current) of each navigation link.
    pub fn links(&self) -> Vec<(&'static str, &'static str, bool)> {
        [
            ("/admin/clients", "Clients", Section::Clients),
            ("/admin/scopes", "Scopes", Section::Scopes),
            ("/admin/users", "Users", Section::Users),
            ("/admin/services", "Services", Section::Services),
            ("/admin/tokens", "Tokens", Section::Tokens),
            ("/admin/audit", "Audit log", Section::Audit),
        ]
        .into_iter()
        .map(|(href, label, s)| (href, label, s == self.section))
        .collect()
    }

    /// The list page of the current section.
    pub fn home(&self) -> &'static str {
        self.current().0
    }

    /// The name of the current section.
    pub fn home_label(&self) -> &'static str {
        self.current().1
    }

    fn current(&self) -> (&'static str, &'static str) {
        self.links()
            .into_iter()
            .find(|l| l.2)
            .map_or(("/admin/clients", "Clients"), |l| (l.0, l.1))
    }
}

/// Rows per page of a list.
pub const PAGE: u32 = 100;

/// The `offset` query parameter of a paged list.
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub offset: u32,
}

/// Links to the previous and next page of a list.
pub struct Pager {
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Links around the page at `offset` of `path` with the (non-empty)
    /// `query` parameters kept; `more` when a further page exists.
    pub fn new(path: &str, query: &[(&str, &str)], offset: u32, more: bool) -> Pager {
        let link = |offset: u32| {
            let offset = if offset > 0 {
                offset.to_string()
            } else {
                String::new()
            };
            with_query(path, &[query, &[("offset", offset.as_str())]].concat())
        };
        Pager {
            prev: (offset > 0).then(|| link(offset.saturating_sub(PAGE))),
            next: more.then(|| link(offset.saturating_add(PAGE))),
        }
    }
}

/// `path` with the non-empty `query` parameters.
pub fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    let q = q.finish();
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

/// Keeps the first [`PAGE`] rows of a page fetched with one extra row;
/// tells whether there were more.
pub fn page_of<T>(rows: &mut Vec<T>) -> bool {
    let more = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);
    more
}

/// Characters escaped in a path segment built from a name.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `/admin/{area}/{name}` with `name` percent-encoded.
pub fn item_path(area: &str, name: &str) -> String {
    format!("{BASE}/{area}/{}", utf8_percent_encode(name, SEGMENT))
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn when(t: i64) -> String {
    match cookie::time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        ),
        Err(_) => t.to_string(),
    }
}

#[derive(askama::Template)]
#[template(path = "console/message.html")]
pub struct MessagePage<'a> {
    pub chrome: Chrome,
    pub heading: &'a str,
    pub message: &'a str,
    pub is_error: bool,
}

/// A page asking to confirm a deletion.
#[derive(askama::Template)]
#[template(path = "console/confirm.html")]
pub struct ConfirmPage<'a> {
    pub chrome: Chrome,
    pub heading: &'a str,
    pub message: &'a str,
    pub action: String,
    pub button: &'a str,
    pub cancel: String,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(when(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }

    #[test]
    fn names_are_escaped_in_paths() {
        assert_eq!(item_path("scopes", "a?b#c%"), "/admin/scopes/a%3Fb%23c%25");
        assert_eq!(item_path("users", "jo.e-x_y"), "/admin/users/jo.e-x_y");
    }

    #[test]
    fn pagers_keep_the_filter() {
        let p = Pager::new(
            "/admin/tokens",
            &[("state", "active"), ("username", "")],
            100,
            true,
        );
        assert_eq!(p.prev.as_deref(), Some("/admin/tokens?state=active"));
        assert_eq!(
            p.next.as_deref(),
            Some("/admin/tokens?state=active&offset=200")
        );
    }
}
