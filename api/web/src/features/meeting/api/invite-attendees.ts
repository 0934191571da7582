import { api, ifMatch, notePosition, unwrap } from '../../../lib/api-client';
import type { AttendeeInput } from '../../../lib/api/types';

/** Invites more people (organizer only), if still at `version`. */
export async function inviteAttendees(id: string, version: number, attendees: AttendeeInput[]) {
  const result = await unwrap(
    api.POST('/api/meetings/{id}/attendees', { params: { path: { id } }, headers: ifMatch(version), body: { attendees } }),
  );
  notePosition(result.position);
  return result;
}
