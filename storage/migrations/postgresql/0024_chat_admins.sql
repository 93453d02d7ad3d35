-- The groups and channels a Telegram user was seen administering: who added the bot, who passed
-- a group's administrator check, who linked a channel with /channel. Only a list of chats to
-- offer in that user's Mini App: Telegram is asked again before any is shown or changed.
CREATE TABLE chat_admins (
    chat_id BIGINT NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    seen_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_admins_by_user ON chat_admins(user_id, seen_at);

-- Channels linked before: the private chat that manages one is its administrator's (same id).
INSERT INTO chat_admins (chat_id, user_id, seen_at)
SELECT id, managed_by, created_at FROM chats WHERE managed_by IS NOT NULL;
