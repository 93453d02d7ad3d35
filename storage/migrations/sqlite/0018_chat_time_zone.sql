-- A chat's clock: Indonesia's three zones. Digest hour and quiet hours keep their numbers and
-- are read on it; every chat so far lived on WIB.
ALTER TABLE chats ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'WIB'
    CHECK (time_zone IN ('WIB', 'WITA', 'WIT'));
