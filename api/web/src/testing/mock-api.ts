/**
 * A fake veche server at the fetch boundary: tests declare answers by method and path,
 * the app's real client sends real requests, and the test reads what was sent.
 */

import { vi } from 'vitest';

export interface RecordedRequest {
  method: string;
  /** Path without the query: `/api/meetings/1/schedule`. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

type Reply = Response | ((request: RecordedRequest) => Response | Promise<Response>);

interface Route {
  method: string;
  path: string | RegExp;
  replies: Reply[];
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });
}

export function problem(status: number, slug: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return json(status, { type: `urn:veche:problem:${slug}`, title: slug, status, detail, ...extra }, headers);
}

export function noContent(): Response {
  return new Response(null, { status: 204 });
}

export class MockApi {
  readonly requests: RecordedRequest[] = [];
  private routes: Route[] = [];

  /** Answers `method path` with `reply` (each call takes the next reply; the last repeats). */
  on(method: string, path: string | RegExp, ...replies: Reply[]): this {
    this.routes.unshift({ method: method.toUpperCase(), path, replies });
    return this;
  }

  /** The requests sent to `method path`. */
  sent(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (request) => request.method === method.toUpperCase() && (typeof path === 'string' ? request.path === path : path.test(request.path)),
    );
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.clone().text();
    const recorded: RecordedRequest = {
      method: request.method,
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: request.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    this.requests.push(recorded);
    const route = this.routes.find(
      (candidate) =>
        candidate.method === recorded.method &&
        (typeof candidate.path === 'string' ? candidate.path === recorded.path : candidate.path.test(recorded.path)),
    );
    if (!route) return problem(404, 'not-found', `no mock for ${recorded.method} ${recorded.path}`);
    const reply = route.replies.length > 1 ? route.replies.shift()! : route.replies[0]!;
    const response = typeof reply === 'function' ? await reply(recorded) : reply.clone();
    return response;
  };
}

/** Installs a fake server as `fetch` for this test. */
export function mockApi(): MockApi {
  const api = new MockApi();
  vi.stubGlobal('fetch', vi.fn(api.fetch));
  return api;
}
