-- The effect ledger: one row per side effect a reactor or the reminder scheduler performs
-- (an email to one person, a push to one subscription), so that an event delivered twice,
-- or a reminder taken again after a crash, does not send twice.
--
-- key: `<reactor>/<aggregate_id>/<sequence>/<kind>/<recipient>` for event reactions,
--      `reminder/<meeting_id>/<email>/<minutes>/<due_at epoch>/<channel>` for reminders.
-- A worker first claims the key ('claimed', with the time), performs the effect, then
-- marks it 'done'. A claim older than the lease is taken over: its worker died between
-- claiming and finishing, and whether the effect happened is unknown, so it is done again
-- (at-least-once in that window; see infrastructure/src/notify/ledger.rs).
-- Not a read model: it survives projection rebuilds, which is what keeps a rebuilt
-- reminder table from sending past reminders again.
create table effect_ledger
(
    key        text primary key,
    status     text        not null check (status in ('claimed', 'done', 'failed')),
    claimed_at timestamptz not null default now(),
    attempts   integer     not null default 1,
    done_at    timestamptz,
    -- why a 'failed' effect was given up (a permanent SMTP refusal, ...)
    error      text
);

-- Housekeeping deletes done rows by age.
create index effect_ledger_done_at on effect_ledger (done_at) where done_at is not null;
