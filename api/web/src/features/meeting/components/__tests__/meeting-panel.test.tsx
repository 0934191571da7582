import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { aMeeting, ann, bob, carol } from '../../../../testing/data';
import { json, mockApi } from '../../../../testing/mock-api';
import { renderApp } from '../../../../testing/render';
import { MeetingPanel } from '../meeting-panel';

const dave = { email: 'dave@example.org', name: 'Dave Moss' };
const erin = { email: 'erin@example.org', name: null };

const invitation = aMeeting({
  my_role: 'attendee',
  my_response: 'needs_action',
  attendees: [
    { email: bob.email, name: bob.name, response: 'accepted' },
    { email: carol.email, name: carol.name, response: 'tentative' },
    { email: dave.email, name: dave.name, response: 'needs_action' },
    { email: erin.email, name: erin.name, response: 'declined' },
  ],
});

function listItemOf(name: string) {
  return screen.getAllByRole('listitem').find((item) => within(item).queryByText(name))!;
}

describe('the meeting panel', () => {
  it('shows every answer with an icon and words, and sends the person’s own answer', async () => {
    const accepted = aMeeting({
      ...invitation,
      my_response: 'accepted',
      attendees: invitation.attendees.map((a) => (a.email === dave.email ? { ...a, response: 'accepted' as const } : a)),
      version: 4,
    });
    const api = mockApi()
      .on('GET', `/api/meetings/${invitation.id}`, json(200, invitation))
      .on('PUT', `/api/meetings/${invitation.id}/response`, json(200, { meeting: accepted, version: 4, position: 9 }));
    const user = userEvent.setup();
    renderApp(<MeetingPanel id={invitation.id} me={dave.email} onClose={vi.fn()} />);

    expect(await screen.findByRole('heading', { name: 'Planning', level: 2 })).toBeInTheDocument();
    expect(within(listItemOf('Bob Stone')).getByText('Accepted')).toBeInTheDocument();
    expect(within(listItemOf('Carol Diaz')).getByText('Maybe')).toBeInTheDocument();
    expect(within(listItemOf('Dave Moss')).getByText('Awaiting reply')).toBeInTheDocument();
    expect(within(listItemOf('erin@example.org')).getByText('Declined')).toBeInTheDocument();
    expect(within(listItemOf('Ann Lee')).getByText(/organizer/)).toBeInTheDocument();
    expect(screen.getByText('1 yes, 1 maybe, 1 no, and 1 awaiting')).toBeInTheDocument();

    const going = screen.getByRole('group', { name: 'Going?' });
    await user.click(within(going).getByRole('button', { name: 'Yes' }));

    const [sent] = api.sent('PUT', `/api/meetings/${invitation.id}/response`);
    expect(sent?.body).toEqual({ response: 'accepted' });
    await vi.waitFor(() => expect(within(going).getByRole('button', { name: 'Yes' })).toHaveAttribute('aria-pressed', 'true'));
    expect(within(listItemOf('Dave Moss')).getByText('Accepted')).toBeInTheDocument();
  });

  it('leads to the call room and shows the meeting’s own zone when it differs', async () => {
    const berlin = aMeeting({ ...invitation, time_zone: 'Europe/Berlin', start: '2026-12-01T11:00:00', end: '2026-12-01T12:00:00' });
    mockApi().on('GET', `/api/meetings/${berlin.id}`, json(200, berlin));
    renderApp(<MeetingPanel id={berlin.id} me={dave.email} onClose={vi.fn()} />);

    expect(await screen.findByRole('link', { name: 'Join call' })).toHaveAttribute('href', `/rooms/${berlin.room_id}`);
    expect(screen.getByText(/in Berlin$/)).toBeInTheDocument();
  });

  it('gives the organizer Edit and Cancel, and cancels with a reason after asking', async () => {
    const meeting = aMeeting({ my_role: 'organizer', version: 3 });
    const cancelled = aMeeting({ status: 'cancelled', cancellation_reason: 'Snowed in', version: 4 });
    const api = mockApi()
      .on('GET', `/api/meetings/${meeting.id}`, json(200, meeting), json(200, cancelled))
      .on('POST', `/api/meetings/${meeting.id}/cancel`, json(200, { meeting: cancelled, version: 4, position: 12 }));
    const user = userEvent.setup();
    renderApp(<MeetingPanel id={meeting.id} me={ann.email} onClose={vi.fn()} />);

    expect(await screen.findByRole('button', { name: 'Edit' })).toBeInTheDocument();
    expect(screen.queryByRole('group', { name: 'Going?' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Cancel meeting' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel the meeting?' });
    await user.type(within(dialog).getByLabelText(/Reason/), 'Snowed in');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel meeting' }));

    expect(await screen.findByText('This meeting is cancelled.')).toBeInTheDocument();
    const [sent] = api.sent('POST', `/api/meetings/${meeting.id}/cancel`);
    expect(sent?.body).toEqual({ reason: 'Snowed in' });
    expect(sent?.headers.get('If-Match')).toBe('"3"');
  });

  it('closes with Escape', async () => {
    mockApi().on('GET', `/api/meetings/${invitation.id}`, json(200, invitation));
    const onClose = vi.fn();
    const user = userEvent.setup();
    renderApp(<MeetingPanel id={invitation.id} me={dave.email} onClose={onClose} />);

    await screen.findByRole('heading', { name: 'Planning', level: 2 });
    await user.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalled();
  });
});
