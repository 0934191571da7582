-- Read models. Everything here is derived from `events` and can be rebuilt from zero
-- (`veche projections rebuild`), so none of it is a source of truth.

-- One row per projection: the global position up to which its read model is built.
-- It is advanced in the same transaction as the read model it describes.
create table projection_checkpoint
(
    name       text primary key,
    position   bigint      not null default 0 check (position >= 0),
    updated_at timestamptz not null default now()
);

-- meeting_details: each meeting's current state, as the Meeting aggregate itself
-- computes it (the projector applies events with the aggregate's own `apply`), so the
-- read model cannot disagree with the write model. Columns beside `state` are the ones
-- queries filter on.
create table meeting_view
(
    meeting_id   uuid primary key,
    organizer_id text        not null,
    status       text        not null,
    starts_at    timestamptz not null,
    ends_at      timestamptz not null,
    version      bigint      not null,
    -- the global position of the last event applied, for read-your-writes checks
    position     bigint      not null,
    state        jsonb       not null,
    updated_at   timestamptz not null
);

-- calendar: who has which meeting when. One row per (person, meeting), for the organizer
-- and each attendee, keyed by email because attendees are invited by email.
create table calendar_entry
(
    user_email text        not null,
    meeting_id uuid        not null,
    role       text        not null check (role in ('organizer', 'attendee')),
    starts_at  timestamptz not null,
    ends_at    timestamptz not null,
    primary key (user_email, meeting_id)
);

-- A range query is "this person's entries starting before `to` and ending after `from`".
-- Meetings are at most seven days long, so the scan is bounded by
-- starts_at in [from - 7 days, to) on this index.
create index calendar_entry_by_user_and_start on calendar_entry (user_email, starts_at);
