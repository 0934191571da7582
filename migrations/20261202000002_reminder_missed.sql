-- A reminder that was not sent before its meeting started is let go: the scheduler stamps
-- it `missed_at`, and the pending index keeps only rows that can still be sent. Before, the
-- rows of past meetings that were never sent (every one of them after a rebuild of
-- `reminders`, whose rows start unsent) stayed pending for ever, and each take of the
-- scheduler scanned them all (22 ms per take with 300,000 of them, several takes a second).
-- A reschedule that moves the reminder clears the stamp with `sent_at` (projections/reminders.rs).
alter table reminder_due add column missed_at timestamptz;

drop index reminder_due_pending;
create index reminder_due_pending on reminder_due (due_at) where sent_at is null and missed_at is null;
