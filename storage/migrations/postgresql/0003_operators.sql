-- Operators' tools: broadcasts previewed, followed and stoppable; feeds added and removed by
-- command. Times are UTC seconds since the epoch (double precision).

-- A broadcast is a 'draft' until the admin presses Send, then 'sending' (its outbox rows are
-- written in the same transaction), 'cancelled' when stopped, 'discarded' when never sent.
-- Broadcasts older than this migration were queued at once: they count as 'sending'.
ALTER TABLE broadcasts ADD COLUMN status TEXT NOT NULL DEFAULT 'sending'
    CHECK (status IN ('draft', 'sending', 'cancelled', 'discarded'));
ALTER TABLE broadcasts ADD COLUMN started_at DOUBLE PRECISION;          -- when Send was pressed
ALTER TABLE broadcasts ADD COLUMN progress_message_id BIGINT;  -- in admin_chat_id, edited in place
ALTER TABLE broadcasts ADD COLUMN summarised_at DOUBLE PRECISION;       -- when the progress became the summary
UPDATE broadcasts SET started_at = created_at, summarised_at = reported_at;

-- Feeds live in the database; WARTA_FEEDS only seeds it. A feed removed by command is disabled
-- (its items stay for /latest) and stays so even while it is still in the seed file.
ALTER TABLE feeds ADD COLUMN added_by BIGINT;              -- admin user id; NULL: seed file
ALTER TABLE feeds ADD COLUMN added_at DOUBLE PRECISION;
ALTER TABLE feeds ADD COLUMN removed_at DOUBLE PRECISION;

CREATE INDEX deliveries_by_finished ON deliveries(finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX items_by_feed_published ON items(feed_id, published_at);
