-- Appending transactions no longer NOTIFY. PostgreSQL takes its global notification lock
-- before commit and keeps it through the commit's WAL flush, so a NOTIFY in every append
-- made appends commit one fsync at a time: the benchmark showed raw appends slower at 64
-- clients than at 8. The writer now wakes its own node in memory and announces appends to
-- other nodes from a separate, rate-limited transaction (projections/src/wake.rs).
drop trigger events_appended on events;
drop function notify_events_appended();
