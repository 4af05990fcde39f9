-- Teams, memberships, team access and the audit trail (issue "Teams, permissions…").
-- Expand-only: an older binary ignores the new columns and tables.

-- a team's organization-wide permissions (bits of authz.h's ORG_* table) and visibility
ALTER TABLE teams ADD COLUMN visibility TEXT NOT NULL DEFAULT 'secret';
ALTER TABLE teams ADD COLUMN org_access BIGINT NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN sso_team_id TEXT;
ALTER TABLE teams ADD COLUMN allow_member_token_management BOOLEAN NOT NULL DEFAULT TRUE;

-- a user's membership of an organization: invited (by email) until the user accepts, then
-- active; a user's teams count only while the membership is active
CREATE TABLE organization_memberships (
    id TEXT PRIMARY KEY,
    organization TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organization, user_id)
);
CREATE INDEX organization_memberships_by_user ON organization_memberships (user_id);

-- every user already in a team was a member of its organization
INSERT INTO organization_memberships (id, organization, user_id, status, created_at)
SELECT 'ou-' || substr(t.id, 6) || substr(m.user_id, 6), t.organization, m.user_id, 'active',
       t.created_at
FROM team_members m JOIN teams t ON t.id = m.team_id
WHERE NOT EXISTS (SELECT 1 FROM team_members m2 JOIN teams t2 ON t2.id = m2.team_id
                  WHERE m2.user_id = m.user_id AND t2.organization = t.organization
                    AND t2.id < t.id);

CREATE INDEX team_members_by_user ON team_members (user_id);

-- a team's access to a workspace: a fixed level (read, plan, write, admin) or custom with
-- TFE's per-permission values
CREATE TABLE team_access (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    access TEXT NOT NULL,
    runs TEXT NOT NULL,
    variables TEXT NOT NULL,
    state_versions TEXT NOT NULL,
    sentinel_mocks TEXT NOT NULL,
    workspace_locking BOOLEAN NOT NULL,
    run_tasks BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (team_id, workspace_id)
);
CREATE INDEX team_access_by_workspace ON team_access (workspace_id);

-- append-only: who changed what, when and from where; written in the change's transaction
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    organization TEXT,
    at TEXT NOT NULL,
    accessor_kind TEXT NOT NULL,
    accessor_id TEXT,
    accessor_name TEXT,
    remote_addr TEXT,
    request_id TEXT,
    resource_type TEXT NOT NULL,
    resource_id TEXT,
    action TEXT NOT NULL
);
CREATE INDEX audit_events_by_org ON audit_events (organization, at);
