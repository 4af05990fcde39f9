-- The sign-in throttle, per account AND client address (an attacker elsewhere cannot lock the
-- owner out): one row counting the attempts in the current window, taken with one atomic upsert
-- before the password is checked, so parallel attempts cannot pass the limit. login_failures
-- stays for older releases during a rolling upgrade.
CREATE TABLE login_throttle (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    PRIMARY KEY (username, address)
);
CREATE INDEX login_throttle_by_window ON login_throttle (window_start);
