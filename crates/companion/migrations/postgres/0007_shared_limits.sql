-- Several companions share this store, so what one instance allows must
-- count against what the others allow: the request limits and the site's
-- ceiling on Pelm calls are token buckets kept here, and a user's slots
-- for calls to Pelm are leases. Each is taken in one round trip, by the
-- functions below, with the database's clock, so the instances' clocks
-- need not agree.

CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at DOUBLE PRECISION NOT NULL
);

-- Takes a token from `key_a` (refilling `rate_a` a minute) and, when
-- `key_b` is not null, from `key_b` too, or from neither. Answers 0 when
-- taken, else the seconds until both would have one. Keys are locked in
-- the order given; callers give them in one order, so two calls never wait
-- on each other crosswise.
CREATE FUNCTION take_token(key_a TEXT, rate_a DOUBLE PRECISION, key_b TEXT, rate_b DOUBLE PRECISION)
RETURNS DOUBLE PRECISION LANGUAGE plpgsql AS $$
DECLARE
    clock DOUBLE PRECISION := extract(epoch FROM clock_timestamp());
    keys TEXT[] := ARRAY[key_a, key_b];
    rates DOUBLE PRECISION[] := ARRAY[rate_a, rate_b];
    have DOUBLE PRECISION[] := ARRAY[0, 0];
    got DOUBLE PRECISION;
    needed DOUBLE PRECISION := 0;
    i INTEGER;
BEGIN
    FOR i IN 1..2 LOOP
        CONTINUE WHEN keys[i] IS NULL;
        INSERT INTO rate_buckets (key, tokens, at) VALUES (keys[i], rates[i], clock) ON CONFLICT (key) DO NOTHING;
        SELECT LEAST(rates[i], b.tokens + GREATEST(clock - b.at, 0) * rates[i] / 60) INTO got
            FROM rate_buckets b WHERE b.key = keys[i] FOR UPDATE;
        have[i] := got;
        IF got < 1 THEN
            needed := GREATEST(needed, (1 - got) * 60 / rates[i]);
        END IF;
    END LOOP;
    FOR i IN 1..2 LOOP
        CONTINUE WHEN keys[i] IS NULL;
        UPDATE rate_buckets SET tokens = have[i] - CASE WHEN needed = 0 THEN 1 ELSE 0 END, at = clock
            WHERE key = keys[i];
    END LOOP;
    RETURN needed;
END $$;

-- A user's calls to Pelm in flight, across instances. A lease outlives no
-- call (the longest is far shorter), so an instance that dies mid-call
-- gives its slot back when the lease runs out.
CREATE TABLE user_slots (
    identity TEXT NOT NULL,
    slot INTEGER NOT NULL,
    holder TEXT NOT NULL,
    until DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (identity, slot)
);

-- Takes one of `slots` slots for `who`, leased for `lease` seconds to
-- `taker`; null when all are taken.
CREATE FUNCTION take_slot(who TEXT, slots INTEGER, lease DOUBLE PRECISION, taker TEXT)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    clock DOUBLE PRECISION := extract(epoch FROM clock_timestamp());
    s INTEGER;
BEGIN
    DELETE FROM user_slots u WHERE u.identity = who AND u.until < clock;
    FOR s IN 0..slots - 1 LOOP
        INSERT INTO user_slots (identity, slot, holder, until) VALUES (who, s, taker, clock + lease)
            ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN s;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- Which instance swept last, and when: one sweep per period for the whole
-- deployment.
CREATE TABLE sweeps (
    name TEXT PRIMARY KEY,
    swept_at BIGINT NOT NULL
);
