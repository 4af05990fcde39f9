-- TFE's organization session settings, in minutes (NULL: TFE's default, 20160): a member's
-- browser session ends after session_timeout minutes without a request, and session_remember
-- minutes after sign-in, the strictest of the member's organizations applying.
ALTER TABLE organizations ADD COLUMN session_timeout BIGINT;
ALTER TABLE organizations ADD COLUMN session_remember BIGINT;
-- when the session was made and last used (unix seconds), for those limits
ALTER TABLE web_sessions ADD COLUMN started_at BIGINT;
ALTER TABLE web_sessions ADD COLUMN last_seen_at BIGINT;
-- An organization invites an e-mail with no account yet (TFE's organization memberships): the
-- account is a placeholder, invited_only, that nobody can sign in to (no password) until an
-- account with that e-mail is made, which takes the placeholder's place and its memberships.
ALTER TABLE users ADD COLUMN invited_only BOOLEAN NOT NULL DEFAULT FALSE;
