/**
 * The call's media: one RTCPeerConnection per other participant (a full mesh), negotiated
 * by the WebRTC spec's "perfect negotiation" (either side may offer; when offers cross, the
 * polite side, the lower peer id, gives way). Each connection sends our microphone and camera
 * (or screen) through one sender per kind, so that muting, turning the camera off or on,
 * sharing a screen and changing devices replace a track without renegotiating. The side that
 * offers makes the two transceivers; the side that answers takes on the ones the offer made
 * (a transceiver made before would not be matched to the offer's, and would need a second
 * negotiation).
 */

export interface RemotePeer {
  id: string;
  stream: MediaStream | null;
  connection: RTCPeerConnectionState;
}

interface Peer extends RemotePeer {
  pc: RTCPeerConnection;
  polite: boolean;
  makingOffer: boolean;
  ignoreOffer: boolean;
  queue: Promise<void>;
  audio: RTCRtpSender | null;
  video: RTCRtpSender | null;
}

type Signal = { kind: 'offer' | 'answer' | 'candidate'; data: unknown };

export class Mesh {
  private readonly peers = new Map<string, Peer>();
  private iceServers: RTCIceServer[] = [];
  private myId = '';
  /** What every connection sends: the microphone's track and the camera's or screen's. */
  private outgoing: { audio: MediaStreamTrack | null; video: MediaStreamTrack | null };

  constructor(
    private readonly local: MediaStream,
    private readonly send: (to: string, signal: Signal) => void,
    private readonly changed: () => void,
  ) {
    this.outgoing = { audio: local.getAudioTracks()[0] ?? null, video: local.getVideoTracks()[0] ?? null };
  }

  setIdentity(myId: string): void {
    this.myId = myId;
  }

  setIceServers(servers: RTCIceServer[]): void {
    this.iceServers = servers;
    for (const peer of this.peers.values()) peer.pc.setConfiguration({ iceServers: servers });
  }

  list(): RemotePeer[] {
    return [...this.peers.values()].map(({ id, stream, connection }) => ({ id, stream, connection }));
  }

  connections(): [string, RTCPeerConnection][] {
    return [...this.peers.values()].map((peer) => [peer.id, peer.pc]);
  }

  /** A connection to `id`, made if there is none; `offer`: this side offers (a newcomer to
   * those already in the room), else it waits for the other's offer. */
  add(id: string, offer: boolean): Peer {
    const existing = this.peers.get(id);
    if (existing) return existing;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const peer: Peer = {
      id, pc, audio: null, video: null, stream: null, connection: pc.connectionState,
      polite: this.myId < id, makingOffer: false, ignoreOffer: false, queue: Promise.resolve(),
    };
    this.peers.set(id, peer);
    if (offer) {
      for (const kind of ['audio', 'video'] as const) {
        peer[kind] = pc.addTransceiver(kind, { direction: 'sendrecv', streams: [this.local] }).sender;
        void peer[kind].replaceTrack(this.outgoing[kind]);
      }
    }
    pc.onnegotiationneeded = async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        this.send(id, { kind: 'offer', data: pc.localDescription });
      } catch (error) {
        console.warn('offer failed', error);
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send(id, { kind: 'candidate', data: candidate.toJSON() });
    };
    pc.ontrack = ({ track, streams: [stream] }) => {
      const target = stream ?? peer.stream ?? new MediaStream();
      if (!stream && !target.getTracks().includes(track)) target.addTrack(track);
      peer.stream = target;
      this.changed();
    };
    pc.onconnectionstatechange = () => {
      peer.connection = pc.connectionState;
      if (pc.connectionState === 'failed') pc.restartIce();
      this.changed();
    };
    this.changed();
    return peer;
  }

  remove(id: string): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    peer.pc.close();
    this.changed();
  }

  removeAll(): void {
    for (const id of [...this.peers.keys()]) this.remove(id);
  }

  /** A signal from `from`, handled in the order sent (a candidate after its offer). */
  signal(from: string, { kind, data }: Signal): void {
    const peer = this.add(from, false);
    peer.queue = peer.queue.then(() => this.onSignal(peer, kind, data)).catch((error) => console.warn('signal failed', error));
  }

  private async onSignal(peer: Peer, kind: Signal['kind'], data: unknown): Promise<void> {
    const pc = peer.pc;
    if (kind === 'candidate') {
      try {
        await pc.addIceCandidate(data as RTCIceCandidateInit);
      } catch (error) {
        if (!peer.ignoreOffer) throw error;
      }
      return;
    }
    const collision = kind === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    await pc.setRemoteDescription(data as RTCSessionDescriptionInit);
    if (kind === 'offer') {
      this.takeOn(peer);
      await pc.setLocalDescription();
      this.send(peer.id, { kind: 'answer', data: pc.localDescription });
    }
  }

  /** The answering side sends our tracks on the transceivers the other's offer made. */
  private takeOn(peer: Peer): void {
    for (const kind of ['audio', 'video'] as const) {
      if (peer[kind]) continue;
      const transceiver = peer.pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
      if (!transceiver) continue;
      transceiver.direction = 'sendrecv';
      transceiver.sender.setStreams(this.local);
      peer[kind] = transceiver.sender;
      void transceiver.sender.replaceTrack(this.outgoing[kind]);
    }
  }

  /** Sends `track` (or nothing) as our `kind` on every connection. */
  replace(kind: 'audio' | 'video', track: MediaStreamTrack | null): void {
    this.outgoing[kind] = track;
    for (const peer of this.peers.values()) void peer[kind]?.replaceTrack(track);
  }
}
