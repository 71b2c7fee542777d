-- When the store was last swept, so that companions sharing a store sweep
-- once a period between them. (SQLite serves one instance; its limits stay
-- in memory. PostgreSQL's 0007 also keeps the limits shared.)
CREATE TABLE sweeps (
    name TEXT PRIMARY KEY,
    swept_at BIGINT NOT NULL
);
