-- SSH keys of an organization (the private key sealed, write-only), and the one a workspace
-- uses to fetch private module sources over SSH.
CREATE TABLE ssh_keys (
    id TEXT PRIMARY KEY,
    organization TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sealed_value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ssh_keys_by_organization ON ssh_keys (organization);
ALTER TABLE workspaces ADD COLUMN ssh_key_id TEXT;
