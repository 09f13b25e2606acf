-- Tracker discovery ([csp] mode = "report" or "enforce"): third-party hosts
-- the site's pages load from that neither the catalog, the site nor
-- [csp] allow know (from CSP violation reports), and cookie names the origin
-- sets that neither [[cookies]] nor the catalog know (sampled from its
-- Set-Cookie headers). Listed for the site owner at /__consent/discovery.
--
-- Never visitor data: no IP, user agent, consent id, query string or cookie
-- value reaches this table. `path` is the page's path (no query), `name` a
-- host or a cookie name. Written and read only through src/discovery/store.rs.

CREATE TABLE IF NOT EXISTS discovery (
    kind        TEXT    NOT NULL CHECK (kind IN ('host', 'cookie')),
    -- A host (lower case) or a cookie name.
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 253),
    -- The CSP directive that saw the host (img-src, script-src-elem, …);
    -- 'set-cookie' for a cookie.
    directive   TEXT    NOT NULL CHECK (length(directive) BETWEEN 1 AND 40),
    -- The page path it was seen on, without query or fragment.
    path        TEXT    NOT NULL CHECK (length(path) BETWEEN 1 AND 512),
    count       INTEGER NOT NULL CHECK (count >= 1),
    -- Unix seconds (UTC).
    first_seen  INTEGER NOT NULL CHECK (first_seen >= 0),
    last_seen   INTEGER NOT NULL CHECK (last_seen >= first_seen),
    PRIMARY KEY (kind, name, directive, path)
);

CREATE INDEX IF NOT EXISTS discovery_by_count ON discovery (count DESC);
