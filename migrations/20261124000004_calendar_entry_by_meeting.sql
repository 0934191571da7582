-- The calendar projection replaces a meeting's rows when the meeting changes, which looks
-- rows up by meeting. The primary key leads with user_email, so without this index every
-- change scanned the whole table (found by the benchmark at one million events).
create index calendar_entry_by_meeting on calendar_entry (meeting_id);
