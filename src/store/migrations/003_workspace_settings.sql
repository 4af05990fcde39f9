-- Workspace attributes of TFE's API v2 that were answered as constants: stored as set.
ALTER TABLE workspaces ADD COLUMN allow_destroy_plan BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE workspaces ADD COLUMN file_triggers_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE workspaces ADD COLUMN queue_all_runs BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE workspaces ADD COLUMN speculative_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE workspaces ADD COLUMN global_remote_state BOOLEAN NOT NULL DEFAULT FALSE;
-- a JSON array of strings
ALTER TABLE workspaces ADD COLUMN trigger_prefixes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE workspaces ADD COLUMN source_name TEXT;
ALTER TABLE workspaces ADD COLUMN source_url TEXT;
