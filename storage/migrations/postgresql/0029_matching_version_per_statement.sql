-- matching_version moves once per statement that changed what matching holds, not once per row.
-- Row triggers made a bulk load (warta migrate-db copying 200,000 topics, a benchmark seeding
-- its readers) update that one row 200,000 times in one transaction, each update slower than
-- the last: 20,000 rows took 3.6 s and 200,000 minutes; per statement 200,000 take 0.1 s.
-- A statement that changed no row moves nothing, so no process reads its copy again for it.
-- Transition tables need one trigger per event; every one names its rows `changed`.
CREATE FUNCTION warta_matching_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        UPDATE matching_version SET version = version + 1;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER topics_matching_changed ON topics;
CREATE TRIGGER topics_inserted AFTER INSERT ON topics REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();
CREATE TRIGGER topics_updated AFTER UPDATE ON topics REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();
CREATE TRIGGER topics_deleted AFTER DELETE ON topics REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();

DROP TRIGGER chat_regions_matching_changed ON chat_regions;
CREATE TRIGGER chat_regions_inserted AFTER INSERT ON chat_regions REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();
CREATE TRIGGER chat_regions_updated AFTER UPDATE ON chat_regions REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();
CREATE TRIGGER chat_regions_deleted AFTER DELETE ON chat_regions REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();

DROP TRIGGER narrowings_matching_changed ON narrowings;
CREATE TRIGGER narrowings_inserted AFTER INSERT ON narrowings REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();
CREATE TRIGGER narrowings_updated AFTER UPDATE ON narrowings REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();
CREATE TRIGGER narrowings_deleted AFTER DELETE ON narrowings REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION warta_matching_rows_changed();
