import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import { aMeeting, aSession } from '../../testing/data';
import { json, mockApi, noContent, problem } from '../../testing/mock-api';
import { testQueryClient } from '../../testing/render';
import { AppProvider } from '../provider';
import { routes } from '../router';

function renderAt(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  render(
    <AppProvider queryClient={testQueryClient()}>
      <RouterProvider router={router} />
    </AppProvider>,
  );
  return router;
}

const calendar = (meetings = [aMeeting()]) => (request: { query: URLSearchParams }) =>
  json(200, { from: request.query.get('from'), to: request.query.get('to'), meetings });

describe('the app', () => {
  it('shows the sign-in page wherever a signed-out person goes', async () => {
    mockApi()
      .on('GET', '/api/session', problem(401, 'unauthorized', 'no session'))
      .on('GET', '/api/auth/options', json(200, { email: true, oidc: null }));
    renderAt('/meetings/0192f0c4-0000-7000-8000-000000000001');

    expect(await screen.findByRole('heading', { name: 'Sign in to veche' })).toBeInTheDocument();
  });

  it('shows the person’s calendar with their name, and the meeting over it at its address', async () => {
    const meeting = aMeeting();
    mockApi()
      .on('GET', '/api/session', json(200, aSession()))
      .on('GET', '/api/calendar', calendar([meeting]))
      .on('GET', `/api/meetings/${meeting.id}`, json(200, meeting));
    renderAt(`/meetings/${meeting.id}?view=week&date=2026-12-01`);

    expect(await screen.findByText('Ann Lee')).toBeInTheDocument();
    expect(screen.getByRole('banner')).toBeInTheDocument();
    expect(screen.getByRole('main')).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'Planning', level: 2 })).toBeInTheDocument();
  });

  it('returns to the sign-in page when a request is answered 401', async () => {
    mockApi()
      .on('GET', '/api/session', json(200, aSession()))
      .on('GET', '/api/calendar', problem(401, 'unauthorized', 'expired'))
      .on('GET', '/api/auth/options', json(200, { email: true, oidc: null }));
    renderAt('/?view=week&date=2026-12-01');

    expect(await screen.findByRole('heading', { name: 'Sign in to veche' })).toBeInTheDocument();
  });

  it('signs out', async () => {
    const api = mockApi()
      .on('GET', '/api/session', json(200, aSession()))
      .on('GET', '/api/calendar', calendar([]))
      .on('POST', '/api/auth/signout', noContent())
      .on('GET', '/api/auth/options', json(200, { email: true, oidc: null }));
    const user = userEvent.setup();
    renderAt('/');

    await user.click(await screen.findByRole('button', { name: 'Sign out' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to veche' })).toBeInTheDocument();
    expect(api.sent('POST', '/api/auth/signout')[0]?.headers.get('X-CSRF-Token')).toBe('csrf-123');
  });
});
