-- "Less like this": narrowings a reader chose from an alert's "why", stored beside the topic (the
-- topic's own text and its length limit stay as the reader wrote them). kind 'exclude' drops
-- items naming `value`; 'title' keeps only items whose title carries the topic; 'place' keeps
-- only items from the place named `value`; 'feed' (topic_id NULL) mutes the feed whose id is
-- `value` for the whole chat.
CREATE TABLE narrowings (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
    topic_id INTEGER REFERENCES topics(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('exclude', 'title', 'place', 'feed')),
    value TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
-- One of each per chat and topic; a feed's mute (no topic) counts as topic 0.
CREATE UNIQUE INDEX narrowings_unique ON narrowings(chat_id, coalesce(topic_id, 0), kind, value);
CREATE INDEX narrowings_by_topic ON narrowings(topic_id);

-- What matching holds changes with them: every process reads its copy again.
CREATE TRIGGER narrowings_added AFTER INSERT ON narrowings
BEGIN UPDATE matching_version SET version = version + 1; END;
CREATE TRIGGER narrowings_removed AFTER DELETE ON narrowings
BEGIN UPDATE matching_version SET version = version + 1; END;

-- Readers asking "why" and narrowing, counted per topic for the operators' /stats.
CREATE TABLE explain_events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('why', 'narrow')),
    topic TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX explain_events_by_time ON explain_events(created_at);

-- The Telegram message an alert became: a reaction on it names the message, not the alert.
ALTER TABLE deliveries ADD COLUMN message_id INTEGER;
CREATE INDEX deliveries_by_message ON deliveries(chat_id, message_id) WHERE message_id IS NOT NULL;
