-- FTS5 indexes each item's words as storage/fulltext.py writes them into `search_words` (each
-- word without its clitics: "banjirnya" is "banjir"), so that a search asks for a word once
-- instead of in each of its clitic forms. The title's words are its first line, the body's the
-- rest: two columns of the index, so that no phrase spans the two. The index keeps no copy of
-- them (content=''): the triggers give it the words to add and, from the row, those to remove.
-- Items stored before this have none yet (NULL): Storage.open writes them, newest first.
ALTER TABLE items ADD COLUMN search_words TEXT;
DROP TRIGGER items_fts_insert;
DROP TRIGGER items_fts_delete;
DROP TABLE items_fts;
CREATE VIRTUAL TABLE items_fts USING fts5(
    title_words, body_words, content='',
    tokenize = "unicode61 remove_diacritics 2"
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items WHEN new.search_words IS NOT NULL BEGIN
    INSERT INTO items_fts(rowid, title_words, body_words) VALUES (
        new.id,
        substr(new.search_words, 1, instr(new.search_words, char(10)) - 1),
        substr(new.search_words, instr(new.search_words, char(10)) + 1)
    );
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items WHEN old.search_words IS NOT NULL BEGIN
    INSERT INTO items_fts(items_fts, rowid, title_words, body_words) VALUES (
        'delete', old.id,
        substr(old.search_words, 1, instr(old.search_words, char(10)) - 1),
        substr(old.search_words, instr(old.search_words, char(10)) + 1)
    );
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF search_words ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title_words, body_words)
    SELECT 'delete', old.id,
        substr(old.search_words, 1, instr(old.search_words, char(10)) - 1),
        substr(old.search_words, instr(old.search_words, char(10)) + 1)
    WHERE old.search_words IS NOT NULL;
    INSERT INTO items_fts(rowid, title_words, body_words)
    SELECT new.id,
        substr(new.search_words, 1, instr(new.search_words, char(10)) - 1),
        substr(new.search_words, instr(new.search_words, char(10)) + 1)
    WHERE new.search_words IS NOT NULL;
END;
CREATE INDEX items_search_pending ON items(id) WHERE search_words IS NULL;
