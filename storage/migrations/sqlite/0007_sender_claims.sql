-- Senders in several processes draining one outbox.
-- A claim is the id of the sending process (processes.id): it holds while that process lives,
-- and is free again once the process stopped or fell silent. A chat has at most one claimed
-- message at a time, whoever sends it, so its messages keep their order across senders.
-- Claims left by a version that did not own them by process are freed: they may repeat.
UPDATE deliveries SET claim = NULL WHERE status = 'pending' AND claim IS NOT NULL;
CREATE UNIQUE INDEX deliveries_claimed ON deliveries(chat_id)
    WHERE status = 'pending' AND claim IS NOT NULL;
-- Per-chat spacing, shared by every sender: the chat's next message leaves no sooner than this
-- (Telegram's answer to its previous one plus the chat's interval, or a 429's retry_after).
ALTER TABLE chats ADD COLUMN send_after REAL NOT NULL DEFAULT 0;
-- Each chat's oldest sendable message (its head), found by walking the waiting messages in
-- queueing order: alerts first, then broadcasts, each along its own index.
CREATE INDEX deliveries_waiting_alerts ON deliveries(id)
    WHERE status = 'pending' AND held = 0 AND broadcast_id IS NULL;
CREATE INDEX deliveries_waiting_broadcasts ON deliveries(id)
    WHERE status = 'pending' AND held = 0 AND broadcast_id IS NOT NULL;
