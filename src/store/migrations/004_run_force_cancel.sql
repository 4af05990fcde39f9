-- When a canceled run may be force-canceled (unix seconds; 0 = not canceled).
ALTER TABLE runs ADD COLUMN force_cancel_available_at BIGINT NOT NULL DEFAULT 0;
