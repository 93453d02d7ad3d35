-- The `search` tsvector now holds each word without its clitics ("banjirnya" is "banjir",
-- storage/fulltext.py), so that a search asks for a word once instead of in each of its clitic
-- forms. Items stored before this keep their old words until Storage.open writes them again
-- (search_pending); new items are written so from the start.
ALTER TABLE items ADD COLUMN search_pending BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE items ALTER COLUMN search_pending SET DEFAULT false;
CREATE INDEX items_search_pending ON items(id) WHERE search_pending;
