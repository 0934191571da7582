-- The calendar feed: who should look at which meeting again, in the order the projector
-- wrote it (`id`: the projector's one leader writes one batch at a time, so ids grow in
-- commit order). The web app's live stream (`GET /api/calendar/stream`) reads it; rows
-- older than a day are deleted (a browser away longer reloads its calendar anyway).
create table calendar_change
(
    id          bigint      generated always as identity primary key,
    user_email  text        not null,
    meeting_id  uuid        not null,
    recorded_at timestamptz not null default now()
);
create index calendar_change_by_person on calendar_change (user_email, id);
create index calendar_change_age on calendar_change (recorded_at);

-- The feed starts at the log's head: what happened before it existed concerns no browser.
insert into projection_checkpoint (name, transaction_id, position)
select 'calendar_feed', coalesce(head.transaction_id, 0), coalesce(head.global_position, 0)
from (select 1) always
left join lateral (select transaction_id::text::bigint as transaction_id, global_position from events
                   order by transaction_id desc, global_position desc limit 1) head on true
on conflict do nothing;
