-- Rooms: which meeting a room belongs to, who is in it now, and which nodes are alive.

-- The meeting a room belongs to, so that a join can be authorised by the room id alone.
alter table meeting_view add column room_id uuid;
update meeting_view set room_id = (state -> 'state' ->> 'room_id')::uuid;
alter table meeting_view alter column room_id set not null;
create unique index meeting_view_by_room on meeting_view (room_id);

-- The `rooms` projection: one row per room that was ever joined or closed.
create table room_view
(
    room_id      uuid primary key,
    meeting_id   uuid,
    -- between RoomOpened and RoomEnded
    open         boolean     not null default false,
    -- the meeting was cancelled; joins are refused
    closed       boolean     not null default false,
    -- [{peer_id, email, display_name, node}] as the Room aggregate has them
    participants jsonb       not null default '[]',
    opened_at    timestamptz,
    ended_at     timestamptz,
    version      bigint      not null,
    position     bigint      not null,
    -- the Room aggregate as its own `apply` built it
    state        jsonb       not null
);

-- Participants per node, for the lease sweeper (a dead node's participants expire).
create index room_view_open on room_view (room_id) where open;

-- Each node renews its lease while it runs; participants held by a node whose lease ran
-- out are expired by any other node.
create table node_lease
(
    node_id    text primary key,
    started_at timestamptz not null default now(),
    expires_at timestamptz not null
);
