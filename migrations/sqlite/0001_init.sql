-- flowgate schema for SQLite. Timestamps are Unix seconds; secrets are
-- stored only as 32-byte SHA-256 digests. Tokens and codes are keyed by the
-- 16-byte time-ordered id embedded in them, so inserts append to the key.

CREATE TABLE clients (
    id                      TEXT PRIMARY KEY NOT NULL,
    name                    TEXT NOT NULL,
    version                 TEXT NOT NULL,
    name_key                TEXT NOT NULL UNIQUE,
    description             TEXT NOT NULL DEFAULT '',
    auth_method             TEXT NOT NULL,
    secret_hash             BLOB,
    previous_secret_hash    BLOB,
    previous_secret_until   INTEGER,
    redirect_uris           TEXT NOT NULL,
    grant_types             TEXT NOT NULL,
    scope                   TEXT NOT NULL,
    access_token_lifetime   INTEGER,
    refresh_count           INTEGER NOT NULL,
    active                  INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);

CREATE TABLE scopes (
    name         TEXT PRIMARY KEY NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    services     TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE users (
    username       TEXT PRIMARY KEY NOT NULL,
    password_hash  TEXT NOT NULL,
    admin          INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE access_tokens (
    id          BLOB PRIMARY KEY NOT NULL,
    token_hash  BLOB NOT NULL,
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    username    TEXT REFERENCES users (username) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    grant_type  TEXT NOT NULL,
    grant_id    TEXT,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
) WITHOUT ROWID;
CREATE INDEX access_tokens_client ON access_tokens (client_id, issued_at);
CREATE INDEX access_tokens_user ON access_tokens (username) WHERE username IS NOT NULL;
CREATE INDEX access_tokens_grant ON access_tokens (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE refresh_tokens (
    id              BLOB PRIMARY KEY NOT NULL,
    token_hash      BLOB NOT NULL,
    client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    username        TEXT REFERENCES users (username) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    grant_id        TEXT NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER,
    refreshes_left  INTEGER NOT NULL,
    rotated_at      INTEGER,
    -- Ids of the refresh and access token this one was exchanged for.
    successor_id         BLOB,
    successor_access_id  BLOB,
    revoked_at      INTEGER
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (username) WHERE username IS NOT NULL;
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE auth_codes (
    id                     BLOB PRIMARY KEY NOT NULL,
    code_hash              BLOB NOT NULL,
    client_id              TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    username               TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    redirect_uri           TEXT NOT NULL,
    scope                  TEXT NOT NULL,
    code_challenge         TEXT,
    code_challenge_method  TEXT,
    grant_id               TEXT NOT NULL,
    issued_at              INTEGER NOT NULL,
    expires_at             INTEGER NOT NULL,
    consumed_at            INTEGER
) WITHOUT ROWID;
CREATE INDEX auth_codes_client ON auth_codes (client_id);
CREATE INDEX auth_codes_user ON auth_codes (username);
CREATE INDEX auth_codes_expiry ON auth_codes (expires_at);

CREATE TABLE sessions (
    id_hash     BLOB PRIMARY KEY NOT NULL,
    username    TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE audit_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT,
    outcome  TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_action ON audit_events (action, id);

CREATE TABLE services (
    path         TEXT PRIMARY KEY NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    -- The ServiceKind as JSON: {"kind": "rest", ...} or {"kind": "flow", ...}.
    spec         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
