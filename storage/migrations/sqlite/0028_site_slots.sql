-- Sites are asked a couple of requests at a time across every poller, not per process: a poller
-- holds one of a site's numbered slots (0 up to the per-site limit) while it fetches from it.
-- A slot is free once its holder gives it back (the row is deleted), its lease has passed, or
-- its process is dead (see processes): a killed poller holds no site for longer than that.
CREATE TABLE site_slots (
    site TEXT NOT NULL,           -- scheme://host:port, as the per-site limit counts a site
    slot INTEGER NOT NULL,        -- 0 up to the per-site limit
    holder INTEGER NOT NULL,      -- the process fetching from the site now
    held_until REAL NOT NULL,     -- the slot's lease (the database server's clock)
    PRIMARY KEY (site, slot)
);
