/**
 * What the OpenAPI document cannot describe, typed by hand: the event stream's messages
 * (`GET /api/calendar/stream` is `text/event-stream`) and the browser navigation that
 * starts sign-in with the identity provider. Every JSON route is typed in `schema.d.ts`,
 * generated from `openapi.json`.
 */

/** Where the browser opens the calendar's stream of changes (Server-Sent Events). */
export const CALENDAR_STREAM_URL = '/api/calendar/stream';

/** The stream's events: `ready` once, `change` per changed meeting, `resync` after a gap. */
export type CalendarStreamEvent = 'ready' | 'change' | 'resync';

/** The data of an `event: change`. */
export interface CalendarChange {
  meeting_id: string;
}

/** Where a full-page navigation starts sign-in with the identity provider. */
export function oidcStartUrl(returnTo: string): string {
  return `/auth/oidc/start?return_to=${encodeURIComponent(returnTo)}`;
}
