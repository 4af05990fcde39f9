-- Browser sessions of the web UI (shared by every node, so a balancer needs no stickiness):
-- the cookie's SHA-256, its user and CSRF token; and failed sign-ins, which throttle more.
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

CREATE TABLE login_failures (
    username TEXT NOT NULL,
    address TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_name ON login_failures (username, at);
