-- Admin terraform versions: the flags TFE documents, stored as set.
ALTER TABLE terraform_versions ADD COLUMN official BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE terraform_versions ADD COLUMN beta BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE terraform_versions ADD COLUMN deprecated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE terraform_versions ADD COLUMN deprecated_reason TEXT;
