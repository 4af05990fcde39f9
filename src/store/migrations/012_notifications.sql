-- Notification configurations of workspaces, their deliveries (one per run event, retried
-- with back-off through the job queue) and every attempt's answer (the delivery history);
-- the SMTP server email notifications go through (one row, set by a site admin).
CREATE TABLE notification_configurations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    destination_type TEXT NOT NULL,
    url TEXT,
    sealed_token TEXT,
    enabled BOOLEAN NOT NULL,
    triggers TEXT NOT NULL,
    email_addresses TEXT NOT NULL,
    email_user_ids TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX notification_configurations_by_workspace
    ON notification_configurations (workspace_id);

-- status: queued (a job is in the queue), sending (a node has it), retrying (waits for
-- next_attempt_at, unix milliseconds), delivered, failed
CREATE TABLE notification_deliveries (
    id TEXT PRIMARY KEY,
    configuration_id TEXT NOT NULL REFERENCES notification_configurations (id) ON DELETE CASCADE,
    run_id TEXT,
    trigger_name TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notification_deliveries_by_status ON notification_deliveries (status, next_attempt_at);

CREATE TABLE notification_attempts (
    id TEXT PRIMARY KEY,
    configuration_id TEXT NOT NULL REFERENCES notification_configurations (id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL,
    url TEXT,
    code BIGINT NOT NULL,
    body TEXT NOT NULL,
    successful BOOLEAN NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX notification_attempts_by_configuration
    ON notification_attempts (configuration_id, sent_at);

CREATE TABLE smtp_settings (
    id TEXT PRIMARY KEY,
    enabled BOOLEAN NOT NULL,
    host TEXT NOT NULL,
    port BIGINT NOT NULL,
    sender TEXT NOT NULL,
    auth TEXT NOT NULL,
    username TEXT,
    sealed_password TEXT,
    updated_at TEXT NOT NULL
);
