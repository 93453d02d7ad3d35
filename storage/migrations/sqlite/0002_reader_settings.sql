-- Per-chat delivery settings, languages, regions, region-limited topics, channels and digests.

ALTER TABLE chats ADD COLUMN language TEXT NOT NULL DEFAULT 'id';
ALTER TABLE chats ADD COLUMN delivery TEXT NOT NULL DEFAULT 'instant'
    CHECK (delivery IN ('instant', 'hourly', 'daily'));
ALTER TABLE chats ADD COLUMN digest_hour INTEGER NOT NULL DEFAULT 7;      -- WIB hour of the daily digest
ALTER TABLE chats ADD COLUMN quiet_start INTEGER;                         -- WIB hour; NULL: no quiet hours
ALTER TABLE chats ADD COLUMN quiet_end INTEGER;
ALTER TABLE chats ADD COLUMN link_previews INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN silent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN last_digest_at REAL;
ALTER TABLE chats ADD COLUMN managed_by INTEGER;          -- a channel: the private chat that manages it
ALTER TABLE chats ADD COLUMN managing INTEGER;            -- a private chat: the channel it now manages

ALTER TABLE topics ADD COLUMN region TEXT;                -- NULL: items from any region

CREATE TABLE chat_regions (
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
    region TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (chat_id, region)
);

-- A digest gathers held alerts into one message; its outbox row has digest_id set.
CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
    created_at REAL NOT NULL
);
ALTER TABLE deliveries ADD COLUMN digest_id INTEGER REFERENCES digests(id) ON DELETE CASCADE;
ALTER TABLE deliveries ADD COLUMN held INTEGER NOT NULL DEFAULT 0;   -- waiting for a digest
CREATE INDEX deliveries_held ON deliveries(chat_id) WHERE held = 1;
