-- The utility a connection is with, as Pelm's /users named it at connect
-- time, so the app can still name it when /users cannot be asked.
ALTER TABLE connections ADD COLUMN utility_id TEXT;
ALTER TABLE connections ADD COLUMN utility_name TEXT;
