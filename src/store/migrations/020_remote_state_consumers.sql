-- Remote state sharing (TFE's remote-state-consumers): the workspaces whose runs may read this
-- workspace's state when its global-remote-state is false. Both are of one organization.
CREATE TABLE remote_state_consumers (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    consumer_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, consumer_id)
);
CREATE INDEX remote_state_consumers_by_consumer ON remote_state_consumers (consumer_id);
