-- Chats, their topics, feeds with HTTP cache and error state, items, and the delivery outbox.
-- Times are UTC seconds since the epoch (REAL).

CREATE TABLE chats (
    id INTEGER PRIMARY KEY,            -- Telegram chat id
    type TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    created_at REAL NOT NULL
);

CREATE TABLE topics (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
    text TEXT NOT NULL,                -- as the reader wrote it
    key TEXT NOT NULL,                 -- canonical form: one topic per chat and key
    created_at REAL NOT NULL,
    UNIQUE (chat_id, key)
);

CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    initialised INTEGER NOT NULL DEFAULT 0,   -- 1 after the first successful fetch
    last_fetch_at REAL,
    last_success_at REAL,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_fetch_at REAL
);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    identity TEXT NOT NULL,            -- guid, else link, else a hash of title and summary
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,                -- cleaned text used for matching (capped)
    link TEXT NOT NULL,
    published_at REAL,
    fetched_at REAL NOT NULL,
    story_id INTEGER,                  -- the first item of the story this one retells; NULL: itself
    UNIQUE (feed_id, identity)
);
CREATE INDEX items_by_fetched ON items(fetched_at);

CREATE VIRTUAL TABLE items_fts USING fts5(
    title, body, content='items', content_rowid='id',
    tokenize = "unicode61 remove_diacritics 2"
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;

CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    admin_chat_id INTEGER NOT NULL,
    text_html TEXT NOT NULL,
    created_at REAL NOT NULL,
    reported_at REAL                   -- when the admin got the final summary
);

-- The outbox: one row per message to send, written in the same transaction as its cause.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
    item_id INTEGER REFERENCES items(id) ON DELETE CASCADE,
    story_id INTEGER,
    broadcast_id INTEGER REFERENCES broadcasts(id) ON DELETE CASCADE,
    topics TEXT NOT NULL DEFAULT '',   -- matched topics, one per line
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at REAL NOT NULL,
    finished_at REAL,
    UNIQUE (chat_id, story_id),
    UNIQUE (broadcast_id, chat_id)
);
CREATE INDEX deliveries_pending ON deliveries(chat_id, id) WHERE status = 'pending';
CREATE INDEX deliveries_by_item ON deliveries(item_id);
CREATE INDEX deliveries_by_broadcast ON deliveries(broadcast_id, status);
