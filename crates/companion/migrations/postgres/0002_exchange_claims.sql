-- A row with done = 0 is a claim: one companion instance is exchanging the
-- code with Pelm right now, and others posting the same code wait for it
-- instead of exchanging it again. Rows from 0001 were completed exchanges.
ALTER TABLE code_exchanges ADD COLUMN done INTEGER NOT NULL DEFAULT 1;
