/**
 * The React Query keys shared across features: the live stream and the features that
 * change meetings invalidate what others show, so the keys are named in one place.
 */

export const queryKeys = {
  session: ['session'] as const,
  authOptions: ['auth-options'] as const,
  /** Every calendar range: invalidate this to refetch whatever range is shown. */
  calendars: ['calendar'] as const,
  calendar: (from: string, to: string) => ['calendar', from, to] as const,
  /** Every meeting read. */
  meetings: ['meeting'] as const,
  /** A meeting and everything read about it (its history too). */
  meetingAll: (id: string) => ['meeting', id] as const,
  meeting: (id: string) => ['meeting', id, 'view'] as const,
  history: (id: string) => ['meeting', id, 'history'] as const,
  people: (q: string) => ['people', q] as const,
  vapidKey: ['push', 'vapid-key'] as const,
};
