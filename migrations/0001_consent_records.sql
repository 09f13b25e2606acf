-- Proof-of-consent log (GDPR Art. 7(1): the controller must be able to
-- demonstrate that the data subject has consented).
--
-- One row per decision. Written and read only through the statements built in
-- src/records.rs; apply with `wrangler d1 migrations apply`.
--
-- Nothing else personal is kept: the consent id is random, the IP is
-- truncated (IPv4 /24, IPv6 /48) and the user agent shortened before they
-- reach this table; the path never has a query string.

CREATE TABLE IF NOT EXISTS consent_records (
    -- Row id: the tie-breaker of the (time, id) pagination order.
    id           INTEGER PRIMARY KEY,
    -- The random consent id carried in the visitor's signed cookie.
    consent_id   TEXT    NOT NULL,
    -- When the decision was given, unix seconds (UTC).
    time         INTEGER NOT NULL CHECK (time >= 0),
    action       TEXT    NOT NULL
                 CHECK (action IN ('accept_all', 'reject_all', 'custom', 'gpc', 'withdrawn')),
    -- Granted categories as a bit mask: 1 necessary (always set),
    -- 2 functional, 4 analytics, 8 advertising.
    grants       INTEGER NOT NULL CHECK (grants BETWEEN 1 AND 15 AND grants & 1 = 1),
    -- The same, one 0/1 column per optional category (for people querying
    -- the table by hand and for the per-category acceptance rates).
    functional   INTEGER GENERATED ALWAYS AS ((grants >> 1) & 1) VIRTUAL,
    analytics    INTEGER GENERATED ALWAYS AS ((grants >> 2) & 1) VIRTUAL,
    advertising  INTEGER GENERATED ALWAYS AS ((grants >> 3) & 1) VIRTUAL,
    -- policy.revision the decision was given under.
    revision     INTEGER NOT NULL CHECK (revision >= 0),
    -- Jurisdiction id ("eu", "us-ca", "default", "unknown", ...).
    jurisdiction TEXT    NOT NULL,
    -- ISO 3166-1 alpha-2 country and ISO 3166-2 subdivision, when known.
    country      TEXT,
    region       TEXT,
    -- 1 when a Global Privacy Control signal (Sec-GPC: 1) was present.
    gpc          INTEGER NOT NULL CHECK (gpc IN (0, 1)),
    -- Banner variant and language shown.
    variant      TEXT    NOT NULL,
    lang         TEXT    NOT NULL,
    -- Page path the decision was given on, without query or fragment.
    path         TEXT    NOT NULL,
    -- Anonymised IP (IPv4 /24 -> a.b.c.0, IPv6 /48 -> x:y:z::).
    ip           TEXT,
    -- User agent, at most 256 characters.
    user_agent   TEXT
);

-- Admin listing, cursor pagination, date filters and the retention purge.
CREATE INDEX IF NOT EXISTS consent_records_time ON consent_records (time, id);

-- The same decision is recorded once: a queue message delivered twice (Queues
-- deliver at least once) or a double click inserts nothing the second time
-- (the INSERT says ON CONFLICT DO NOTHING). Led by (consent_id, time), it
-- also serves a visitor's history and the consent_id filter.
CREATE UNIQUE INDEX IF NOT EXISTS consent_records_once
    ON consent_records (consent_id, time, action, grants, revision);
