import { describe, expect, it, vi } from 'vitest';
import { json, mockApi, noContent, problem } from '../../testing/mock-api';
import { api, ApiProblem, onSignedOut, setCsrfToken, unwrap } from '../api-client';

describe('the API client', () => {
  it('sends the CSRF token on changes and not on reads, always with the session cookie', async () => {
    setCsrfToken('csrf-123');
    const server = mockApi().on('GET', '/api/push/vapid-public-key', json(200, { public_key: 'k' })).on('POST', '/api/auth/signout', noContent());

    await unwrap(api.GET('/api/push/vapid-public-key'));
    await unwrap(api.POST('/api/auth/signout'));

    const [read] = server.sent('GET', '/api/push/vapid-public-key');
    const [change] = server.sent('POST', '/api/auth/signout');
    expect(read?.headers.get('X-CSRF-Token')).toBeNull();
    expect(change?.headers.get('X-CSRF-Token')).toBe('csrf-123');
    const request = vi.mocked(fetch).mock.calls[0]![0] as Request;
    expect(request.credentials).toBe('same-origin');
  });

  it('turns a problem answer into an ApiProblem with its slug, field and Retry-After', async () => {
    mockApi().on('GET', '/api/calendar', problem(429, 'rate-limited', 'retry in 7 s', { field: null }, { 'Retry-After': '7' }));

    const failure = await unwrap(api.GET('/api/calendar', { params: { query: { from: 'a', to: 'b' } } })).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ApiProblem);
    expect(failure).toMatchObject({ status: 429, slug: 'rate-limited', retryAfter: 7 });
  });

  it('tells the session when any request is answered 401, but not when asking who is signed in', async () => {
    mockApi()
      .on('GET', '/api/session', problem(401, 'unauthorized', 'no session'))
      .on('GET', '/api/calendar', problem(401, 'unauthorized', 'expired'));
    const signedOut = vi.fn();
    const stop = onSignedOut(signedOut);

    await unwrap(api.GET('/api/session')).catch(() => undefined);
    expect(signedOut).not.toHaveBeenCalled();
    await unwrap(api.GET('/api/calendar', { params: { query: { from: 'a', to: 'b' } } })).catch(() => undefined);
    expect(signedOut).toHaveBeenCalledTimes(1);
    stop();
  });

  it('reports a request that never reached the server as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('offline'))));
    const failure = await unwrap(api.GET('/api/auth/options')).catch((e: unknown) => e);
    expect(failure).toMatchObject({ status: 0, slug: 'network' });
  });
});
