import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { setCsrfToken } from '../../../../lib/api-client';
import { aMeeting, ann, bob } from '../../../../testing/data';
import { json, mockApi, problem } from '../../../../testing/mock-api';
import { renderApp } from '../../../../testing/render';
import { MeetingEditor } from '../meeting-editor';

const created = (body: { title: string }) =>
  json(201, { meeting: aMeeting({ title: body.title, attendees: [] }), version: 1, position: 7 });

function renderNewMeeting(onClose = vi.fn()) {
  return renderApp(
    <MeetingEditor
      target={{ kind: 'new', start: new Date('2026-12-01T10:00:00Z'), end: new Date('2026-12-01T11:00:00Z') }}
      organizer={ann.email}
      onClose={onClose}
    />,
  );
}

describe('the meeting editor', () => {
  it('sends the new meeting with named attendees, reminders and the chosen time zone', async () => {
    setCsrfToken('csrf-123');
    const api = mockApi()
      .on('GET', '/api/people', json(200, { people: [bob] }))
      .on('POST', '/api/meetings', (request) => created(request.body as { title: string }));
    const user = userEvent.setup();
    const onClose = vi.fn();
    renderNewMeeting(onClose);

    await user.type(screen.getByLabelText('Title'), 'Design review');
    await user.type(screen.getByLabelText('Guests'), 'bo');
    await user.click(await screen.findByRole('option', { name: /Bob Stone/ }));
    await user.type(screen.getByLabelText('Guests'), 'Dave <dave@example.org>{Enter}');
    await user.type(screen.getByLabelText('Guests'), 'erin@example.org');
    await user.selectOptions(screen.getByLabelText('Reminders'), '1 hour before');
    await user.selectOptions(screen.getByLabelText('Time zone'), 'Europe/Berlin');
    await user.type(screen.getByLabelText('Description'), 'Bring sketches');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
    const [sent] = api.sent('POST', '/api/meetings');
    expect(sent?.body).toEqual({
      title: 'Design review',
      description: 'Bring sketches',
      start: '2026-12-01T10:00:00',
      end: '2026-12-01T11:00:00',
      time_zone: 'Europe/Berlin',
      attendees: [
        { email: 'bob@example.org', name: 'Bob Stone' },
        { email: 'dave@example.org', name: 'Dave' },
        { email: 'erin@example.org' },
      ],
      reminders: [10, 60],
    });
    expect(sent?.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent?.headers.get('X-CSRF-Token')).toBe('csrf-123');
  });

  it('shows the field the server refused (422) next to that field', async () => {
    mockApi().on(
      'POST',
      '/api/meetings',
      problem(422, 'validation', 'title: the title is longer than 200 characters', { field: 'title', code: 'title-too-long' }),
    );
    const user = userEvent.setup();
    renderNewMeeting();

    await user.type(screen.getByLabelText('Title'), 'Long');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    const title = screen.getByLabelText('Title');
    await vi.waitFor(() => expect(title).toHaveAccessibleDescription('The title is too long.'));
    expect(title).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('dialog', { name: 'New meeting' })).toBeInTheDocument();
  });

  it('puts a refused attendee address under the guests field', async () => {
    mockApi().on(
      'POST',
      '/api/meetings',
      problem(422, 'validation', 'attendees[0].email: `x@y.z` is not a valid email address', { field: 'attendees[0].email', code: 'invalid-email' }),
    );
    const user = userEvent.setup();
    renderNewMeeting();

    await user.type(screen.getByLabelText('Title'), 'Sync');
    await user.type(screen.getByLabelText('Guests'), 'x@y.z{Enter}');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    await vi.waitFor(() => expect(screen.getByLabelText('Guests')).toHaveAccessibleDescription('This is not an email address.'));
  });

  it('retries a failed save with the same idempotency key, so that no meeting is made twice', async () => {
    const api = mockApi().on(
      'POST',
      '/api/meetings',
      () => Promise.reject(new TypeError('network down')),
      (request) => created(request.body as { title: string }),
    );
    const user = userEvent.setup();
    const onClose = vi.fn();
    renderNewMeeting(onClose);

    await user.type(screen.getByLabelText('Title'), 'Retro');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not reach veche');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
    const keys = api.sent('POST', '/api/meetings').map((request) => request.headers.get('Idempotency-Key'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('checks the title and the end before asking the server', async () => {
    const api = mockApi();
    const user = userEvent.setup();
    renderNewMeeting();

    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(screen.getByLabelText('Title')).toHaveAccessibleDescription('Give the meeting a title.');
    expect(api.requests).toHaveLength(0);
  });

  it('saves only what changed in an existing meeting, each change on the version before it', async () => {
    const meeting = aMeeting({ version: 3 });
    const api = mockApi()
      .on('PATCH', `/api/meetings/${meeting.id}`, json(200, { meeting: aMeeting({ version: 4, title: 'Planning 2' }), version: 4, position: 10 }))
      .on('PUT', `/api/meetings/${meeting.id}/schedule`, json(200, { meeting: aMeeting({ version: 5 }), version: 5, position: 11 }));
    const user = userEvent.setup();
    renderApp(<MeetingEditor target={{ kind: 'edit', meeting }} organizer={ann.email} onClose={vi.fn()} />);

    const title = screen.getByLabelText('Title');
    await user.clear(title);
    await user.type(title, 'Planning 2');
    await user.selectOptions(screen.getByLabelText('Time zone'), 'Europe/Berlin');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    await vi.waitFor(() => expect(api.sent('PUT', `/api/meetings/${meeting.id}/schedule`)).toHaveLength(1));
    const [patch] = api.sent('PATCH', `/api/meetings/${meeting.id}`);
    const [put] = api.sent('PUT', `/api/meetings/${meeting.id}/schedule`);
    expect(patch?.body).toEqual({ title: 'Planning 2' });
    expect(patch?.headers.get('If-Match')).toBe('"3"');
    expect(put?.body).toEqual({ start: '2026-12-01T10:00:00', end: '2026-12-01T11:00:00', time_zone: 'Europe/Berlin' });
    expect(put?.headers.get('If-Match')).toBe('"4"');
    expect(api.sent('POST', `/api/meetings/${meeting.id}/attendees`)).toHaveLength(0);
  });
});
