-- 001_init.sql — the first schema. Portable between SQLite and PostgreSQL: TEXT, BIGINT and
-- BOOLEAN columns, ids made in C, timestamps as ISO-8601 UTC text (sorts as it reads).

CREATE TABLE keyring (
    id TEXT PRIMARY KEY,
    kdf TEXT NOT NULL,
    salt TEXT NOT NULL,
    opslimit BIGINT NOT NULL,
    memlimit BIGINT NOT NULL,
    wrapped_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- small sealed values the node itself owns (the initial admin creation token)
CREATE TABLE node_secrets (
    name TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE organizations (
    name TEXT PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    default_execution_mode TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    organization TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organization, name)
);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

-- API tokens, stored as SHA-256 hashes; kind is user, organization or team
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    organization TEXT REFERENCES organizations (name) ON DELETE CASCADE,
    team_id TEXT REFERENCES teams (id) ON DELETE CASCADE,
    description TEXT NOT NULL DEFAULT '',
    created_by TEXT,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    organization TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    execution_mode TEXT NOT NULL,
    terraform_version TEXT NOT NULL,
    auto_apply BOOLEAN NOT NULL,
    working_directory TEXT NOT NULL DEFAULT '',
    locked_by_kind TEXT,
    locked_by_id TEXT,
    lock_reason TEXT,
    current_state_version_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization, name)
);

CREATE TABLE workspace_tags (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (workspace_id, tag)
);

CREATE TABLE state_versions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    serial BIGINT NOT NULL,
    lineage TEXT NOT NULL DEFAULT '',
    md5 TEXT NOT NULL,
    status TEXT NOT NULL,
    state_size BIGINT NOT NULL DEFAULT -1,
    json_size BIGINT NOT NULL DEFAULT -1,
    created_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX state_versions_by_workspace ON state_versions (workspace_id, created_at);

CREATE TABLE state_version_outputs (
    id TEXT PRIMARY KEY,
    state_version_id TEXT NOT NULL REFERENCES state_versions (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    sensitive BOOLEAN NOT NULL,
    type_json TEXT NOT NULL,
    sealed_value TEXT NOT NULL
);
CREATE INDEX state_version_outputs_by_version ON state_version_outputs (state_version_id);
