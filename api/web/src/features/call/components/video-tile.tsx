/** One person in the call: their video (or their initials while their camera is off), name,
 * microphone, raised hand, and a ring while they speak. */

import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Hand, MicrophoneOff } from '../../../components/ui/icons';
import { useSpeaking } from '../hooks/use-audio-level';
import type { MediaState } from '../lib/protocol';
import type { Quality } from '../lib/quality';
import styles from './call.module.css';

interface VideoTileProps {
  peerId: string;
  name: string;
  stream: MediaStream | null;
  state: MediaState;
  local?: boolean;
  large?: boolean;
  quality?: Quality | null;
  /** The speaker chosen for the call's sound. */
  sinkId?: string;
}

export function VideoTile({ peerId, name, stream, state, local = false, large = false, quality, sinkId }: VideoTileProps) {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const voice = useSpeaking(local ? null : stream);
  const showsVideo = Boolean(stream?.getVideoTracks().length) && (state.camera || state.sharing);

  useEffect(() => {
    const element = video.current;
    if (!element || element.srcObject === stream) return;
    element.srcObject = stream;
    // Browsers may refuse sound before a click; the page's Join click usually allows it.
    element.play().catch(() => {
      element.muted = true;
      void element.play().catch(() => {});
    });
  }, [stream]);

  useEffect(() => {
    const element = video.current as (HTMLVideoElement & { setSinkId?: (id: string) => Promise<void> }) | null;
    if (element?.setSinkId && sinkId !== undefined && !local) void element.setSinkId(sinkId).catch(() => {});
  }, [sinkId, local]);

  const speaking = voice && !state.muted;
  const classes = [styles.tile, large && styles.large, speaking && styles.speaking, local ? 'local' : 'remote'];
  return (
    <figure
      className={classes.filter(Boolean).join(' ')}
      data-peer={peerId}
      data-name={name}
      data-speaking={speaking || undefined}
      data-sharing={state.sharing || undefined}
      data-muted={state.muted || undefined}
      data-camera-off={!state.camera || undefined}
      data-hand={state.hand || undefined}
      data-large={large || undefined}
    >
      <video
        ref={video}
        autoPlay
        playsInline
        muted={local}
        className={[local && !state.sharing && styles.mirrored, !showsVideo && styles.hidden].filter(Boolean).join(' ')}
        aria-label={t('call.videoOf', { name })}
      />
      {!showsVideo && (
        <div className={styles.avatar} aria-hidden="true">
          {initials(name)}
        </div>
      )}
      <figcaption className={styles.caption}>
        {state.muted && <MicrophoneOff aria-label={t('call.state.muted')} role="img" aria-hidden={false} />}
        {state.hand && <Hand aria-label={t('call.state.hand')} role="img" aria-hidden={false} className={styles.hand} />}
        <span>{name}</span>
        {quality && (
          <span
            className={`${styles.quality} ${styles[quality.level]}`}
            title={t('call.quality.detail', {
              rtt: quality.rttMs === null ? '–' : Math.round(quality.rttMs),
              loss: quality.lossPercent === null ? '–' : quality.lossPercent.toFixed(1),
            })}
            role="img"
            aria-label={t(`call.quality.${quality.level}`)}
          />
        )}
      </figcaption>
    </figure>
  );
}

function initials(name: string): string {
  const parts = name.split(/[\s@.]+/).filter(Boolean);
  return (parts[0]?.[0] ?? '?').toUpperCase() + (parts[1]?.[0] ?? '').toUpperCase();
}
