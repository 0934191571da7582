import { api, ifMatch, notePosition, unwrap } from '../../../lib/api-client';

/** Takes someone off the meeting (organizer only), if still at `version`. */
export async function removeAttendee(id: string, version: number, email: string) {
  const result = await unwrap(
    api.DELETE('/api/meetings/{id}/attendees/{email}', { params: { path: { id, email } }, headers: ifMatch(version) }),
  );
  notePosition(result.position);
  return result;
}
