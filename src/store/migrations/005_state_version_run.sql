-- The run whose terraform wrote a state version (its run token), for the "run" relationship.
ALTER TABLE state_versions ADD COLUMN run_id TEXT;
