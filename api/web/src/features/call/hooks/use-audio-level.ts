/** How loud a stream's audio is now (0–1), ten times a second: the microphone meter and
 * the highlight of whoever speaks. */

import { useEffect, useState } from 'react';

let context: AudioContext | null = null;

export function useAudioLevel(stream: MediaStream | null): number {
  const [level, setLevel] = useState(0);
  const track = stream?.getAudioTracks()[0] ?? null;
  useEffect(() => {
    if (!track || typeof AudioContext === 'undefined') {
      setLevel(0);
      return;
    }
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
      setLevel(track.enabled ? Math.min(1, rms * 5) : 0);
    }, 100);
    return () => {
      window.clearInterval(timer);
      source.disconnect();
    };
  }, [track]);
  return level;
}

/** A level at which someone counts as speaking. */
export const SPEAKING = 0.04;
