-- Aggregates the projections could not apply an event of (a bug, or an event stored before
-- a rule that would have refused it). The projector sets such an aggregate aside and goes on
-- with the rest of the log: one bad event must not stop every calendar. Its later events
-- are passed over too (applying them to a state that lacks an earlier one would be wrong)
-- until `veche projections retry` asks the projector to replay the aggregate from its first
-- event, once the cause is fixed.
create table projection_quarantine
(
    aggregate_type  text        not null,
    aggregate_id    text        not null,
    -- the event that could not be applied, and why
    position        bigint      not null,
    event_type      text        not null,
    error           text        not null,
    quarantined_at  timestamptz not null default now(),
    -- set by `veche projections retry`; the projector replays the aggregate and, if that
    -- works, deletes the row
    retry_requested boolean     not null default false,
    primary key (aggregate_type, aggregate_id)
);

-- A read-model row of a quarantined aggregate is marked: it shows the aggregate as it was
-- before the event that could not be applied.
alter table meeting_view add column quarantined boolean not null default false;
alter table room_view add column quarantined boolean not null default false;
