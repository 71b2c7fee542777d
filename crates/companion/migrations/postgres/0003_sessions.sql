-- Sessions the companion issued to users who connected. The cookie holds a
-- random id; only its hash is stored. A session is rotated (a new row, the
-- old one deleted) on connect and disconnect, and ends when it has been idle
-- or alive too long; a user left with no session is removed with their token.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY NOT NULL,
    identity    TEXT NOT NULL REFERENCES users (identity) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL
);
CREATE INDEX sessions_identity ON sessions (identity);

-- Before this, a cookie user's identity was `session:` and the hash of the
-- cookie itself; those cookies stay valid as sessions seen today.
INSERT INTO sessions (id_hash, identity, created_at, seen_at)
    SELECT substr(identity, 9), identity, created_at, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
    FROM users WHERE identity LIKE 'session:%';

-- A code is claimed before its user is stored (users are stored only once
-- they connect), so the claim no longer refers to users. Old claims are swept.
ALTER TABLE code_exchanges DROP CONSTRAINT IF EXISTS code_exchanges_pelm_user_id_fkey;
CREATE INDEX code_exchanges_exchanged_at ON code_exchanges (exchanged_at);
