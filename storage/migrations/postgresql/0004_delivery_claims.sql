-- Delivery claims and digest progress.
-- A message is claimed by the running sender just before it goes to Telegram, and every later
-- change of its row is made only while that claim holds: a broadcast cancelled (or a chat
-- paused) after the sender read the outbox sends nothing more, and a row dropped meanwhile is
-- never overwritten as sent. Claims of a process that died are released at the next start.
ALTER TABLE deliveries ADD COLUMN claim BIGINT;            -- the sender sending it now; NULL: free
-- A digest sent as several messages counts the parts Telegram accepted; the alerts in them are
-- marked sent at once, so a retry sends only the rest.
ALTER TABLE deliveries ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
