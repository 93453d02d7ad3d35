-- Where each item's story happens: the Kemendagri codes of the places the locator found in it
-- (a kabupaten/kota with its province) and of its feed's region when that names a place.
-- Followers of a place are found by code, so the code is indexed.
CREATE TABLE item_places (
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    place_code TEXT NOT NULL,
    PRIMARY KEY (item_id, place_code)
);
CREATE INDEX item_places_by_code ON item_places (place_code, item_id);

-- The items stored before places were read: the bot locates them at start, a batch at a time,
-- and takes each off this list once its places are stored.
CREATE TABLE places_backlog (
    item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE
);
INSERT INTO places_backlog (item_id) SELECT id FROM items;
