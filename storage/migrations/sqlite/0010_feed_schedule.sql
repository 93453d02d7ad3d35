-- Each feed is polled at its own interval (from its publishing rate and what its site asks for,
-- within WARTA_POLL_SECONDS..WARTA_POLL_MAX_SECONDS): the interval chosen at its last fetch and
-- why, kept so /feeds and `warta feeds check` can show them.
ALTER TABLE feeds ADD COLUMN poll_interval REAL;     -- seconds until the next poll, as chosen
ALTER TABLE feeds ADD COLUMN poll_reason TEXT;       -- rate, quiet, cache, ttl, retry_after, ...
