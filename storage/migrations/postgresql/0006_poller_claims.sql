-- Several pollers share the feeds: a poller claims the due feeds it will fetch, so each is
-- fetched by one poller per interval. A claim is free once its lease has passed or the process
-- that holds it is dead (see processes); recording the fetch's outcome gives it back.
ALTER TABLE feeds ADD COLUMN claimed_by BIGINT;                -- the process fetching the feed now
ALTER TABLE feeds ADD COLUMN claim_until DOUBLE PRECISION;     -- the claim's lease

-- Every process matches with its own copy of the topics and the regions followed: this number
-- goes up, in the same transaction, with every change of what that copy holds, so each process
-- sees when to read it again.
CREATE TABLE matching_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO matching_version (id, version) VALUES (1, 0);

CREATE FUNCTION warta_matching_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE matching_version SET version = version + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER topics_matching_changed AFTER INSERT OR UPDATE OR DELETE ON topics
FOR EACH ROW EXECUTE FUNCTION warta_matching_changed();
CREATE TRIGGER chat_regions_matching_changed AFTER INSERT OR UPDATE OR DELETE ON chat_regions
FOR EACH ROW EXECUTE FUNCTION warta_matching_changed();
-- Only an inactive chat's topics are left out, and a chat's id moves when it becomes a supergroup.
CREATE TRIGGER chats_matching_changed AFTER UPDATE OF active, id ON chats
FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active OR OLD.id IS DISTINCT FROM NEW.id)
EXECUTE FUNCTION warta_matching_changed();
