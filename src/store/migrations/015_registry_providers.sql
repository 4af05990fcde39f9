-- The private provider registry: providers of an organization (their namespace is the
-- organization's name), versions with their SHA256SUMS and its signature, platforms with
-- their zip (blobs), and the GPG public keys that sign them.
CREATE TABLE registry_providers (
    id TEXT PRIMARY KEY,
    organization TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization, name)
);

CREATE TABLE registry_provider_versions (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES registry_providers (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    key_id TEXT NOT NULL,
    protocols TEXT NOT NULL,
    shasums_uploaded BOOLEAN NOT NULL,
    shasums_sig_uploaded BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (provider_id, version)
);

CREATE TABLE registry_provider_platforms (
    id TEXT PRIMARY KEY,
    version_id TEXT NOT NULL REFERENCES registry_provider_versions (id) ON DELETE CASCADE,
    os TEXT NOT NULL,
    arch TEXT NOT NULL,
    filename TEXT NOT NULL,
    shasum TEXT NOT NULL,
    uploaded BOOLEAN NOT NULL,
    size BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (version_id, os, arch)
);

CREATE TABLE gpg_keys (
    id TEXT PRIMARY KEY,
    organization TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    key_id TEXT NOT NULL,
    ascii_armor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization, key_id)
);
