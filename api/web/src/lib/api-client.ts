/**
 * The one HTTP client: openapi-fetch typed by the OpenAPI document (`api/schema.d.ts`,
 * generated from `openapi.json` by `npm run api-types`).
 *
 * Every request goes with the session cookie (same origin); every state-changing one
 * carries the session's CSRF token, which lives in memory only. A 401 anywhere tells the
 * session (see `auth.tsx`) that the person is signed out. Failures become `ApiProblem`s.
 */

import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './api/schema';
import type { Problem } from './api/types';

export type Paths = paths;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

let csrfToken: string | null = null;
let language: string | null = null;
const signedOutListeners = new Set<() => void>();

/** The token from `GET /api/session`, sent as `X-CSRF-Token` (null when signed out). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The language the person chose: invitations the server sends on their behalf use it. */
export function setRequestLanguage(lang: string): void {
  language = lang;
}

/** Called whenever the server answers 401: the session ended or never was. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

const sessionMiddleware: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method) && csrfToken) {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    if (language && !request.headers.has('Accept-Language')) {
      request.headers.set('Accept-Language', language);
    }
    return request;
  },
  onResponse({ response, request }) {
    const asksWhoIsSignedIn = new URL(request.url).pathname === '/api/session';
    if (response.status === 401 && !asksWhoIsSignedIn) {
      signedOutListeners.forEach((listener) => listener());
    }
    return response;
  },
};

export const api = createClient<Paths>({
  // An absolute base: `new Request('/api/..')` needs one outside a browser page (tests).
  baseUrl: typeof window === 'undefined' ? '' : window.location.origin,
  credentials: 'same-origin',
  // Looked up on each call, so that tests can replace fetch at the boundary.
  fetch: (request) => globalThis.fetch(request),
});
api.use(sessionMiddleware);

/** An RFC 9457 problem the server answered with, or a failure to reach it (status 0). */
export class ApiProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly field: string | null;
  /** The rule a refused field broke (`title-too-long`, ...), for validation problems. */
  readonly code: string | null;
  readonly currentVersion: number | null;
  /** Seconds to wait, from `Retry-After`, when the server gave it. */
  readonly retryAfter: number | null;

  constructor(status: number, problem: Partial<Problem>, retryAfter: number | null = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.type = problem.type ?? 'about:blank';
    this.title = problem.title ?? '';
    this.detail = problem.detail ?? '';
    this.field = problem.field ?? null;
    this.code = problem.code ?? null;
    this.currentVersion = problem.current_version ?? null;
    this.retryAfter = retryAfter;
  }

  /** The problem's slug: `urn:veche:problem:version-mismatch` → `version-mismatch`. */
  get slug(): string {
    return this.type.replace(/^urn:veche:problem:/, '');
  }

  get isVersionMismatch(): boolean {
    return this.status === 412;
  }
}

export function isApiProblem(error: unknown): error is ApiProblem {
  return error instanceof ApiProblem;
}

function retryAfterSeconds(response: Response): number | null {
  const value = response.headers.get('Retry-After');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

type Answered<T> = { data?: T; error?: unknown; response: Response };

/**
 * The data of a successful answer, or throws the problem. A request that never reached
 * the server becomes an `ApiProblem` with status 0.
 */
export async function unwrap<T>(call: Promise<Answered<T>>): Promise<T> {
  let answered: Answered<T>;
  try {
    answered = await call;
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiProblem(0, { type: 'urn:veche:problem:network', detail: String(cause) });
  }
  const { data, error, response } = answered;
  if (response.ok) return data as T;
  const problem = typeof error === 'object' && error !== null ? (error as Partial<Problem>) : {};
  throw new ApiProblem(response.status, problem, retryAfterSeconds(response));
}

let latestPosition: number | null = null;

/** Remembers the log position a change reached, so that later reads include it. */
export function notePosition(position: number | null | undefined): void {
  if (typeof position === 'number' && (latestPosition === null || position > latestPosition)) {
    latestPosition = position;
  }
}

/** The `after_position` to read with, so that a person always sees their own changes. */
export function readAfter(): { after_position?: number } {
  return latestPosition === null ? {} : { after_position: latestPosition };
}

/** For tests: forget what one test's changes left behind. */
export function resetClientState(): void {
  csrfToken = null;
  latestPosition = null;
  language = null;
}

/** The `If-Match` value for a version the client read (the server's ETag form). */
export function ifMatch(version: number): Record<string, string> {
  return { 'If-Match': `"${version}"` };
}
