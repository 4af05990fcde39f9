-- The next release's migration in the rolling-upgrade test (built into strata_next only): it
-- expands the schema, as every migration between two releases must, so that nodes of the
-- current release keep serving beside it.
CREATE TABLE next_release_probe (id TEXT PRIMARY KEY, note TEXT);
ALTER TABLE workspaces ADD COLUMN next_release_note TEXT;
