import { api, ifMatch, notePosition, unwrap } from '../../../lib/api-client';
import type { RescheduleRequest } from '../../../lib/api/types';

/** Moves the meeting (organizer only), if still at `version`. */
export async function rescheduleMeeting(id: string, version: number, body: RescheduleRequest) {
  const result = await unwrap(
    api.PUT('/api/meetings/{id}/schedule', { params: { path: { id } }, headers: ifMatch(version), body }),
  );
  notePosition(result.position);
  return result;
}
