-- Every turn of the send budget given out within the last seconds, whichever process took it and
-- whether it went free: the exact count of what reached Telegram within any second, which a
-- call that must go free (a reply) waits on. Each reservation adds its turns and removes those
-- older than a few seconds, so the table stays at about the rate's worth of rows.
CREATE TABLE send_turns (
    at DOUBLE PRECISION NOT NULL, -- the turn (Unix time, the database server's clock)
    free INTEGER NOT NULL         -- 1: it goes without allow_paid_broadcast
);
CREATE INDEX send_turns_at ON send_turns (at);
