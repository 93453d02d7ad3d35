-- A teaser-only feed's new item is stored at once and waits here for its article page: its
-- alerts are queued when the page's text is had or when its budget ends (due_at), by whoever
-- deletes its row, in the same transaction as the alerts, so a crash loses none and none is
-- queued twice. owner is the poller fetching the page; a row whose owner stopped or went
-- silent is matched on its teaser by any poller once it is due.
CREATE TABLE pending_articles (
    item_id BIGINT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    link TEXT NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    owner BIGINT
);
CREATE INDEX pending_articles_by_due ON pending_articles (due_at);
