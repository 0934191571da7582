/** Made-up people and meetings for tests. */

import type { HistoryEntry, HistoryView, MeetingView, Session } from '../lib/api/types';

export const ann = { user_id: 'u-ann', email: 'ann@example.org', name: 'Ann Lee' };
export const bob = { email: 'bob@example.org', name: 'Bob Stone' };
export const carol = { email: 'carol@example.org', name: 'Carol Diaz' };

export function aSession(overrides: Partial<Session> = {}): Session {
  return { ...ann, method: 'email', csrf_token: 'csrf-123', expires_at: '2030-01-01T00:00:00Z', ...overrides };
}

export function aMeeting(overrides: Partial<MeetingView> = {}): MeetingView {
  return {
    id: '0192f0c4-0000-7000-8000-000000000001',
    room_id: '0192f0c4-0000-7000-8000-0000000000aa',
    meeting_link: 'https://veche.example.org/rooms/0192f0c4-0000-7000-8000-0000000000aa',
    organizer: { ...ann },
    title: 'Planning',
    description: 'Quarterly planning',
    start: '2026-12-01T10:00:00',
    end: '2026-12-01T11:00:00',
    time_zone: 'UTC',
    starts_at: '2026-12-01T10:00:00Z',
    ends_at: '2026-12-01T11:00:00Z',
    status: 'scheduled',
    cancellation_reason: null,
    attendees: [
      { email: bob.email, name: bob.name, response: 'accepted' },
      { email: carol.email, name: carol.name, response: 'needs_action' },
    ],
    reminders: [10],
    ical_sequence: 0,
    version: 3,
    my_role: 'organizer',
    my_response: null,
    ...overrides,
  };
}

export function anEntry(sequence: number, event_type: string, changes: Record<string, unknown>, actor = ann, at?: string): HistoryEntry {
  return {
    sequence,
    position: 100 + sequence,
    event_type,
    event_version: '1.0',
    recorded_at: at ?? `2026-11-20T09:${String(sequence).padStart(2, '0')}:00Z`,
    actor: { user_id: 'user_id' in actor ? String(actor.user_id) : null, email: actor.email, name: actor.name },
    // The document types `changes` as an object without fields; the fields vary by event.
    changes: changes as HistoryEntry['changes'],
  };
}

export function aHistory(events: HistoryEntry[], call: HistoryEntry[] = []): HistoryView {
  return { meeting_id: aMeeting().id, as_of: null, events, state: null, call };
}
