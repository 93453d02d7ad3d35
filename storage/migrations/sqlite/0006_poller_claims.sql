-- Several pollers share the feeds: a poller claims the due feeds it will fetch, so each is
-- fetched by one poller per interval. A claim is free once its lease has passed or the process
-- that holds it is dead (see processes); recording the fetch's outcome gives it back.
ALTER TABLE feeds ADD COLUMN claimed_by INTEGER;     -- the process fetching the feed now
ALTER TABLE feeds ADD COLUMN claim_until REAL;       -- the claim's lease

-- Every process matches with its own copy of the topics and the regions followed: this number
-- goes up, in the same transaction, with every change of what that copy holds, so each process
-- sees when to read it again.
CREATE TABLE matching_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO matching_version (id, version) VALUES (1, 0);

CREATE TRIGGER topics_added AFTER INSERT ON topics
BEGIN UPDATE matching_version SET version = version + 1; END;
CREATE TRIGGER topics_changed AFTER UPDATE ON topics
BEGIN UPDATE matching_version SET version = version + 1; END;
CREATE TRIGGER topics_removed AFTER DELETE ON topics
BEGIN UPDATE matching_version SET version = version + 1; END;
CREATE TRIGGER chat_regions_added AFTER INSERT ON chat_regions
BEGIN UPDATE matching_version SET version = version + 1; END;
CREATE TRIGGER chat_regions_changed AFTER UPDATE ON chat_regions
BEGIN UPDATE matching_version SET version = version + 1; END;
CREATE TRIGGER chat_regions_removed AFTER DELETE ON chat_regions
BEGIN UPDATE matching_version SET version = version + 1; END;
-- Only an inactive chat's topics are left out, and a chat's id moves when it becomes a supergroup.
CREATE TRIGGER chats_matching_changed AFTER UPDATE OF active, id ON chats
WHEN OLD.active IS NOT NEW.active OR OLD.id IS NOT NEW.id
BEGIN UPDATE matching_version SET version = version + 1; END;
