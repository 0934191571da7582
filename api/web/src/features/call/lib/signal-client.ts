/**
 * The room's signaling connection: veche's WebSocket protocol, kept open for the call.
 * A drop (network, node restart) reconnects with the same peer id after a growing,
 * jittered pause, which resumes the participant's place; the close codes of
 * `FINAL_CLOSE` end the call instead. A pass from the session that expired is minted
 * afresh once.
 */

import { FINAL_CLOSE, type ServerMessage } from './protocol';

export interface SignalEvents {
  message(message: ServerMessage): void;
  /** Connected, or lost and coming back in `retryInMs`. */
  connection(state: 'connecting' | 'open' | 'reconnecting', retryInMs?: number): void;
  /** The call cannot go on: the key of what to say. */
  ended(reason: string): void;
}

export class SignalClient {
  private socket: WebSocket | null = null;
  private delay = 1000;
  private closed = false;
  private readonly peerKey: string;

  constructor(
    private readonly roomId: string,
    private token: string,
    private readonly events: SignalEvents,
    private renewToken: (() => Promise<string | null>) | null,
  ) {
    this.peerKey = `veche-peer:${roomId}`;
  }

  connect(): void {
    if (this.closed) return;
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const query = new URLSearchParams({ access_token: this.token });
    const peer = sessionStorage.getItem(this.peerKey);
    if (peer) query.set('peer_id', peer);
    this.events.connection('connecting');
    const socket = new WebSocket(`${scheme}://${window.location.host}/api/rooms/${this.roomId}/signal?${query}`);
    this.socket = socket;
    socket.onmessage = (event) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return;
      }
      if (message.type === 'welcome') {
        sessionStorage.setItem(this.peerKey, message.peer_id);
        this.delay = 1000;
        this.events.connection('open');
      }
      this.events.message(message);
    };
    socket.onclose = (event) => this.onClose(event.code);
  }

  private onClose(code: number): void {
    if (this.closed) return;
    if (code === 4014 && this.renewToken) {
      const renew = this.renewToken;
      this.renewToken = null;
      void renew().then((token) => {
        if (!token) return this.end('call.ended.expired');
        this.token = token;
        this.connect();
      });
      return;
    }
    const final = FINAL_CLOSE[code];
    if (final) {
      if (code === 4010) sessionStorage.removeItem(this.peerKey);
      return this.end(final);
    }
    const delay = this.delay * (0.75 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, 30_000);
    this.events.connection('reconnecting', delay);
    window.setTimeout(() => this.connect(), delay);
  }

  private end(reason: string): void {
    this.closed = true;
    this.events.ended(reason);
  }

  send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** Leaves the room for good. */
  leave(): void {
    this.send({ type: 'leave' });
    this.closed = true;
    this.socket?.close(1000);
  }

  /** Drops the connection as a network would (tests and diagnostics). */
  drop(): void {
    this.socket?.close(4000, 'dropped');
  }
}
