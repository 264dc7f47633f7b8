-- flowgate schema for PostgreSQL, the same as SQLite's. Timestamps are Unix
-- seconds (BIGINT); secrets are stored only as 32-byte SHA-256 digests.
-- Tokens and codes are keyed by the 16-byte time-ordered id embedded in
-- them, so inserts append to the key. Keys that lists are ordered by use
-- the "C" collation, so they sort bytewise as in SQLite whatever the
-- database's locale.

CREATE TABLE clients (
    id                      TEXT COLLATE "C" PRIMARY KEY,
    name                    TEXT NOT NULL,
    version                 TEXT NOT NULL,
    -- Lower-cased name + version, computed by flowgate: unique ignoring case.
    name_key                TEXT NOT NULL UNIQUE,
    description             TEXT NOT NULL DEFAULT '',
    auth_method             TEXT NOT NULL,
    secret_hash             BYTEA,
    previous_secret_hash    BYTEA,
    previous_secret_until   BIGINT,
    redirect_uris           JSONB NOT NULL,
    grant_types             JSONB NOT NULL,
    scope                   TEXT NOT NULL,
    access_token_lifetime   BIGINT,
    refresh_count           BIGINT NOT NULL,
    active                  BOOLEAN NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);

CREATE TABLE scopes (
    name         TEXT COLLATE "C" PRIMARY KEY,
    description  TEXT NOT NULL DEFAULT '',
    services     JSONB NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE users (
    username       TEXT COLLATE "C" PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    admin          BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE access_tokens (
    id          BYTEA PRIMARY KEY,
    token_hash  BYTEA NOT NULL,
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    username    TEXT REFERENCES users (username) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    grant_type  TEXT NOT NULL,
    grant_id    TEXT,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX access_tokens_client ON access_tokens (client_id, issued_at);
CREATE INDEX access_tokens_user ON access_tokens (username) WHERE username IS NOT NULL;
CREATE INDEX access_tokens_grant ON access_tokens (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE refresh_tokens (
    id              BYTEA PRIMARY KEY,
    token_hash      BYTEA NOT NULL,
    client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    username        TEXT REFERENCES users (username) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    grant_id        TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    expires_at      BIGINT,
    refreshes_left  BIGINT NOT NULL,
    rotated_at      BIGINT,
    -- Ids of the refresh and access token this one was exchanged for.
    successor_id         BYTEA,
    successor_access_id  BYTEA,
    revoked_at      BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (username) WHERE username IS NOT NULL;
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE auth_codes (
    id                     BYTEA PRIMARY KEY,
    code_hash              BYTEA NOT NULL,
    client_id              TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    username               TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    redirect_uri           TEXT NOT NULL,
    scope                  TEXT NOT NULL,
    code_challenge         TEXT,
    code_challenge_method  TEXT,
    grant_id               TEXT NOT NULL,
    issued_at              BIGINT NOT NULL,
    expires_at             BIGINT NOT NULL,
    consumed_at            BIGINT
);
CREATE INDEX auth_codes_client ON auth_codes (client_id);
CREATE INDEX auth_codes_user ON auth_codes (username);
CREATE INDEX auth_codes_expiry ON auth_codes (expires_at);

CREATE TABLE sessions (
    id_hash     BYTEA PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE audit_events (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT,
    outcome  TEXT NOT NULL,
    detail   JSONB NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_action ON audit_events (action, id);

CREATE TABLE services (
    path         TEXT COLLATE "C" PRIMARY KEY,
    description  TEXT NOT NULL DEFAULT '',
    -- The ServiceKind: {"kind": "rest", ...} or {"kind": "flow", ...}.
    spec         JSONB NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
