-- Run triggers: an applied run in the source workspace queues a run in the destination.
CREATE TABLE run_triggers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    sourceable_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    UNIQUE (workspace_id, sourceable_id)
);
CREATE INDEX run_triggers_by_source ON run_triggers (sourceable_id);
