-- One rate budget for every call any process makes to Telegram (alerts, replies, edits, button
-- answers), however many processes send. It is a grid of turns, one every 1/rate seconds, that
-- processes reserve a few at a time: a process holds at most a fraction of a second of it, so
-- one that dies strands next to nothing. While several processes take turns, the grid runs a
-- little slower (room for their calls reaching Telegram bunched). The first turns of a
-- reservation may go free (within Telegram's free 30 a second, a grid of its own); the rest are
-- paid broadcasts. A 429 from Telegram pauses every process's senders until its retry_after.
CREATE TABLE send_budget (
    id INTEGER PRIMARY KEY CHECK (id = 1),  -- one row
    calls_at REAL NOT NULL,                 -- the grid's next turn not taken (Unix time)
    free_at REAL NOT NULL,                  -- no turn before this goes free
    paused_until REAL NOT NULL,             -- senders wait until then (Telegram's retry_after)
    paused_by INTEGER NOT NULL,             -- whose 429 began it (its own sender knows)
    taker INTEGER NOT NULL,                 -- the process that reserved last
    shared_until REAL NOT NULL,             -- until then, several processes take turns
    granted_from REAL NOT NULL,             -- the latest reservation: its first turn,
    granted_interval REAL NOT NULL,         -- the time between its turns,
    granted_free INTEGER NOT NULL           -- and how many of its first turns go free
);
INSERT INTO send_budget (id, calls_at, free_at, paused_until, paused_by, taker, shared_until,
    granted_from, granted_interval, granted_free)
VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
