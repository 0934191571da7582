-- The NATS publisher's checkpoint: the global position up to which every event has been
-- published to a JetStream stream and acknowledged by it. One row per stream.
--
-- Not in projection_checkpoint: that table's lowest row is what read-your-writes waits
-- for, and publishing is not a read model. The row is advanced only after JetStream's
-- acknowledgements; at start the publisher also reads the stream's own last position and
-- resumes from there when the stream is behind (NATS lost its tail) or ahead (a crash
-- between the acknowledgement and this update).
create table publisher_checkpoint
(
    stream     text primary key,
    position   bigint      not null default 0 check (position >= 0),
    updated_at timestamptz not null default now()
);
