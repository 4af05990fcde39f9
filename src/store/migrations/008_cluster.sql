-- Nodes of a cluster (one row per node name), the run each node executes, and named leases that
-- elect one node for periodic work.
CREATE TABLE nodes (
    name TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    version TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    -- unix milliseconds of the last heartbeat; a node silent for long is dead
    heartbeat_at BIGINT NOT NULL
);

CREATE TABLE cluster_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- the node executing the run's current phase (planning, applying)
ALTER TABLE runs ADD COLUMN node TEXT;
