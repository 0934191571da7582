-- The global log is read in (transaction id, position) order, not in position order.
--
-- A transaction's id and its positions are taken at different moments, so an older
-- transaction can hold a higher position than a younger one that is still running; a
-- reader that went by position past the older one's event, once it committed, never saw
-- the younger one's lower position (found under load: a meeting or two in ten thousand
-- missing from the read models). Readers now keep a cursor of both (see
-- projections/src/global_log.rs), on this index.
create index events_in_log_order on events (transaction_id, global_position);

-- Checkpoints become cursors: the transaction id (as a number) beside the position.
alter table projection_checkpoint add column transaction_id bigint not null default 0 check (transaction_id >= 0);
alter table publisher_checkpoint add column transaction_id bigint not null default 0 check (transaction_id >= 0);

-- The read models may lack events the old order skipped: rebuild them from the first
-- event (the projector does so at start; reminders already sent stay sent, the effect
-- ledger remembers them).
truncate table meeting_view, calendar_entry, room_view, reminder_due;
update projection_checkpoint set position = 0, transaction_id = 0, updated_at = now();

-- The publisher resumes at the oldest transaction that wrote an event after its old
-- checkpoint: everything of older transactions was published (unless the old order
-- skipped it, which this does not repair), and the events of that transaction already
-- published are sent again, for JetStream to drop as duplicates within its window.
update publisher_checkpoint c
set transaction_id = coalesce((select min(e.transaction_id::text::bigint) from events e where e.global_position > c.position),
                              (select max(e.transaction_id::text::bigint) + 1 from events e), 0),
    position       = 0,
    updated_at     = now();
