/** How loud a stream's audio is: the microphone meter (a level ten times a second) and the
 * ring around whoever speaks (re-rendered only when they start or stop). */

import { useEffect, useState } from 'react';

let context: AudioContext | null = null;

/** A level at which someone counts as speaking. */
const SPEAKING = 0.04;

/** Calls `onLevel` with the track's level (0–1) every `everyMs`, until the returned stop. */
function watchLevel(track: MediaStreamTrack, everyMs: number, onLevel: (level: number) => void): () => void {
  context ??= new AudioContext();
  void context.resume().catch(() => {});
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = window.setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, sample) => sum + sample * sample, 0) / samples.length);
    onLevel(track.enabled ? Math.min(1, rms * 5) : 0);
  }, everyMs);
  return () => {
    window.clearInterval(timer);
    source.disconnect();
  };
}

function useTrackWatch(stream: MediaStream | null, everyMs: number, onLevel: (level: number) => void, reset: () => void) {
  const track = stream?.getAudioTracks()[0] ?? null;
  useEffect(() => {
    if (!track || typeof AudioContext === 'undefined') {
      reset();
      return;
    }
    return watchLevel(track, everyMs, onLevel);
    // `onLevel` and `reset` only set state: a new pair each render changes nothing.
  }, [track, everyMs]);
}

export function useAudioLevel(stream: MediaStream | null): number {
  const [level, setLevel] = useState(0);
  useTrackWatch(stream, 100, setLevel, () => setLevel(0));
  return level;
}

export function useSpeaking(stream: MediaStream | null): boolean {
  const [speaking, setSpeaking] = useState(false);
  useTrackWatch(stream, 200, (level) => setSpeaking(level > SPEAKING), () => setSpeaking(false));
  return speaking;
}
