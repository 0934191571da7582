-- calendar_entry is written for every meeting a batch touches (its rows upserted, and those
-- of removed people deleted by meeting), and read by person and start time through the
-- covering index. A primary key that leads with meeting_id serves the writes by itself, so
-- the separate index on meeting_id goes: one B-tree fewer to update for every row a
-- reschedule moves. (The key's columns are the same, so `on conflict (user_email,
-- meeting_id)` still names it.) On a large table this rebuilds the key: one index build.
alter table calendar_entry drop constraint calendar_entry_pkey;
alter table calendar_entry add primary key (meeting_id, user_email);
drop index calendar_entry_by_meeting;
