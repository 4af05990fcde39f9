-- Structured run output: workspaces choose it (TFE's default is on); each run records whether
-- its logs are terraform's JSON lines (the client that made it can render them).
ALTER TABLE workspaces ADD COLUMN structured_run_output_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE runs ADD COLUMN structured_output BOOLEAN NOT NULL DEFAULT FALSE;
