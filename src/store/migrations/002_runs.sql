-- 002_runs.sql — remote runs: configuration versions, workspace variables, runs with their plan
-- and apply, run tokens, registered terraform versions.

CREATE TABLE configuration_versions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    error_message TEXT,
    auto_queue_runs BOOLEAN NOT NULL,
    speculative BOOLEAN NOT NULL,
    provisional BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    size BIGINT NOT NULL DEFAULT -1,
    created_at TEXT NOT NULL
);
CREATE INDEX configuration_versions_by_workspace ON configuration_versions (workspace_id);

CREATE TABLE variables (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    category TEXT NOT NULL,
    hcl BOOLEAN NOT NULL,
    sensitive BOOLEAN NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sealed_value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (workspace_id, category, key)
);

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    configuration_version_id TEXT NOT NULL,
    plan_id TEXT NOT NULL UNIQUE,
    apply_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    is_destroy BOOLEAN NOT NULL,
    refresh BOOLEAN NOT NULL,
    refresh_only BOOLEAN NOT NULL,
    plan_only BOOLEAN NOT NULL,
    speculative BOOLEAN NOT NULL,
    auto_apply BOOLEAN NOT NULL,
    allow_empty_apply BOOLEAN NOT NULL,
    save_plan BOOLEAN NOT NULL,
    target_addrs TEXT NOT NULL,
    replace_addrs TEXT NOT NULL,
    sealed_variables TEXT NOT NULL,
    has_changes BOOLEAN NOT NULL DEFAULT FALSE,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    status_timestamps TEXT NOT NULL DEFAULT '{}',
    plan_status TEXT NOT NULL,
    plan_add BIGINT NOT NULL DEFAULT 0,
    plan_change BIGINT NOT NULL DEFAULT 0,
    plan_destroy BIGINT NOT NULL DEFAULT 0,
    apply_status TEXT NOT NULL,
    apply_add BIGINT NOT NULL DEFAULT 0,
    apply_change BIGINT NOT NULL DEFAULT 0,
    apply_destroy BIGINT NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX runs_by_workspace ON runs (workspace_id, created_at);
CREATE INDEX runs_by_status ON runs (status);

ALTER TABLE tokens ADD COLUMN run_id TEXT;
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN workspace_id TEXT;

CREATE TABLE terraform_versions (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL UNIQUE,
    path TEXT,
    url TEXT,
    sha256 TEXT,
    enabled BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);

ALTER TABLE workspaces ADD COLUMN current_run_id TEXT;
