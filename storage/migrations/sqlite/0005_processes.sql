-- Roles in separate processes: each process says it is alive, and one holds each lease.
-- A process picks a random id at start, writes a row and beats every few seconds; a row whose
-- beat is old belongs to a process that died (or a machine that vanished): its claims on
-- feeds and messages may be taken over.
CREATE TABLE processes (
    id INTEGER PRIMARY KEY,             -- random, chosen by the process at start
    roles TEXT NOT NULL,                -- comma-separated: updates,poller,sender,scheduler
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    stopped_at REAL                     -- set by a clean stop; NULL while running or after a crash
);
CREATE INDEX processes_by_heartbeat ON processes(heartbeat_at);
-- One holder at a time for cluster-wide duties (the scheduler's leader): taken when free or
-- expired, renewed by its holder well before it expires.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
