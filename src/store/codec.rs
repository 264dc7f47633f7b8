//! How domain records map to columns, shared by every SQL backend: the
//! decoders from a row to a record, the encodings of JSON and list columns,
//! and the error vocabulary. The backends differ only in their SQL.

use super::{StoreError, StoreResult};
use crate::crypto::Digest;
use crate::domain::{
    AccessToken, AuditEvent, AuthCode, AuthMethod, Client, ClientSpec, GrantType, Lifetime,
    RefreshCount, RefreshToken, Scope, ScopeSet, Service, Session, TokenId, User,
};
use sqlx::{ColumnIndex, Decode, Row, Type};

/// Revoked tokens that never expire are kept this long for the record.
pub(crate) const REVOKED_RETENTION: i64 = 7 * 24 * 3600;

/// Typed access to a row's columns by name, for any backend's rows.
pub(crate) trait Columns {
    fn text(&self, col: &str) -> StoreResult<String>;
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>>;
    fn int(&self, col: &str) -> StoreResult<i64>;
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>>;
    fn flag(&self, col: &str) -> StoreResult<bool>;
    fn opt_bytes(&self, col: &str) -> StoreResult<Option<Vec<u8>>>;
}

impl<R> Columns for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&self, col: &str) -> StoreResult<String> {
        self.try_get(col).map_err(map_sqlx)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.try_get(col).map_err(map_sqlx)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.try_get(col).map_err(map_sqlx)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.try_get(col).map_err(map_sqlx)
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        self.try_get(col).map_err(map_sqlx)
    }
    fn opt_bytes(&self, col: &str) -> StoreResult<Option<Vec<u8>>> {
        self.try_get(col).map_err(map_sqlx)
    }
}

/// Maps a sqlx error to the store's vocabulary; backends add their own
/// transient conditions in front of it.
pub(crate) fn map_sqlx(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        sqlx::Error::RowNotFound => StoreError::NotFound,
        e @ (sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed) => StoreError::Unavailable(e.to_string()),
        e => StoreError::Internal(e.to_string()),
    }
}

/// Replaces a `Conflict`'s database message with one for people.
pub(crate) fn conflict_as(e: StoreError, message: impl FnOnce() -> String) -> StoreError {
    match e {
        StoreError::Conflict(_) => StoreError::Conflict(message()),
        e => e,
    }
}

/// Decodes a JSON text column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Internal(format!("bad JSON column: {e}")))
}

/// Encodes a value for a JSON text column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// Clamps a requested page size to what one query may return.
pub(crate) fn page_size(limit: u32) -> i64 {
    if limit == 0 {
        100
    } else {
        i64::from(limit.min(1000))
    }
}

/// A client's grant types as stored: a JSON list of their names.
pub(crate) fn grant_names(c: &Client) -> String {
    let names: Vec<&str> = c.spec.grant_types.iter().map(|g| g.as_str()).collect();
    to_json(&names)
}

/// The message of a client name + version conflict.
pub(crate) fn client_conflict(e: StoreError, c: &Client) -> StoreError {
    conflict_as(e, || {
        format!(
            "a client named \"{}\" version \"{}\" already exists",
            c.spec.name, c.spec.version
        )
    })
}

fn corrupt(record: &str, what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt {record} row: {what}"))
}

fn token_corrupt(what: &str) -> StoreError {
    corrupt("token", what)
}

pub(crate) fn client(r: &impl Columns) -> StoreResult<Client> {
    let bad = |what| corrupt("client", what);
    let grants: Vec<String> = from_json(&r.text("grant_types")?)?;
    let spec = ClientSpec {
        name: r.text("name")?,
        version: r.text("version")?,
        description: r.text("description")?,
        auth_method: AuthMethod::parse(&r.text("auth_method")?)
            .ok_or_else(|| bad("auth_method"))?,
        redirect_uris: from_json(&r.text("redirect_uris")?)?,
        grant_types: grants
            .iter()
            .map(|g| GrantType::parse(g).ok_or_else(|| bad("grant_types")))
            .collect::<StoreResult<_>>()?,
        scopes: ScopeSet::parse(&r.text("scope")?).map_err(|_| bad("scope"))?,
        access_token_lifetime: Lifetime::from_option(r.opt_int("access_token_lifetime")?)
            .map_err(|_| bad("access_token_lifetime"))?,
        refresh_count: RefreshCount::from_i64(r.int("refresh_count")?)
            .map_err(|_| bad("refresh_count"))?,
        active: r.flag("active")?,
    };
    let secret = r.opt_bytes("secret_hash")?;
    let previous = r.opt_bytes("previous_secret_hash")?;
    Ok(Client {
        id: r.text("id")?,
        spec,
        secret: secret
            .map(|b| Digest::from_slice(&b).ok_or_else(|| bad("secret_hash")))
            .transpose()?,
        previous_secret: match (previous, r.opt_int("previous_secret_until")?) {
            (Some(b), Some(until)) => Some((
                Digest::from_slice(&b).ok_or_else(|| bad("previous_secret_hash"))?,
                until,
            )),
            _ => None,
        },
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
    })
}

pub(crate) fn scope(r: &impl Columns) -> StoreResult<Scope> {
    Ok(Scope {
        name: r.text("name")?,
        description: r.text("description")?,
        services: from_json(&r.text("services")?)?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn user(r: &impl Columns) -> StoreResult<User> {
    Ok(User {
        username: r.text("username")?,
        password_hash: r.text("password_hash")?,
        admin: r.flag("admin")?,
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
    })
}

pub(crate) fn service(r: &impl Columns) -> StoreResult<Service> {
    Ok(Service {
        path: r.text("path")?,
        description: r.text("description")?,
        kind: from_json(&r.text("spec")?)?,
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
    })
}

pub(crate) fn session(r: &impl Columns) -> StoreResult<Session> {
    Ok(Session {
        id_hash: digest(r, "id_hash")?,
        username: r.text("username")?,
        csrf_token: r.text("csrf_token")?,
        created_at: r.int("created_at")?,
        expires_at: r.int("expires_at")?,
    })
}

pub(crate) fn audit_event(r: &impl Columns) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        id: r.int("id")?,
        at: r.int("at")?,
        actor: r.text("actor")?,
        action: r.text("action")?,
        target: r.opt_text("target")?,
        outcome: r.text("outcome")?,
        detail: from_json(&r.text("detail")?)?,
    })
}

/// A 32-byte digest column.
pub(crate) fn digest(r: &impl Columns, col: &str) -> StoreResult<Digest> {
    let bytes = r.opt_bytes(col)?.ok_or_else(|| token_corrupt(col))?;
    Digest::from_slice(&bytes).ok_or_else(|| token_corrupt(col))
}

fn opt_token_id(r: &impl Columns, col: &str) -> StoreResult<Option<TokenId>> {
    r.opt_bytes(col)?
        .map(|b| TokenId::from_slice(&b).ok_or_else(|| token_corrupt(col)))
        .transpose()
}

/// The 16-byte `id` column of a token or code.
pub(crate) fn token_id(r: &impl Columns) -> StoreResult<TokenId> {
    opt_token_id(r, "id")?.ok_or_else(|| token_corrupt("id"))
}

fn scope_set(r: &impl Columns) -> StoreResult<ScopeSet> {
    ScopeSet::parse(&r.text("scope")?).map_err(|_| token_corrupt("scope"))
}

pub(crate) fn access_token(r: &impl Columns) -> StoreResult<AccessToken> {
    Ok(AccessToken {
        id: token_id(r)?,
        hash: digest(r, "token_hash")?,
        client_id: r.text("client_id")?,
        username: r.opt_text("username")?,
        scope: scope_set(r)?,
        grant_type: GrantType::parse(&r.text("grant_type")?)
            .ok_or_else(|| token_corrupt("grant_type"))?,
        grant_id: r.opt_text("grant_id")?,
        issued_at: r.int("issued_at")?,
        expires_at: r.opt_int("expires_at")?,
        revoked_at: r.opt_int("revoked_at")?,
    })
}

pub(crate) fn refresh_token(r: &impl Columns) -> StoreResult<RefreshToken> {
    let successor = match (
        opt_token_id(r, "successor_id")?,
        opt_token_id(r, "successor_access_id")?,
    ) {
        (Some(refresh), Some(access)) => Some((refresh, access)),
        _ => None,
    };
    Ok(RefreshToken {
        id: token_id(r)?,
        hash: digest(r, "token_hash")?,
        client_id: r.text("client_id")?,
        username: r.opt_text("username")?,
        scope: scope_set(r)?,
        grant_id: r.text("grant_id")?,
        issued_at: r.int("issued_at")?,
        expires_at: r.opt_int("expires_at")?,
        refreshes_left: r.int("refreshes_left")?,
        rotated_at: r.opt_int("rotated_at")?,
        successor,
        revoked_at: r.opt_int("revoked_at")?,
    })
}

pub(crate) fn auth_code(r: &impl Columns) -> StoreResult<AuthCode> {
    Ok(AuthCode {
        id: token_id(r)?,
        hash: digest(r, "code_hash")?,
        client_id: r.text("client_id")?,
        username: r.text("username")?,
        redirect_uri: r.text("redirect_uri")?,
        scope: scope_set(r)?,
        code_challenge: r.opt_text("code_challenge")?,
        code_challenge_method: r.opt_text("code_challenge_method")?,
        grant_id: r.text("grant_id")?,
        issued_at: r.int("issued_at")?,
        expires_at: r.int("expires_at")?,
        consumed_at: r.opt_int("consumed_at")?,
    })
}
