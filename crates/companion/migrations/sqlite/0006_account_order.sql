-- The accounts are shown from the store on a returning user's first view,
-- in the order Pelm last answered them, as they were shown before.
ALTER TABLE connection_accounts ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
