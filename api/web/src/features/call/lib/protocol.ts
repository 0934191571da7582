/** veche's signaling protocol as the call page speaks it (the server's `signaling/mod.rs`). */

export interface PeerInfo {
  peer_id: string;
  name?: string;
  email: string;
}

/** What a participant shows the others of their devices and hand. */
export interface MediaState {
  muted: boolean;
  camera: boolean;
  sharing: boolean;
  hand: boolean;
}

export interface ChatMessage {
  from: string;
  name: string;
  text: string;
  at: string;
}

export type ServerMessage =
  | { type: 'welcome'; peer_id: string; capacity: number; resumed: boolean; participants: PeerInfo[] }
  | { type: 'joined'; peer: PeerInfo; resumed: boolean }
  | { type: 'left'; peer_id: string; reason: 'left' | 'expired' }
  | { type: 'signal'; kind: 'offer' | 'answer' | 'candidate'; from: string; data: unknown }
  | ({ type: 'chat' } & ChatMessage)
  | ({ type: 'state'; peer_id: string } & MediaState)
  | { type: 'recent'; messages: ServerMessage[] }
  | { type: 'room-closed' }
  | { type: 'removed' }
  | { type: 'meeting'; status: 'started' | 'ended' | 'rescheduled'; starts_at: string; ends_at: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'pong' };

/**
 * Close codes after which reconnecting cannot help, with the key of what the page says:
 * room closed, removed, room full, peer id taken, too many places, replaced by another tab,
 * the token expired.
 */
export const FINAL_CLOSE: Record<number, string> = {
  4001: 'call.ended.closed',
  4003: 'call.ended.removed',
  4009: 'call.ended.full',
  4010: 'call.ended.taken',
  4011: 'call.ended.seats',
  4012: 'call.ended.replaced',
  4014: 'call.ended.expired',
};

/** The longest chat message the server takes, in characters. */
export const CHAT_MAX_CHARS = 2000;
