import { api, ifMatch, notePosition, unwrap } from '../../../lib/api-client';
import type { UpdateMeetingRequest } from '../../../lib/api/types';

/** Changes the title, description or reminders (organizer only), if still at `version`. */
export async function updateMeeting(id: string, version: number, body: UpdateMeetingRequest) {
  const result = await unwrap(api.PATCH('/api/meetings/{id}', { params: { path: { id } }, headers: ifMatch(version), body }));
  notePosition(result.position);
  return result;
}
