//! The running authority's shared state: the store, the in-memory caches in
//! front of it, and the settings. The protocol layer ([`crate::oauth`]) and
//! the administration layer ([`crate::service`]) are `impl App` blocks over
//! this one value, so a rule or a cache invalidation lives in one place.

use crate::domain::{AccessToken, Client, NewAuditEvent, Scope, TokenId, now};
use crate::store::{Store, StoreResult};
use moka::sync::Cache;
use std::collections::BTreeMap;
use std::sync::Arc;
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".into(),
            access_token_lifetime: 3600,
            cache_ttl: Duration::from_secs(10),
            token_cache_capacity: 200_000,
        }
    }
}

/// Shared state of one flowgate process. Cheap to clone behind an `Arc`.
pub struct App {
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    clients: Cache<String, Arc<Client>>,
    tokens: Cache<TokenId, Arc<AccessToken>>,
    scopes: Cache<(), Arc<BTreeMap<String, Scope>>>,
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
            scopes: Cache::builder().max_capacity(1).time_to_live(ttl).build(),
            store,
            settings,
        }
    }

    /// A client by id, from memory when possible.
    pub async fn client(&self, id: &str) -> StoreResult<Option<Arc<Client>>> {
        if let Some(c) = self.clients.get(id) {
            return Ok(Some(c));
        }
        let found = self.store.get_client(id).await?.map(Arc::new);
        if let Some(c) = &found {
            self.clients.insert(id.to_owned(), c.clone());
        }
        Ok(found)
    }

    /// Every registered scope by name, from memory when possible.
    pub async fn scopes(&self) -> StoreResult<Arc<BTreeMap<String, Scope>>> {
        if let Some(s) = self.scopes.get(&()) {
            return Ok(s);
        }
        let all: BTreeMap<_, _> = self
            .store
            .list_scopes()
            .await?
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        let all = Arc::new(all);
        self.scopes.insert((), all.clone());
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
        let found = self.store.get_access_token(id).await?.map(Arc::new);
        if let Some(t) = &found {
            self.tokens.insert(*id, t.clone());
        }
        Ok(found)
    }

    /// Remembers a token just issued, so its first use needs no read.
    pub(crate) fn remember_token(&self, token: AccessToken) {
        self.tokens.insert(token.id, Arc::new(token));
    }

    /// Forgets cached tokens after they were revoked.
    pub(crate) fn forget_tokens(&self, ids: &[TokenId]) {
        for id in ids {
            self.tokens.invalidate(id);
        }
    }

    /// Forgets a client after it changed; its tokens are re-checked against
    /// the fresh record on their next use.
    pub(crate) fn forget_client(&self, id: &str) {
        self.clients.invalidate(id);
    }

    /// Forgets every cached token (a user was deleted: their tokens went
    /// with them, and the cache has no index by user).
    pub(crate) fn forget_all_tokens(&self) {
        self.tokens.invalidate_all();
    }

    pub(crate) fn forget_scopes(&self) {
        self.scopes.invalidate_all();
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
