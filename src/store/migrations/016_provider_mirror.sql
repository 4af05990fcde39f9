-- The provider network mirror a site admin uploads (terraform providers mirror's layout): one
-- row per file kept (a version's JSON or a zip), the file itself a blob.
CREATE TABLE provider_mirror_files (
    path TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    namespace TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX provider_mirror_files_by_provider ON provider_mirror_files (hostname, namespace, type);
