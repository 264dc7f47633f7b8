//! The running authority's shared state: the store, the in-memory caches in
//! front of it, and the settings. The protocol layer ([`crate::oauth`]) and
//! the administration layer ([`crate::service`]) are `impl App` blocks over
//! this one value, so a rule or a cache invalidation lives in one place.

use crate::domain::{AccessToken, Client, NewAuditEvent, Scope, TokenId, now};
use crate::snapshot::Snapshot;
use crate::store::{Change, Store, StoreResult};
use moka::sync::Cache;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Tunables of the authority, resolved from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The issuer: every URL flowgate prints or publishes derives from it.
    pub public_url: String,
    /// Access token lifetime for clients that use the server default;
    /// negative means never expires.
    pub access_token_lifetime: i64,
    /// How long a validated token or a client may be served from memory
    /// before the store is asked again. Changes made through this server are
    /// applied to the caches at once; the TTL bounds how long a change made
    /// by another process (the CLI) can go unseen.
    pub cache_ttl: Duration,
    /// Most validated tokens kept in memory.
    pub token_cache_capacity: u64,
    /// Seconds an authorization code stays redeemable.
    pub auth_code_lifetime: i64,
    /// Seconds a refresh token lives; `None` until its family ends.
    pub refresh_token_lifetime: Option<i64>,
    /// Seconds after a rotation during which the rotated-out refresh token
    /// gets the same successor again instead of revoking the family.
    pub refresh_grace: i64,
    /// Seconds a login session lasts.
    pub session_lifetime: i64,
    /// Branding of the login and permissions pages.
    pub pages: PageSettings,
    /// Rate limits and sign-in backoff.
    pub limits: crate::limits::LimitSettings,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Whether flowgate itself terminates TLS.
    pub tls: bool,
    /// Refuse plain HTTP except from loopback (see `web::source`).
    pub require_https: bool,
}

/// Title, logo, header and footer of the login and permissions pages.
#[derive(Debug, Clone)]
pub struct PageSettings {
    pub title: String,
    /// URL of a logo image (https or a data: URL), if any.
    pub logo_url: Option<String>,
    pub header: String,
    pub footer: String,
}

impl Default for PageSettings {
    fn default() -> Self {
        PageSettings {
            title: "flowgate".into(),
            logo_url: None,
            header: "Sign in to continue".into(),
            footer: "Protected by flowgate".into(),
        }
    }
}

impl Settings {
    /// Cookies get `Secure` when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https:")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".into(),
            access_token_lifetime: 3600,
            cache_ttl: Duration::from_secs(10),
            token_cache_capacity: 200_000,
            auth_code_lifetime: 600,
            refresh_token_lifetime: None,
            refresh_grace: 0,
            session_lifetime: 8 * 3600,
            pages: PageSettings::default(),
            limits: crate::limits::LimitSettings::default(),
            trusted_proxies: Vec::new(),
            tls: false,
            require_https: false,
        }
    }
}

/// Shared state of one flowgate process. Cheap to clone behind an `Arc`.
pub struct App {
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    /// The protected-service gateway: its HTTP client and its caches.
    pub gateway: crate::gateway::Gateway,
    /// Rate limits and sign-in backoff of this process.
    pub limiter: crate::limits::Limiter,
    clients: Cache<String, Arc<Client>>,
    tokens: Cache<TokenId, Arc<AccessToken>>,
    scopes: Snapshot<BTreeMap<String, Scope>>,
    /// Bumped by every invalidation. A record read from the store is cached
    /// only if no invalidation happened while it was read, so a revocation
    /// racing with a cache fill cannot bring the old record back.
    generation: AtomicU64,
}

impl App {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> App {
        let ttl = settings.cache_ttl;
        App {
            clients: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
            tokens: Cache::builder()
                .max_capacity(settings.token_cache_capacity)
                .time_to_live(ttl)
                .build(),
            scopes: Snapshot::new(ttl),
            gateway: crate::gateway::Gateway::new(ttl),
            limiter: crate::limits::Limiter::new(&settings.limits),
            store,
            settings,
            generation: AtomicU64::new(0),
        }
    }

    /// A client by id, from memory when possible.
    pub async fn client(&self, id: &str) -> StoreResult<Option<Arc<Client>>> {
        if let Some(c) = self.clients.get(id) {
            return Ok(Some(c));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let found = self.store.get_client(id).await?.map(Arc::new);
        if let Some(c) = &found {
            self.cache_if_unchanged(&self.clients, generation, id.to_owned(), c.clone());
        }
        Ok(found)
    }

    /// Every registered scope by name, from memory when possible.
    pub async fn scopes(&self) -> StoreResult<Arc<BTreeMap<String, Scope>>> {
        if let Some(s) = self.scopes.get() {
            return Ok(s);
        }
        let generation = self.scopes.generation();
        let all: BTreeMap<_, _> = self
            .store
            .list_scopes()
            .await?
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        let all = Arc::new(all);
        self.scopes.fill(generation, all.clone());
        Ok(all)
    }

    /// An access token record by id, from memory when possible.
    pub(crate) async fn access_token_record(
        &self,
        id: &TokenId,
    ) -> StoreResult<Option<Arc<AccessToken>>> {
        if let Some(t) = self.tokens.get(id) {
            return Ok(Some(t));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let found = self.store.get_access_token(id).await?.map(Arc::new);
        if let Some(t) = &found {
            self.cache_if_unchanged(&self.tokens, generation, *id, t.clone());
        }
        Ok(found)
    }

    /// Caches `value` unless an invalidation happened since `generation`
    /// was read; re-checks afterwards and takes it out again if one slipped
    /// in meanwhile.
    fn cache_if_unchanged<K, V>(&self, cache: &Cache<K, V>, generation: u64, key: K, value: V)
    where
        K: std::hash::Hash + Eq + Send + Sync + Clone + 'static,
        V: Clone + Send + Sync + 'static,
    {
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        cache.insert(key.clone(), value);
        if self.generation.load(Ordering::Acquire) != generation {
            cache.invalidate(&key);
        }
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Remembers a token just issued, so its first use needs no read.
    pub(crate) fn remember_token(&self, token: AccessToken) {
        self.tokens.insert(token.id, Arc::new(token));
    }

    /// Forgets what `change` made stale, here and (through the store) in
    /// every other process sharing the database. Called after the change
    /// is committed.
    pub(crate) async fn forget(&self, change: Change) {
        self.drop_cached(&change);
        if let Err(e) = self.store.publish(&change).await {
            // The other nodes' cache TTL still bounds how long they lag.
            tracing::warn!(error = %e, ?change, "could not announce a change to other nodes");
        }
    }

    /// Drops the cached records `change` made stale, in this process only.
    pub fn drop_cached(&self, change: &Change) {
        self.bump();
        match change {
            Change::Tokens(ids) => {
                for id in ids {
                    self.tokens.invalidate(id);
                }
            }
            // A changed client's tokens are re-checked against the fresh
            // record on their next use.
            Change::Client(id) => self.clients.invalidate(id),
            Change::AllTokens => self.tokens.invalidate_all(),
            Change::Scopes => self.scopes.clear(),
            Change::Service(_) => self.gateway.forget_services(),
            Change::Everything => {
                self.tokens.invalidate_all();
                self.clients.invalidate_all();
                self.scopes.clear();
                self.gateway.forget_services();
            }
        }
    }

    /// Follows the changes other processes announce, if the store carries
    /// them, for as long as the process runs.
    pub fn follow_changes(self: &Arc<Self>) {
        let Some(mut feed) = self.store.subscribe() else {
            return;
        };
        let app = Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some(change) = feed.recv().await {
                let Some(app) = app.upgrade() else { break };
                app.drop_cached(&change);
            }
        });
    }

    /// Counts a request refused by a limit in the metrics, and in the audit
    /// log once a minute per limited key.
    pub async fn refused(&self, endpoint: &'static str, limited: &crate::limits::Limited) {
        metrics::counter!("flowgate_rate_limited_total", "endpoint" => endpoint).increment(1);
        if self.limiter.first_report(&limited.key) {
            tracing::warn!(endpoint, key = %limited.key, "rate limit reached");
            self.audit(
                NewAuditEvent::failure(limited.key.clone(), "rate_limit", None)
                    .with_detail(serde_json::json!({ "endpoint": endpoint })),
            )
            .await;
        }
    }

    /// Records audit events; a failure to record is logged, not fatal.
    pub async fn audit(&self, event: NewAuditEvent) {
        if let Err(e) = self.store.append_audit(vec![event], now()).await {
            tracing::error!(error = %e, "could not write audit event");
        }
    }

    /// Records an audit event without waiting for it (hot paths).
    pub fn audit_later(self: &Arc<Self>, event: NewAuditEvent) {
        let app = self.clone();
        tokio::spawn(async move { app.audit(event).await });
    }
}
