-- A hub a feed no longer names (its document switched hubs or topics) is told we leave, with
-- the callback it knows. The subscription's own token and secret are new by then, so nothing
-- that hub sends is taken; its callback token answers only the unsubscription's verification.
-- A row stays until the hub confirms, or until its lease has ended anyway.
CREATE TABLE websub_departures (
    feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    hub TEXT NOT NULL,                 -- the hub left
    topic TEXT NOT NULL,               -- the topic it knew the feed by
    token TEXT NOT NULL,               -- the old callback path's random part
    lease_until REAL NOT NULL,         -- its lease's end: then it has forgotten us anyway
    renew_at REAL,                     -- when to ask it (again)
    last_error TEXT,
    PRIMARY KEY (feed_id, token)
);
