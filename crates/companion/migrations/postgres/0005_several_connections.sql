-- A person may link several utilities: each connection is its own Pelm user
-- with its own sealed token, owned by one identity, and known to the app by
-- an id of its own (never the Pelm user id). Today's one connection per user
-- moves over with a new id and nothing else changed.
CREATE TABLE connections_new (
    id            TEXT PRIMARY KEY NOT NULL,
    identity      TEXT NOT NULL REFERENCES users (identity) ON DELETE CASCADE,
    pelm_user_id  TEXT NOT NULL UNIQUE,
    access_token  TEXT NOT NULL,
    connected_at  BIGINT NOT NULL,
    utility_id    TEXT,
    utility_name  TEXT,
    -- What Pelm last said of it (connected, collecting, login_needed,
    -- utility_unsupported), when, and the end of the newest interval seen,
    -- so listing connections asks Pelm nothing.
    status        TEXT NOT NULL DEFAULT 'connected',
    checked_at    BIGINT,
    data_through  BIGINT,
    -- The order they were linked in, which seconds alone cannot tell.
    position      BIGINT NOT NULL DEFAULT 0
);
INSERT INTO connections_new (id, identity, pelm_user_id, access_token, connected_at, utility_id, utility_name)
    SELECT substr(md5(random()::text || c.pelm_user_id), 1, 16), u.identity, c.pelm_user_id, c.access_token, c.connected_at,
           c.utility_id, c.utility_name
    FROM connections c JOIN users u ON u.pelm_user_id = c.pelm_user_id;
DROP TABLE connections;
ALTER TABLE connections_new RENAME TO connections;
CREATE INDEX connections_identity ON connections (identity);

-- How many connections a user has begun, which names the next one: every
-- user so far had made one (under `users.pelm_user_id`).
ALTER TABLE users ADD COLUMN connections_made BIGINT NOT NULL DEFAULT 0;
UPDATE users SET connections_made = 1;
-- The connection the user's last Connect token was for, which a code posted
-- without naming one goes to, as a client written before there could be
-- several would post it.
ALTER TABLE users ADD COLUMN linking TEXT;

-- A code's claim names who posted it, so a second post of it by the same
-- person finds the connection the first one made, whichever it was.
ALTER TABLE code_exchanges ADD COLUMN identity TEXT;
UPDATE code_exchanges SET identity = (SELECT u.identity FROM users u WHERE u.pelm_user_id = code_exchanges.pelm_user_id);

-- The accounts and meters each connection last answered with, so a data
-- request finds its token from the account or meter it names, and a
-- connection Pelm cannot be asked about still shows its accounts.
CREATE TABLE connection_accounts (
    connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    account_id     TEXT NOT NULL,
    account        TEXT NOT NULL,
    PRIMARY KEY (connection_id, account_id)
);
CREATE TABLE connection_meters (
    connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    meter_id       TEXT NOT NULL,
    PRIMARY KEY (connection_id, meter_id)
);
