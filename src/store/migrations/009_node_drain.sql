-- A node asked to drain takes no new jobs; it finishes those it runs (expand only: a node of the
-- previous release ignores the column).
ALTER TABLE nodes ADD COLUMN drain BOOLEAN NOT NULL DEFAULT FALSE;
