-- The private module registry: modules of an organization (their namespace is the
-- organization's name) and their versions, whose archives are blobs.
CREATE TABLE registry_modules (
    id TEXT PRIMARY KEY,
    organization TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    registry_name TEXT NOT NULL,
    name TEXT NOT NULL,
    provider TEXT NOT NULL,
    no_code BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization, registry_name, name, provider)
);

CREATE TABLE registry_module_versions (
    id TEXT PRIMARY KEY,
    module_id TEXT NOT NULL REFERENCES registry_modules (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    size BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (module_id, version)
);
