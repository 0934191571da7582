import { screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../../../../i18n';
import { aHistory, aMeeting, anEntry, bob, carol } from '../../../../testing/data';
import { json, mockApi } from '../../../../testing/mock-api';
import { renderApp } from '../../../../testing/render';
import { HistoryTimeline } from '../history-timeline';

const id = aMeeting().id;
const schedule = (day: number) => ({
  start: `2026-12-0${day}T10:00:00`,
  end: `2026-12-0${day}T11:00:00`,
  time_zone: 'UTC',
  starts_at: `2026-12-0${day}T10:00:00Z`,
  ends_at: `2026-12-0${day}T11:00:00Z`,
});
const bobInCall = { peer_id: 'p-bob', email: bob.email, display_name: 'Bob', node: 'n1' };

const history = aHistory(
  [
    anEntry(1, 'MeetingScheduled', { title: 'Planning', schedule: schedule(1), attendees: [{ email: bob.email, name: bob.name }] }),
    anEntry(2, 'MeetingRescheduled', { schedule: schedule(2), ical_sequence: 1 }),
    anEntry(3, 'MeetingDetailsChanged', { title: 'Planning v2', description: null, ical_sequence: 2 }),
    anEntry(4, 'RemindersChanged', { reminders: [60, 0] }),
    anEntry(5, 'AttendeesInvited', { attendees: [{ email: carol.email, name: carol.name }, { email: 'dan@example.org', name: null }], ical_sequence: 3 }),
    anEntry(6, 'AttendeeResponded', { email: bob.email, response: 'accepted' }, { ...bob, user_id: 'u-bob' }),
    anEntry(7, 'AttendeeResponded', { email: carol.email, response: 'tentative' }, { ...carol, user_id: 'u-carol' }),
    anEntry(8, 'AttendeeResponded', { email: 'dan@example.org', response: 'declined' }, { email: 'dan@example.org', name: null, user_id: 'u-dan' } as never),
    anEntry(9, 'AttendeeRemoved', { email: 'dan@example.org', ical_sequence: 4 }),
    anEntry(20, 'MeetingCancelled', { reason: 'Snowed in', ical_sequence: 5 }),
  ],
  [
    anEntry(10, 'RoomOpened', { room_id: 'r', meeting_id: id, at: '2026-11-20T09:10:00Z' }, { ...bob, user_id: 'u-bob' }),
    anEntry(11, 'ParticipantJoined', { participant: bobInCall, at: '2026-11-20T09:11:00Z' }, { ...bob, user_id: 'u-bob' }),
    anEntry(12, 'ParticipantExpired', { peer_id: 'p-bob', at: '2026-11-20T09:12:00Z' }),
    anEntry(13, 'ParticipantResumed', { peer_id: 'p-bob', node: 'n2', at: '2026-11-20T09:13:00Z' }),
    anEntry(14, 'ParticipantLeft', { peer_id: 'p-bob', at: '2026-11-20T09:14:00Z' }),
    anEntry(15, 'RoomEnded', { at: '2026-11-20T09:15:00Z' }),
    anEntry(21, 'RoomClosed', { at: '2026-11-20T09:21:00Z' }),
  ],
);

describe('the history timeline', () => {
  // Dates of this year are written without the year.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-25T12:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('tells each kind of event as a sentence, in the order it happened, with times', async () => {
    mockApi().on('GET', `/api/meetings/${id}/history`, json(200, history));
    renderApp(<HistoryTimeline meetingId={id} />);

    const items = await screen.findAllByRole('listitem');
    const sentences = items.map((item) => item.querySelector('p')?.textContent);
    expect(sentences).toEqual([
      'Ann Lee scheduled the meeting for Tue, Dec 1, 10:00 AM – 11:00 AM',
      'Ann Lee moved it to Wed, Dec 2, 10:00 AM – 11:00 AM',
      'Ann Lee renamed it “Planning v2”',
      'Ann Lee set reminders: at the start and 1 hour before',
      'Ann Lee invited Carol Diaz and dan@example.org',
      'Bob Stone accepted',
      'Carol Diaz said maybe',
      'dan@example.org declined',
      'Ann Lee removed dan@example.org',
      'The call started',
      'Bob joined the call',
      'Bob lost the connection to the call',
      'Bob reconnected to the call',
      'Bob left the call',
      'The call ended',
      'Ann Lee cancelled the meeting',
      'The call was closed: the meeting is cancelled',
    ]);
    expect(screen.getByText('1 guest invited')).toBeInTheDocument();
    expect(screen.getByText('Reason: Snowed in')).toBeInTheDocument();
    expect(items[0]?.querySelector('time')).toHaveAttribute('dateTime', '2026-11-20T09:01:00Z');
  });

  it('reads naturally in Russian', async () => {
    await i18n.changeLanguage('ru');
    mockApi().on('GET', `/api/meetings/${id}/history`, json(200, history));
    renderApp(<HistoryTimeline meetingId={id} />);

    expect(await screen.findByText('Bob Stone принимает приглашение')).toBeInTheDocument();
    expect(screen.getByText('Ann Lee приглашает участников: Carol Diaz и dan@example.org')).toBeInTheDocument();
    expect(screen.getByText('Ann Lee настраивает напоминания: в момент начала и за 1 час')).toBeInTheDocument();
    expect(screen.getByText('Приглашён 1 участник')).toBeInTheDocument();
    expect(screen.getByText('Bob выходит из звонка')).toBeInTheDocument();
  });
});
