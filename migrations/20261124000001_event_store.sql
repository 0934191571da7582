-- The event store: postgres-es's `events` table, extended with a global order.
--
-- postgres-es inserts with an explicit column list (aggregate_type .. metadata), so the
-- three columns added here fill in from their defaults:
-- * global_position: the order of the global log. An identity value is taken when the
--   row is inserted, not when its transaction commits, so positions may become visible
--   out of order; readers therefore also use transaction_id (see below).
-- * transaction_id: the writing transaction. A reader takes only events whose transaction
--   is older than the oldest one still running (pg_snapshot_xmin), so an event with a
--   lower position that commits later is never skipped.
-- * recorded_at: when the event was stored, for auditors and "as of" replays.
-- The primary key is the optimistic-concurrency check: two writers of one aggregate
-- cannot both append the same sequence number.
create table events
(
    aggregate_type  text                                   not null,
    aggregate_id    text                                   not null,
    sequence        bigint check (sequence >= 0)           not null,
    event_type      text                                   not null,
    event_version   text                                   not null,
    payload         json                                   not null,
    metadata        json                                   not null,
    global_position bigint generated always as identity    not null,
    transaction_id  xid8        default pg_current_xact_id() not null,
    recorded_at     timestamptz default now()              not null,
    constraint events_pkey primary key (aggregate_type, aggregate_id, sequence)
);

-- The global log is read in position order from a checkpoint.
create unique index events_by_global_position on events (global_position);

-- Snapshots are not used (meetings are short streams) but postgres-es expects the table.
create table snapshots
(
    aggregate_type   text                                 not null,
    aggregate_id     text                                 not null,
    last_sequence    bigint check (last_sequence >= 0)    not null,
    current_snapshot bigint check (current_snapshot >= 0) not null,
    payload          json                                 not null,
    primary key (aggregate_type, aggregate_id, last_sequence)
);

-- Wake global log readers when events are appended. The notification is delivered at
-- commit, once per transaction (identical payloads are folded), and carries nothing:
-- readers always re-read from their checkpoint. Polling remains the fallback.
create function notify_events_appended() returns trigger
    language plpgsql as
$$
begin
    perform pg_notify('veche_events', '');
    return null;
end;
$$;

create trigger events_appended
    after insert on events
    for each statement
execute function notify_events_appended();
