//! The web console at /admin/: sign-in, CSRF, and every area driven through
//! its forms, with the effects checked at the OAuth endpoints.

mod clients;
mod records;
mod services;

use crate::support::{ADMIN_PASSWORD, REDIRECT_URI, TestServer};
use reqwest::redirect::Policy;

/// A browser: its own cookie jar, redirects not followed.
pub(crate) struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    csrf: String,
    /// The session cookie set at sign-in.
    session: String,
}

impl Browser {
    pub fn new(server: &TestServer) -> Browser {
        Browser::new_at(&server.base)
    }

    /// A browser for the server at `base`.
    pub fn new_at(base: &str) -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            base: base.to_owned(),
            csrf: String::new(),
            session: String::new(),
        }
    }

    /// A browser signed in as `admin`, holding its session's CSRF token.
    pub async fn admin(server: &TestServer) -> Browser {
        let mut b = Browser::new(server);
        let r = b.login("admin", ADMIN_PASSWORD).await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/admin/clients");
        b.session = session_cookie(&r);
        b.csrf = csrf(&b.page("/admin/clients").await);
        b
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        self.http.get(url).send().await.unwrap()
    }

    /// The body of a page that must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        r.text().await.unwrap()
    }

    /// Posts the login form with the CSRF token of the login page.
    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        let token = csrf(&self.page("/admin/login").await);
        let form = [
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ];
        let url = format!("{}/admin/login", self.base);
        self.http.post(url).form(&form).send().await.unwrap()
    }

    /// Posts `form` plus this session's CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut form = form.to_vec();
        form.push(("csrf_token", &self.csrf));
        self.post_raw(path, &form).await
    }

    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        self.http.post(url).form(form).send().await.unwrap()
    }

    /// Posts `form` whose answer shows a secret once: the page itself, not
    /// a redirect (a secret is never kept to show on a later request).
    pub async fn reveal(&self, path: &str, form: &[(&str, &str)]) -> String {
        let r = self.post(path, form).await;
        assert_eq!(r.status(), 200, "POST {path}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        r.text().await.unwrap()
    }

    /// Posts `form` and follows the 303 to the page that shows the result.
    pub async fn submit(&self, path: &str, form: &[(&str, &str)]) -> (String, String) {
        let r = self.post(path, form).await;
        assert_eq!(r.status(), 303, "POST {path}: {}", r.text().await.unwrap());
        let to = location(&r);
        let body = self.page(&to).await;
        (to, body)
    }
}

/// The `fg_admin_session` Set-Cookie header of a response.
pub(crate) fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("fg_admin_session=fgs_"))
        .expect("a session cookie")
        .to_owned()
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// The first CSRF field of a page.
pub(crate) fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a CSRF field")
        + 25;
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

/// The value of the input with `id`, if the page has it.
pub(crate) fn input(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let tag = &html[start..start + html[start..].find('>')?];
    let at = tag.find("value=\"")? + 7;
    Some(tag[at..at + tag[at..].find('"')?].to_owned())
}

/// Text as the templates escape it.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&#34;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A client registered through the register form.
pub(crate) const CLIENT_FORM: [(&str, &str); 8] = [
    ("client_name", "Billing"),
    ("client_version", "2.0"),
    ("description", "Invoices"),
    ("client_type", "confidential"),
    ("redirect_uris", REDIRECT_URI),
    ("lifetime", "seconds"),
    ("lifetime_seconds", "900"),
    ("refresh_count", "0"),
];

#[tokio::test]
async fn console_requires_an_administrator() {
    let server = TestServer::start().await;
    server.user("alice", "alice-password").await;
    let b = Browser::new(&server);
    for path in [
        "/admin",
        "/admin/",
        "/admin/clients",
        "/admin/tokens",
        "/admin/audit",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(location(&r), "/admin/login", "{path}");
    }
    let r = b.post_raw("/admin/scopes", &[("name", "x")]).await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/login".into())
    );

    let r = b.login("admin", "wrong-password").await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<p class=\"error\" role=\"alert\">The user name or password is wrong.</p>")
    );

    let r = b.login("alice", "alice-password").await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(
            "<p class=\"error\" role=\"alert\">This account is not an administrator.</p>"
        )
    );
    assert_eq!(b.get("/admin/clients").await.status(), 303);

    let r = b.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/clients".into())
    );
    let cookie = session_cookie(&r);
    let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
    for a in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin",
        "Max-Age=28800",
    ] {
        assert!(attributes.contains(&a), "{cookie}");
    }
    assert!(!attributes.contains(&"Secure"), "{cookie}");
    for path in ["/admin", "/admin/", "/admin/login"] {
        let r = b.get(path).await;
        assert_eq!(
            (r.status().as_u16(), location(&r)),
            (303, "/admin/clients".into())
        );
    }
    let page = b.page("/admin/clients").await;
    assert!(page.contains("<a href=\"/admin/clients\" aria-current=\"page\">Clients</a>"));
    assert!(page.contains("Signed in as <strong>admin</strong>"));
    server.stop().await;
}

#[tokio::test]
async fn console_forms_need_the_session_csrf_token() {
    let server = TestServer::start().await;
    let b = Browser::new(&server);
    b.page("/admin/login").await;
    let r = b
        .post_raw(
            "/admin/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = b
        .post_raw(
            "/admin/login",
            &[
                ("csrf_token", "forged"),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(b.get("/admin/clients").await.status(), 303);

    let alice = Browser::admin(&server).await;
    let other = Browser::admin(&server).await;
    assert_ne!(alice.csrf, other.csrf);
    let form = [("name", "orders"), ("description", "Orders")];
    let r = alice.post_raw("/admin/scopes", &form).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("This form has expired or did not come from this console.")
    );
    let foreign = [form[0], form[1], ("csrf_token", other.csrf.as_str())];
    assert_eq!(
        alice.post_raw("/admin/scopes", &foreign).await.status(),
        403
    );
    let r = alice
        .post_raw("/admin/logout", &[("csrf_token", "x")])
        .await;
    assert_eq!(r.status(), 403);
    assert!(
        server.app.get_scope("orders").await.is_err(),
        "no change was made"
    );
    assert_eq!(
        alice.get("/admin/clients").await.status(),
        200,
        "still signed in"
    );
    server.stop().await;
}

#[tokio::test]
async fn console_audit_log_and_sign_out() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let mut fields = CLIENT_FORM.to_vec();
    fields.push(("grant_types", "authorization_code"));
    let page = b.reveal("/admin/clients", &fields).await;
    let id = input(&page, "client_id").unwrap();
    let page = b.page("/admin/audit?action=client.create").await;
    let row = format!(
        "<td>admin:admin</td>\n        <td><code>client.create</code></td>\n        <td><code>{id}</code></td>\n        \
         <td><span class=\"badge active\">Success</span></td>"
    );
    assert!(page.contains(&row), "{page}");
    assert_eq!(page.matches("<code>client.create</code>").count(), 1);
    assert!(page.contains(
        "<input id=\"filter_action\" name=\"action\" type=\"text\" value=\"client.create\""
    ));

    let r = b.post("/admin/logout", &[]).await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/login?signed_out=1".into())
    );
    let page = b.page("/admin/login?signed_out=1").await;
    assert!(page.contains("<p class=\"notice\" role=\"status\">You are signed out.</p>"));
    let r = b.get("/admin/clients").await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/login".into())
    );
    // The session itself has ended, not just the browser's cookie.
    let old = b.session.split(';').next().unwrap();
    let r = server
        .http
        .get(server.url("/admin/clients"))
        .header("cookie", old)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/login".into())
    );
    let events = server.app.list_audit(&Default::default()).await.unwrap();
    assert_eq!(events[0].action, "user.logout");
    assert_eq!(events[0].actor, "admin:admin");
    server.stop().await;
}
