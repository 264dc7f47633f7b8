//! The authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636) driven
//! through the real login and permissions pages (DESIGN.md §4) by headless
//! Chromium over WebDriver, then redeemed with the `oauth2` crate.
//!
//! Needs `/usr/bin/chromium` and `chromedriver` (Debian: `apt-get install
//! chromium chromium-driver`). Without them the test is skipped, except when
//! `CI=true`, where it fails: CI installs both.

use crate::support::TestServer;
use fantoccini::{Client, ClientBuilder, Locator};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    TokenResponse, TokenUrl,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const CHROMIUM: &str = "/usr/bin/chromium";
const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn authorization_code_with_pkce_in_a_real_browser_rfc6749_4_1() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let s = TestServer::start().await;
    let mut callback = Callback::start().await;
    let redirect_uri = format!("http://127.0.0.1:{}/cb", callback.port);
    let c = s
        .client(json!({
            "client_name": "Browser Test App",
            "grant_types": ["authorization_code"],
            "scope": "read write profile",
            "redirect_uris": [redirect_uri],
        }))
        .await;
    s.user("alice", "correct horse battery").await;

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    let auth_url = s.url(&format!(
        "/integration/rest/oAuth/authorize?response_type=code&client_id={}&redirect_uri={}\
         &scope=read%20write&state={}&code_challenge={}&code_challenge_method=S256",
        enc(&c.id),
        enc(&redirect_uri),
        enc(state.secret()),
        enc(challenge.as_str()),
    ));

    let b = driver.session().await;
    let page = Page { b: &b };
    b.goto(&auth_url).await.unwrap();

    // Login page (DESIGN.md §4): `username`, `password`, a CSRF token.
    let username = page
        .wait_for("input[name=username]", "the login form")
        .await;
    let login = page.form_of(&username, "the login form").await;
    page.expect_csrf_field(&login, "the login form").await;
    username.send_keys("alice").await.unwrap();
    let password = page
        .find_in(&login, "input[name=password]", "the password field")
        .await;
    assert_eq!(
        password.attr("type").await.unwrap().as_deref(),
        Some("password"),
        "the password field must not echo\n{}",
        page.dump().await
    );
    password.send_keys("correct horse battery").await.unwrap();
    page.find_in(
        &login,
        "button:not([type=button]):not([type=reset]), input[type=submit]",
        "the login submit button",
    )
    .await
    .click()
    .await
    .unwrap();

    // Permissions page: the client's name, each requested scope with its
    // description as a ticked checkbox named `scope`, Grant Access / Deny.
    let first_box = page
        .wait_for("input[type=checkbox][name=scope]", "the permissions page")
        .await;
    let consent = page.form_of(&first_box, "the permissions form").await;
    page.expect_csrf_field(&consent, "the permissions form")
        .await;
    let mut offered = Vec::new();
    for cb in consent
        .find_all(Locator::Css("input[type=checkbox][name=scope]"))
        .await
        .unwrap()
    {
        let value = cb.attr("value").await.unwrap().unwrap_or_default();
        assert!(
            cb.is_selected().await.unwrap(),
            "scope {value} must be ticked by default\n{}",
            page.dump().await
        );
        offered.push(value);
    }
    offered.sort();
    assert_eq!(
        offered,
        ["read", "write"],
        "exactly the requested scopes are offered\n{}",
        page.dump().await
    );
    let text = b
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in ["Browser Test App", "Read your orders", "Change your orders"] {
        assert!(
            text.contains(shown),
            "the permissions page must show {shown:?}\n{}",
            page.dump().await
        );
    }
    assert!(
        !text.contains("See your profile"),
        "a scope that was not requested is not offered\n{}",
        page.dump().await
    );
    let deny = page
        .find_in(
            &consent,
            "[name=decision][value=deny]",
            "the Deny button (name=decision value=deny)",
        )
        .await;
    assert_eq!(page.label_of(&deny).await, "Deny", "{}", page.dump().await);
    let grant = page
        .find_in(
            &consent,
            "[name=decision][value=grant]",
            "the Grant Access button (name=decision value=grant)",
        )
        .await;
    assert_eq!(
        page.label_of(&grant).await,
        "Grant Access",
        "{}",
        page.dump().await
    );

    // Untick `write`, grant the rest.
    let write = page
        .find_in(
            &consent,
            "input[type=checkbox][name=scope][value=write]",
            "the write checkbox",
        )
        .await;
    page.toggle(&write).await;
    assert!(
        !write.is_selected().await.unwrap(),
        "write must be unticked after a click\n{}",
        page.dump().await
    );
    grant.click().await.unwrap();

    // The browser lands on the client's redirect URI with code and state.
    let query = match callback.wait_for("/cb", WAIT).await {
        Some(q) => q,
        None => panic!(
            "the browser never reached {redirect_uri} after Grant Access (seen: {:?})\n{}",
            callback.seen(),
            page.dump().await
        ),
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(param("error"), None, "callback query: {query}");
    assert_eq!(
        param("state").as_deref(),
        Some(state.secret().as_str()),
        "state must round-trip (RFC 6749 §4.1.2); callback query: {query}"
    );
    let code = param("code").unwrap_or_else(|| panic!("no code in callback query: {query}"));
    assert!(!code.is_empty(), "callback query: {query}");
    let landed = b.current_url().await.unwrap();
    assert_eq!(
        landed.as_str().split('?').next(),
        Some(redirect_uri.as_str()),
        "the browser ends on the redirect URI"
    );
    b.close().await.unwrap();

    // Redeem the code with an independent client library.
    let token = BasicClient::new(ClientId::new(c.id.clone()))
        .set_client_secret(ClientSecret::new(c.secret.clone().unwrap()))
        .set_token_uri(TokenUrl::new(s.token_url()).unwrap())
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .set_redirect_uri(Cow::Owned(RedirectUrl::new(redirect_uri.clone()).unwrap()))
        .request_async(&s.http)
        .await
        .unwrap();
    let scopes: Vec<String> = token
        .scopes()
        .expect("the token response carries scope (DESIGN.md §3)")
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["read"], "the granted scope is what was ticked");
    let info = s.introspect(&c, token.access_token().secret()).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["scope"], "read", "{info}");
    assert_eq!(info["client_id"], c.id.as_str(), "{info}");
    assert_eq!(info["username"], "alice", "{info}");
    s.stop().await;
}

/// Everything but RFC 3986 unreserved characters is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(v: &str) -> String {
    utf8_percent_encode(v, QUERY_VALUE).to_string()
}

/// Page helpers that put the page's URL and source into every failure.
struct Page<'a> {
    b: &'a Client,
}

impl Page<'_> {
    async fn dump(&self) -> String {
        let url = match self.b.current_url().await {
            Ok(u) => u.to_string(),
            Err(e) => format!("<no url: {e}>"),
        };
        let source = self
            .b
            .source()
            .await
            .unwrap_or_else(|e| format!("<no source: {e}>"));
        format!("--- page at {url} ---\n{source}\n--- end of page ---")
    }

    async fn wait_for(&self, css: &str, what: &str) -> fantoccini::elements::Element {
        match self
            .b
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("{what}: no `{css}` ({e})\n{}", self.dump().await),
        }
    }

    async fn find_in(
        &self,
        scope: &fantoccini::elements::Element,
        css: &str,
        what: &str,
    ) -> fantoccini::elements::Element {
        match scope.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!("{what}: no `{css}` ({e})\n{}", self.dump().await),
        }
    }

    async fn form_of(
        &self,
        field: &fantoccini::elements::Element,
        what: &str,
    ) -> fantoccini::elements::Element {
        match field.find(Locator::XPath("./ancestor::form")).await {
            Ok(e) => e,
            Err(e) => panic!(
                "{what}: field is not inside a <form> ({e})\n{}",
                self.dump().await
            ),
        }
    }

    /// Every form carries a CSRF token (DESIGN.md §4): a hidden, non-empty field.
    async fn expect_csrf_field(&self, form: &fantoccini::elements::Element, what: &str) {
        for hidden in form
            .find_all(Locator::Css("input[type=hidden]"))
            .await
            .unwrap()
        {
            if hidden
                .attr("value")
                .await
                .unwrap()
                .is_some_and(|v| !v.is_empty())
            {
                return;
            }
        }
        panic!("{what}: no hidden CSRF field\n{}", self.dump().await);
    }

    /// The visible label of a `<button>` or `<input type=submit>`.
    async fn label_of(&self, button: &fantoccini::elements::Element) -> String {
        let label = if button
            .tag_name()
            .await
            .unwrap()
            .eq_ignore_ascii_case("input")
        {
            button.attr("value").await.unwrap().unwrap_or_default()
        } else {
            button.text().await.unwrap()
        };
        label.trim().to_owned()
    }

    /// Clicks a checkbox as a user would: the box itself, or its label when
    /// the page styles the box out of the way.
    async fn toggle(&self, checkbox: &fantoccini::elements::Element) {
        if checkbox.click().await.is_ok() {
            return;
        }
        let label = match checkbox.attr("id").await.unwrap() {
            Some(id) => self
                .b
                .find(Locator::XPath(&format!("//label[@for='{id}']")))
                .await
                .ok(),
            None => None,
        };
        let label = match label {
            Some(l) => Some(l),
            None => checkbox
                .find(Locator::XPath("./ancestor::label"))
                .await
                .ok(),
        };
        match label {
            Some(l) => l.click().await.unwrap(),
            None => panic!(
                "cannot click the checkbox nor a label for it\n{}",
                self.dump().await
            ),
        }
    }
}

/// A chromedriver child process in its own process group; the whole group
/// (chromedriver and the Chromium it launched) is killed on drop.
struct ChromeDriver {
    child: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl ChromeDriver {
    /// Starts chromedriver, or returns `None` (skip) when Chromium or
    /// chromedriver is missing outside CI.
    async fn start() -> Option<ChromeDriver> {
        let driver = find_in_path("chromedriver");
        let (true, Some(driver)) = (Path::new(CHROMIUM).exists(), driver) else {
            let msg = "skipping browser test: chromium/chromedriver not installed \
                       (apt-get install chromium chromium-driver)";
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{msg}; CI must install them (.ci/run)");
            }
            eprintln!("{msg}");
            return None;
        };
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = {
            use std::os::unix::process::CommandExt;
            Command::new(driver)
                .arg(format!("--port={port}"))
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        };
        let me = ChromeDriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile: tempfile::tempdir().unwrap(),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = match http.get(format!("{}/status", me.url)).send().await {
                Ok(r) => r
                    .json::<serde_json::Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return Some(me);
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A new headless Chromium session with a fresh profile.
    async fn session(&self) -> Client {
        let profile = format!("--user-data-dir={}", self.profile.path().display());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    profile,
                ],
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot start headless Chromium via chromedriver: {e}"))
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // Negative pid: the process group chromedriver leads (it was spawned
        // with process_group(0)), so Chromium goes too.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The client's redirect target: a tiny HTTP server answering every GET
/// with 200 "ok" and recording each request target.
struct Callback {
    port: u16,
    rx: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
    task: tokio::task::JoinHandle<()>,
}

impl Callback {
    async fn start() -> Callback {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf);
                    let line = head.lines().next().unwrap_or_default();
                    if let Some(target) = line.split(' ').nth(1) {
                        let _ = tx.send(target.to_owned());
                    }
                    let _ = sock
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\
                              content-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Callback {
            port,
            rx,
            seen: Vec::new(),
            task,
        }
    }

    /// The query string of the first request to `path`, if one comes in time.
    async fn wait_for(&mut self, path: &str, within: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let target = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .ok()??;
            self.seen.push(target.clone());
            let (p, q) = target.split_once('?').unwrap_or((&target, ""));
            if p == path {
                return Some(q.to_owned());
            }
        }
    }

    fn seen(&self) -> &[String] {
        &self.seen
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        self.task.abort();
    }
}
