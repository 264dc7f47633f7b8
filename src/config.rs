//! Configuration of `flowgate serve` (DESIGN §8): flags, then `FLOWGATE_*`
//! environment variables, then an optional TOML file (`--config`), then
//! built-in defaults, in that order of precedence.

use crate::app::Settings;
use clap::Args;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `flowgate serve`. Every flag has a `FLOWGATE_*` variable and
/// a key of the same name (with `_` for `-`) in the TOML file.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML file with any of the options below (lowest precedence).
    #[arg(long, env = "FLOWGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "FLOWGATE_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Database URL [default: sqlite://flowgate.db].
    #[arg(
        long,
        env = "FLOWGATE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Public base URL, the issuer; every published URL derives from it
    /// [default: http://<listen address>].
    #[arg(long, env = "FLOWGATE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Access token lifetime in seconds for clients using the server
    /// default; -1 never expires [default: 3600].
    #[arg(
        long,
        env = "FLOWGATE_ACCESS_TOKEN_LIFETIME",
        value_name = "SECS",
        allow_negative_numbers = true
    )]
    pub access_token_lifetime: Option<i64>,
    /// Largest request body accepted, in bytes [default: 65536].
    #[arg(long, env = "FLOWGATE_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Seconds a validated token or client may be served from memory; bounds
    /// how long changes made by another process (the CLI) go unseen
    /// [default: 10].
    #[arg(long, env = "FLOWGATE_CACHE_TTL", value_name = "SECS")]
    pub cache_ttl: Option<u64>,
    /// Seconds between runs of the janitor that purges expired tokens and
    /// codes; 0 disables it [default: 60].
    #[arg(long, env = "FLOWGATE_JANITOR_INTERVAL", value_name = "SECS")]
    pub janitor_interval: Option<u64>,
    /// Most rows the janitor deletes per batch [default: 1000].
    #[arg(long, env = "FLOWGATE_JANITOR_BATCH", value_name = "ROWS")]
    pub janitor_batch: Option<u32>,
    /// Seconds an authorization code stays redeemable [default: 600].
    #[arg(long, env = "FLOWGATE_AUTH_CODE_LIFETIME", value_name = "SECS")]
    pub auth_code_lifetime: Option<i64>,
    /// Seconds a refresh token lives; 0 means until its grant is revoked
    /// [default: 0].
    #[arg(long, env = "FLOWGATE_REFRESH_TOKEN_LIFETIME", value_name = "SECS")]
    pub refresh_token_lifetime: Option<i64>,
    /// Seconds after a rotation during which the old refresh token gets the
    /// same successor again instead of revoking the grant [default: 0].
    #[arg(long, env = "FLOWGATE_REFRESH_GRACE", value_name = "SECS")]
    pub refresh_grace: Option<i64>,
    /// Seconds a login session lasts [default: 28800].
    #[arg(long, env = "FLOWGATE_SESSION_LIFETIME", value_name = "SECS")]
    pub session_lifetime: Option<i64>,
    /// Title of the login and permissions pages [default: flowgate].
    #[arg(long, env = "FLOWGATE_PAGE_TITLE", value_name = "TEXT")]
    pub page_title: Option<String>,
    /// Logo shown on the pages: an https or data: URL.
    #[arg(long, env = "FLOWGATE_PAGE_LOGO_URL", value_name = "URL")]
    pub page_logo_url: Option<String>,
    /// Header text of the pages [default: Sign in to continue].
    #[arg(long, env = "FLOWGATE_PAGE_HEADER", value_name = "TEXT")]
    pub page_header: Option<String>,
    /// Footer text of the pages [default: Protected by flowgate].
    #[arg(long, env = "FLOWGATE_PAGE_FOOTER", value_name = "TEXT")]
    pub page_footer: Option<String>,
    /// Log filter, e.g. `info` or `flowgate=debug` [default: info].
    #[arg(long, env = "FLOWGATE_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "FLOWGATE_LOG_JSON")]
    pub log_json: bool,
    /// Demo mode: seed a demo client, user, scope and services, serve a
    /// callback page and an echo upstream, and print a walkthrough.
    #[arg(long, env = "FLOWGATE_DEMO")]
    pub demo: bool,
    /// Do not run database migrations on start (run `flowgate migrate`
    /// once per upgrade instead, e.g. before rolling out several nodes).
    #[arg(long, env = "FLOWGATE_NO_MIGRATE")]
    pub no_migrate: bool,
    /// Most database connections this process opens (PostgreSQL; SQLite
    /// uses one writer and four readers).
    #[arg(long, env = "FLOWGATE_DATABASE_MAX_CONNECTIONS", value_name = "N")]
    pub database_max_connections: Option<u32>,
    /// Requests per second per client id, and per source address, at the
    /// token, introspection and revocation endpoints; 0 turns it off
    /// [default: 200, bursts of twice that].
    #[arg(long, env = "FLOWGATE_RATE_LIMIT", value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Sign-in attempts per minute per source address (login page and
    /// console); 0 turns it off [default: 300].
    #[arg(long, env = "FLOWGATE_LOGIN_RATE_LIMIT", value_name = "N")]
    pub login_rate_limit: Option<u32>,
    /// A proxy (address or CIDR) whose X-Forwarded-For and
    /// X-Forwarded-Proto are believed; repeat or comma-separate for several.
    #[arg(
        long = "trusted-proxy",
        env = "FLOWGATE_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// PEM certificate chain: serve HTTPS directly (with --tls-key).
    #[arg(
        long,
        env = "FLOWGATE_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(
        long,
        env = "FLOWGATE_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Refuse plain HTTP at the OAuth endpoints, pages, console, admin API
    /// and gateway, except from loopback [default: true when the public URL
    /// is https].
    #[arg(long, env = "FLOWGATE_REQUIRE_HTTPS", value_name = "BOOL")]
    pub require_https: Option<bool>,
}

/// The TOML file: the same options, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    public_url: Option<String>,
    access_token_lifetime: Option<i64>,
    max_body_bytes: Option<usize>,
    cache_ttl: Option<u64>,
    janitor_interval: Option<u64>,
    janitor_batch: Option<u32>,
    auth_code_lifetime: Option<i64>,
    refresh_token_lifetime: Option<i64>,
    refresh_grace: Option<i64>,
    session_lifetime: Option<i64>,
    page_title: Option<String>,
    page_logo_url: Option<String>,
    page_header: Option<String>,
    page_footer: Option<String>,
    log: Option<String>,
    log_json: Option<bool>,
    demo: Option<bool>,
    no_migrate: Option<bool>,
    database_max_connections: Option<u32>,
    rate_limit: Option<u32>,
    login_rate_limit: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    require_https: Option<bool>,
}

/// Fully resolved configuration of a server.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// Run migrations on start.
    pub migrate: bool,
    /// No public URL was configured: it is derived from the bound address.
    pub public_url_from_listen: bool,
    /// Certificate chain and key files when serving HTTPS directly.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub database_max_connections: u32,
    pub max_body_bytes: usize,
    pub janitor_interval: Duration,
    pub janitor_batch: u32,
    pub log: String,
    pub log_json: bool,
    /// Demo mode (see [`crate::demo`]).
    pub demo: bool,
    /// Password for the `admin` account created on first start.
    pub admin_password: Option<String>,
    pub settings: Settings,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Resolves flags and environment (already merged by clap) over the
    /// TOML file over the defaults, and checks the result.
    pub fn resolve(args: ServeArgs) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            }
            None => FileConfig::default(),
        };
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let tls = match (
            args.tls_cert.clone().or(file.tls_cert.clone()),
            args.tls_key.clone().or(file.tls_key.clone()),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(
                    "tls-cert and tls-key go together".into(),
                ));
            }
        };
        let public_url_from_listen = args.public_url.is_none() && file.public_url.is_none();
        let public_url = args
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| default_public_url(listen, tls.is_some()));
        let serves_tls = tls.is_some();
        let require_https = args
            .require_https
            .or(file.require_https)
            .unwrap_or_else(|| public_url.starts_with("https:"));
        check_public_url(&public_url)?;
        let access_token_lifetime = args
            .access_token_lifetime
            .or(file.access_token_lifetime)
            .unwrap_or(3600);
        if access_token_lifetime == 0
            || !(-1..=crate::domain::client::MAX_LIFETIME).contains(&access_token_lifetime)
        {
            return Err(ConfigError::Invalid(
                "access-token-lifetime must be -1 (never expires) or a positive number of seconds"
                    .into(),
            ));
        }
        let max_body_bytes = args
            .max_body_bytes
            .or(file.max_body_bytes)
            .unwrap_or(64 * 1024);
        if max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "max-body-bytes must be at least 1024".into(),
            ));
        }
        let defaults = Settings::default();
        let seconds =
            |name: &str, v: Option<i64>, default: i64, min: i64| -> Result<i64, ConfigError> {
                let v = v.unwrap_or(default);
                if v < min || v > crate::domain::client::MAX_LIFETIME {
                    return Err(ConfigError::Invalid(format!(
                        "{name} must be {min} to {} seconds",
                        crate::domain::client::MAX_LIFETIME
                    )));
                }
                Ok(v)
            };
        let auth_code_lifetime = seconds(
            "auth-code-lifetime",
            args.auth_code_lifetime.or(file.auth_code_lifetime),
            defaults.auth_code_lifetime,
            1,
        )?;
        let refresh_token_lifetime = seconds(
            "refresh-token-lifetime",
            args.refresh_token_lifetime.or(file.refresh_token_lifetime),
            0,
            0,
        )?;
        let refresh_grace = seconds(
            "refresh-grace",
            args.refresh_grace.or(file.refresh_grace),
            0,
            0,
        )?;
        let session_lifetime = seconds(
            "session-lifetime",
            args.session_lifetime.or(file.session_lifetime),
            defaults.session_lifetime,
            60,
        )?;
        let page_logo_url = args.page_logo_url.or(file.page_logo_url);
        if let Some(logo) = &page_logo_url
            && !(logo.starts_with("https://") || logo.starts_with("data:image/"))
        {
            return Err(ConfigError::Invalid(
                "page-logo-url must be an https:// or data:image/ URL".into(),
            ));
        }
        let proxies = if args.trusted_proxies.is_empty() {
            file.trusted_proxies.clone().unwrap_or_default()
        } else {
            args.trusted_proxies.clone()
        };
        let trusted_proxies = proxies
            .iter()
            .map(|p| parse_proxy(p.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let page_defaults = crate::app::PageSettings::default();
        let pages = crate::app::PageSettings {
            title: args
                .page_title
                .or(file.page_title)
                .unwrap_or(page_defaults.title),
            logo_url: page_logo_url,
            header: args
                .page_header
                .or(file.page_header)
                .unwrap_or(page_defaults.header),
            footer: args
                .page_footer
                .or(file.page_footer)
                .unwrap_or(page_defaults.footer),
        };
        Ok(Config {
            listen,
            database_url: args
                .database_url
                .or(file.database_url)
                .unwrap_or_else(|| "sqlite://flowgate.db".into()),
            tls,
            public_url_from_listen,
            migrate: !(args.no_migrate || file.no_migrate.unwrap_or(false)),
            database_max_connections: args
                .database_max_connections
                .or(file.database_max_connections)
                .unwrap_or(crate::store::DEFAULT_MAX_CONNECTIONS)
                .max(1),
            max_body_bytes,
            janitor_interval: Duration::from_secs(
                args.janitor_interval
                    .or(file.janitor_interval)
                    .unwrap_or(60),
            ),
            janitor_batch: args
                .janitor_batch
                .or(file.janitor_batch)
                .unwrap_or(1000)
                .max(1),
            log: args.log.or(file.log).unwrap_or_else(|| "info".into()),
            log_json: args.log_json || file.log_json.unwrap_or(false),
            demo: args.demo || file.demo.unwrap_or(false),
            admin_password: std::env::var("FLOWGATE_ADMIN_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty()),
            settings: Settings {
                public_url: public_url.trim_end_matches('/').to_owned(),
                access_token_lifetime,
                cache_ttl: args
                    .cache_ttl
                    .or(file.cache_ttl)
                    .map(Duration::from_secs)
                    .unwrap_or(defaults.cache_ttl),
                auth_code_lifetime,
                refresh_token_lifetime: (refresh_token_lifetime > 0)
                    .then_some(refresh_token_lifetime),
                refresh_grace,
                session_lifetime,
                pages,
                limits: crate::limits::LimitSettings {
                    oauth_per_second: args
                        .rate_limit
                        .or(file.rate_limit)
                        .unwrap_or(defaults.limits.oauth_per_second),
                    logins_per_minute: args
                        .login_rate_limit
                        .or(file.login_rate_limit)
                        .unwrap_or(defaults.limits.logins_per_minute),
                },
                trusted_proxies,
                require_https,
                tls: serves_tls,
                ..defaults
            },
        })
    }
}

/// A trusted proxy: an address (one host) or a network in CIDR notation.
fn parse_proxy(s: &str) -> Result<ipnet::IpNet, ConfigError> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            ConfigError::Invalid(format!(
                "trusted-proxy {s:?} is not an address or CIDR network"
            ))
        })
}

/// `http://` plus the listen address, with an unspecified IP replaced by
/// loopback so that the URL is one a browser on this machine can open.
pub fn default_public_url(listen: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    if listen.ip().is_unspecified() {
        format!("{scheme}://127.0.0.1:{}", listen.port())
    } else {
        format!("{scheme}://{listen}")
    }
}

/// The issuer must be an absolute http(s) URL without query or fragment
/// (RFC 8414 §2).
fn check_public_url(s: &str) -> Result<(), ConfigError> {
    let url =
        url::Url::parse(s).map_err(|e| ConfigError::Invalid(format!("public-url {s:?}: {e}")))?;
    // A path would move the metadata to a path-inserted URL (RFC 8414
    // §3.1); flowgate serves it at the root, so the issuer is an origin.
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
        || url.path() != "/"
    {
        return Err(ConfigError::Invalid(format!(
            "public-url {s:?} must be an http(s) origin without path, query or fragment"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::resolve(ServeArgs::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://flowgate.db");
        assert_eq!(c.settings.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.max_body_bytes, 65536);
        assert!(!c.settings.require_https && !c.settings.tls);
    }

    #[test]
    fn https_is_required_by_default_for_an_https_public_url() {
        let c = |public_url: &str, require_https: Option<bool>| {
            Config::resolve(ServeArgs {
                public_url: Some(public_url.into()),
                require_https,
                ..ServeArgs::default()
            })
            .unwrap()
            .settings
            .require_https
        };
        assert!(c("https://auth.example.com", None));
        assert!(!c("https://auth.example.com", Some(false)));
        assert!(!c("http://127.0.0.1:8080", None));
        assert!(c("http://127.0.0.1:8080", Some(true)));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let c = Config::resolve(ServeArgs {
            trusted_proxies: vec!["10.0.0.0/8".into(), "192.0.2.7".into()],
            ..ServeArgs::default()
        })
        .unwrap();
        assert_eq!(c.settings.trusted_proxies.len(), 2);
        let bad = ServeArgs {
            trusted_proxies: vec!["not-an-address".into()],
            ..ServeArgs::default()
        };
        assert!(Config::resolve(bad).is_err());
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fg.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\naccess_token_lifetime = 60\n",
        )
        .unwrap();
        let c = Config::resolve(ServeArgs {
            config: Some(path),
            access_token_lifetime: Some(120),
            ..ServeArgs::default()
        })
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.settings.public_url, "http://127.0.0.1:9000");
        assert_eq!(c.settings.access_token_lifetime, 120);
    }

    #[test]
    fn bad_values_are_refused() {
        let bad = ServeArgs {
            public_url: Some("http://x/?q=1".into()),
            ..ServeArgs::default()
        };
        assert!(Config::resolve(bad).is_err());
        let zero = ServeArgs {
            access_token_lifetime: Some(0),
            ..ServeArgs::default()
        };
        assert!(Config::resolve(zero).is_err());
    }
}
