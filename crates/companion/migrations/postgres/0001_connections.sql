-- One row per end user the companion has seen. `identity` is derived from how
-- the site identifies its user (a hash of the session cookie, or the trusted
-- header's value); `pelm_user_id` is what Pelm knows them by, so neither the
-- cookie nor the site's own user id ever reaches Pelm.
CREATE TABLE users (
    identity      TEXT PRIMARY KEY NOT NULL,
    pelm_user_id  TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL
);

-- A user's Pelm access token. Pelm's tokens do not expire, so the row lives
-- until the user disconnects.
CREATE TABLE connections (
    pelm_user_id  TEXT PRIMARY KEY NOT NULL REFERENCES users (pelm_user_id) ON DELETE CASCADE,
    access_token  TEXT NOT NULL,
    connected_at  BIGINT NOT NULL
);

-- Authorization codes already exchanged, by hash, so a code posted twice
-- (Connect can fire onSuccess twice) costs one upstream exchange.
CREATE TABLE code_exchanges (
    code_hash     TEXT PRIMARY KEY NOT NULL,
    pelm_user_id  TEXT NOT NULL REFERENCES users (pelm_user_id) ON DELETE CASCADE,
    exchanged_at  BIGINT NOT NULL
);
