-- What the registry shows of a module version: its README and the inputs, outputs and
-- resources of its root module (JSON), read from the archive when it is uploaded.
ALTER TABLE registry_module_versions ADD COLUMN metadata TEXT;
