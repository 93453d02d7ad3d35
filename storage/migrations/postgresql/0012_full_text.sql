-- The whole article: a feed that sends only teasers has each new item's page fetched and its
-- main text matched too. 'auto' decides from the lengths of the text the feed itself sent for
-- its recent entries (newest last, space separated); 'always' and 'never' come from the feeds
-- file or OPML.
ALTER TABLE feeds ADD COLUMN full_text TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE feeds ADD COLUMN text_lengths TEXT NOT NULL DEFAULT '';
-- Article pages that could not be had in time (the item was matched on its teaser).
ALTER TABLE feeds ADD COLUMN article_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN article_error TEXT;
ALTER TABLE feeds ADD COLUMN article_error_at DOUBLE PRECISION;
