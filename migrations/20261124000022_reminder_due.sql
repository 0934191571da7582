-- reminders (a read model): one row per (meeting, person, offset) that is to be reminded,
-- for the organizer and every attendee who has not declined a scheduled meeting. Built by
-- the projector from the log; a reschedule moves `due_at`, a cancellation, a removal or a
-- decline deletes the row. The scheduler of every node takes due rows with
-- FOR UPDATE SKIP LOCKED and sets `sent_at`; the effect ledger keeps a rebuilt table from
-- sending again what was sent.
create table reminder_due
(
    meeting_id     uuid        not null,
    user_email     text        not null,
    minutes_before integer     not null check (minutes_before >= 0),
    -- computed in the meeting's IANA zone (whole days as calendar days, see reminders.rs)
    due_at         timestamptz not null,
    starts_at      timestamptz not null,
    -- a scheduler's claim: while it is in the future, other schedulers leave the row alone
    claimed_until  timestamptz,
    sent_at        timestamptz,
    primary key (meeting_id, user_email, minutes_before)
);

-- The scheduler's scan: the earliest unsent rows.
create index reminder_due_pending on reminder_due (due_at) where sent_at is null;
