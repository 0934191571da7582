/**
 * One person's call: the signaling connection, the mesh, our microphone, camera and screen,
 * the chat and everyone's state, as a store the page subscribes to (`useCall`).
 */

import { Mesh } from './mesh';
import type { ChatMessage, MediaState, PeerInfo, ServerMessage } from './protocol';
import { SignalClient } from './signal-client';
import { measure, type Quality } from './quality';

export interface Participant {
  id: string;
  name: string;
  stream: MediaStream | null;
  connection: RTCPeerConnectionState;
  state: MediaState;
  quality: Quality | null;
}

export type Phase = 'joining' | 'in-call' | 'reconnecting' | 'ended';

export interface CallSnapshot {
  phase: Phase;
  /** Why the call ended (a translation key). */
  ended: string | null;
  /** Something to tell the person (a translation key and its values). */
  notice: { key: string; values?: Record<string, string> } | null;
  myId: string | null;
  me: MediaState;
  /** Our camera's or screen's video, for our own tile. */
  preview: MediaStream;
  participants: Participant[];
  chat: ChatMessage[];
  /** How many of `chat` were said before we came (read already). */
  earlier: number;
}

/** What the page asks of the browser, replaceable in tests. */
export interface MediaSource {
  camera(deviceId?: string): Promise<MediaStreamTrack>;
  microphone(deviceId?: string): Promise<MediaStreamTrack>;
  screen(): Promise<MediaStreamTrack>;
}

/** The one track of a stream just asked for. */
function only(stream: MediaStream): MediaStreamTrack {
  const [track] = stream.getTracks();
  if (!track) throw Object.assign(new Error('no track'), { name: 'NotFoundError' });
  return track;
}

export const browserMedia: MediaSource = {
  async camera(deviceId) {
    return only(await navigator.mediaDevices.getUserMedia({ video: deviceId ? { deviceId: { exact: deviceId } } : true }));
  },
  async microphone(deviceId) {
    return only(await navigator.mediaDevices.getUserMedia({ audio: deviceId ? { deviceId: { exact: deviceId } } : true }));
  },
  async screen() {
    return only(await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }));
  },
};

const NOBODY: MediaState = { muted: false, camera: true, sharing: false, hand: false };
const STATS_EVERY_MS = 2000;

export class Call {
  private snapshot: CallSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly names = new Map<string, string>();
  private readonly states = new Map<string, MediaState>();
  private readonly qualities = new Map<string, Quality>();
  private readonly mesh: Mesh;
  private readonly signal: SignalClient;
  private cameraTrack: MediaStreamTrack | null;
  private screenTrack: MediaStreamTrack | null = null;
  /** The camera chosen mid-call, for when it is turned on again. */
  private cameraDevice: string | undefined;
  private timers: number[] = [];

  /** `local` holds the microphone (muted or not) and the camera if it is on. */
  constructor(
    private readonly roomId: string,
    private token: string,
    private readonly local: MediaStream,
    me: Pick<MediaState, 'muted' | 'camera'>,
    renewToken: (() => Promise<string | null>) | null,
    private readonly media: MediaSource = browserMedia,
  ) {
    this.cameraTrack = local.getVideoTracks()[0] ?? null;
    this.snapshot = {
      phase: 'joining', ended: null, notice: null, myId: null, participants: [], chat: [], earlier: 0,
      me: { ...NOBODY, ...me }, preview: new MediaStream(this.cameraTrack ? [this.cameraTrack] : []),
    };
    this.mesh = new Mesh(local, (to, signal) => this.signal.send({ type: 'signal', to, ...signal }), () => this.refresh());
    this.signal = new SignalClient(roomId, token, {
      message: (message) => this.onMessage(message),
      connection: (state) => this.set({ phase: state === 'open' ? 'in-call' : state === 'reconnecting' ? 'reconnecting' : this.snapshot.phase }),
      ended: (reason) => this.end(reason),
    }, renewToken ? async () => {
      const fresh = await renewToken();
      if (fresh) this.token = fresh;
      return fresh;
    } : null);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): CallSnapshot => this.snapshot;

  private set(change: Partial<CallSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    this.listeners.forEach((listener) => listener());
  }

  /** The participants' list from the mesh, the names and the states. */
  private refresh(): void {
    const connected = new Map(this.mesh.list().map((peer) => [peer.id, peer]));
    const participants: Participant[] = [...this.names.entries()].map(([id, name]) => ({
      id,
      name,
      stream: connected.get(id)?.stream ?? null,
      connection: connected.get(id)?.connection ?? 'new',
      state: this.states.get(id) ?? NOBODY,
      quality: this.qualities.get(id) ?? null,
    }));
    this.set({ participants });
  }

  /** Enters the room; `iceServers` if already asked for (while the person checked their devices). */
  async start(iceServers?: Promise<IceAnswer>): Promise<void> {
    await this.refreshIceServers(iceServers);
    this.signal.connect();
    this.timers.push(window.setInterval(() => void this.measure(), STATS_EVERY_MS));
  }


  /** STUN/TURN with time-limited credentials, asked for again before they expire. */
  private async refreshIceServers(asked?: Promise<IceAnswer>): Promise<void> {
    let answer = await (asked ?? iceServersFor(this.roomId, this.token));
    // Asked for long before joining: past their refresh time, ask again now.
    if (asked && answer.refresh_at && Date.parse(answer.refresh_at) < Date.now()) answer = await iceServersFor(this.roomId, this.token);
    this.mesh.setIceServers(answer.ice_servers);
    if (answer.refresh_at) {
      const delay = Math.max(5_000, Date.parse(answer.refresh_at) - Date.now());
      this.timers.push(window.setTimeout(() => void this.refreshIceServers().catch(() => {}), Math.min(delay, 2 ** 31 - 1)));
    }
  }

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.mesh.setIdentity(message.peer_id);
        // New or resumed, the others start afresh with us (they were told `joined`): the
        // newcomer offers to everyone already there.
        this.mesh.removeAll();
        this.names.clear();
        this.states.clear();
        for (const peer of message.participants) {
          this.names.set(peer.peer_id, displayName(peer));
          this.mesh.add(peer.peer_id, true);
        }
        this.set({ myId: message.peer_id, chat: [], earlier: 0, notice: null });
        this.announce();
        this.refresh();
        break;
      case 'joined':
        // Someone back after a drop offers afresh: their old connection goes. A newcomer's
        // offer may arrive before this notice, and its connection stays.
        if (message.resumed) this.mesh.remove(message.peer.peer_id);
        this.names.set(message.peer.peer_id, displayName(message.peer));
        this.refresh();
        break;
      case 'left':
        this.mesh.remove(message.peer_id);
        this.names.delete(message.peer_id);
        this.states.delete(message.peer_id);
        this.refresh();
        break;
      case 'signal':
        this.mesh.signal(message.from, message);
        break;
      case 'chat': {
        const { from, name, text, at } = message;
        this.set({ chat: [...this.snapshot.chat, { from, name, text, at }].slice(-300) });
        break;
      }
      case 'state': {
        const { muted, camera, sharing, hand } = message;
        this.states.set(message.peer_id, { muted, camera, sharing, hand });
        this.refresh();
        break;
      }
      case 'recent':
        message.messages.forEach((earlier) => this.onMessage(earlier));
        this.set({ earlier: this.snapshot.chat.length });
        break;
      case 'room-closed':
        this.end('call.ended.closed');
        break;
      case 'meeting':
        this.set({ notice: { key: `call.meeting.${message.status}`, values: { at: message.ends_at } } });
        break;
      case 'error':
        if (['room-full', 'room-closed', 'peer-id-taken', 'internal'].includes(message.code)) {
          this.set({ notice: { key: 'call.refused', values: { message: message.message } } });
        }
        break;
      default:
        break;
    }
  }

  /** Tells the others our state. */
  private announce(): void {
    this.signal.send({ type: 'state', ...this.snapshot.me });
  }

  private setMe(change: Partial<MediaState>): void {
    this.set({ me: { ...this.snapshot.me, ...change } });
    this.announce();
  }

  toggleMicrophone(): void {
    const muted = !this.snapshot.me.muted;
    this.local.getAudioTracks().forEach((track) => { track.enabled = !muted; });
    this.setMe({ muted });
  }

  async toggleCamera(): Promise<void> {
    if (this.cameraTrack) {
      this.cameraTrack.stop();
      this.local.removeTrack(this.cameraTrack);
      this.cameraTrack = null;
    } else {
      this.cameraTrack = await this.media.camera(this.cameraDevice);
      this.local.addTrack(this.cameraTrack);
    }
    if (!this.screenTrack) this.mesh.replace('video', this.cameraTrack);
    this.set({ preview: this.previewStream() });
    this.setMe({ camera: Boolean(this.cameraTrack) });
  }

  async toggleScreen(): Promise<void> {
    if (this.screenTrack) return this.stopSharing();
    const track = await this.media.screen();
    this.screenTrack = track;
    track.addEventListener('ended', () => this.stopSharing());
    this.mesh.replace('video', track);
    this.set({ preview: this.previewStream() });
    this.setMe({ sharing: true });
  }

  private stopSharing(): void {
    if (!this.screenTrack) return;
    this.screenTrack.stop();
    this.screenTrack = null;
    this.mesh.replace('video', this.cameraTrack);
    this.set({ preview: this.previewStream() });
    this.setMe({ sharing: false });
  }

  toggleHand(): void {
    this.setMe({ hand: !this.snapshot.me.hand });
  }

  /** Another microphone or camera, mid-call. */
  async useDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    if (kind === 'audioinput') {
      const track = await this.media.microphone(deviceId);
      track.enabled = !this.snapshot.me.muted;
      this.local.getAudioTracks().forEach((old) => { old.stop(); this.local.removeTrack(old); });
      this.local.addTrack(track);
      this.mesh.replace('audio', track);
      return;
    }
    this.cameraDevice = deviceId;
    if (!this.cameraTrack) return;
    const track = await this.media.camera(deviceId);
    this.cameraTrack.stop();
    this.local.removeTrack(this.cameraTrack);
    this.cameraTrack = track;
    this.local.addTrack(track);
    if (!this.screenTrack) this.mesh.replace('video', track);
    this.set({ preview: this.previewStream() });
  }

  private previewStream(): MediaStream {
    const track = this.screenTrack ?? this.cameraTrack;
    return new MediaStream(track ? [track] : []);
  }

  say(text: string): void {
    this.signal.send({ type: 'chat', text });
  }

  private async measure(): Promise<void> {
    for (const [id, pc] of this.mesh.connections()) {
      const quality = await measure(pc).catch(() => null);
      if (quality) this.qualities.set(id, quality);
    }
    if (this.mesh.connections().length) this.refresh();
  }

  leave(): void {
    this.signal.leave();
    this.end('call.ended.left');
  }

  /** Drops the signaling connection as a network would (see `SignalClient::drop`). */
  dropConnection(): void {
    this.signal.drop();
  }

  private end(reason: string): void {
    this.timers.forEach((timer) => { window.clearInterval(timer); window.clearTimeout(timer); });
    this.mesh.removeAll();
    this.local.getTracks().forEach((track) => track.stop());
    this.screenTrack?.stop();
    this.set({ phase: 'ended', ended: reason, participants: [] });
  }
}

export interface IceAnswer {
  ice_servers: RTCIceServer[];
  refresh_at?: string | null;
}

/** The room's STUN/TURN servers and credentials for the holder of `token`. */
export async function iceServersFor(roomId: string, token: string): Promise<IceAnswer> {
  const response = await fetch(`/api/rooms/${roomId}/ice-servers`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw Object.assign(new Error(response.statusText), { status: response.status });
  return (await response.json()) as IceAnswer;
}

function displayName(peer: PeerInfo): string {
  return peer.name || peer.email;
}
