-- TFE's organization session settings, in minutes (NULL: TFE's default, 20160): a member's
-- browser session ends after session_timeout minutes without a request, and session_remember
-- minutes after sign-in, the strictest of the member's organizations applying.
ALTER TABLE organizations ADD COLUMN session_timeout BIGINT;
ALTER TABLE organizations ADD COLUMN session_remember BIGINT;
-- when the session was made and last used (unix seconds), for those limits
ALTER TABLE web_sessions ADD COLUMN started_at BIGINT;
ALTER TABLE web_sessions ADD COLUMN last_seen_at BIGINT;
