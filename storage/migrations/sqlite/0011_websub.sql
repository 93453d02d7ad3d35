-- A feed that names a WebSub hub is pushed to us while Warta has a public webhook address: one
-- subscription per feed, its state kept here so that any process can answer the hub and the
-- scheduler renews each lease before it ends.
CREATE TABLE websub_subscriptions (
    feed_id INTEGER PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,
    hub TEXT NOT NULL,                 -- where subscription requests go
    topic TEXT NOT NULL,               -- the feed's self URL, as the hub knows it
    token TEXT NOT NULL,               -- the callback path's random part: unguessable
    secret TEXT NOT NULL,              -- the key of the pushes' X-Hub-Signature HMAC
    status TEXT NOT NULL,              -- wanted, requested, active, denied, leaving
    requested_at REAL,                 -- the last request sent to the hub
    lease_until REAL,                  -- when the hub's lease ends (verified subscriptions)
    renew_at REAL,                     -- when to ask the hub again
    last_error TEXT
);
CREATE INDEX websub_subscriptions_renew ON websub_subscriptions (status, renew_at);
