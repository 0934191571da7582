/**
 * Before joining: your own camera, a microphone meter, the devices to use, and whether to
 * join with the microphone or camera off.
 */

import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Camera, CameraOff, Microphone, MicrophoneOff } from '../../../components/ui/icons';
import { useAudioLevel } from '../hooks/use-audio-level';
import { useMediaDevices } from '../hooks/use-media-devices';
import { DeviceSelect } from './device-select';
import styles from './call.module.css';

export interface JoinChoice {
  stream: MediaStream;
  muted: boolean;
  camera: boolean;
  speaker: string;
}

export function PreJoin({ onJoin }: { onJoin: (choice: JoinChoice) => void }) {
  const { t } = useTranslation();
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [muted, setMuted] = useState(false);
  const [camera, setCamera] = useState(true);
  const [ids, setIds] = useState({ audioinput: '', videoinput: '', audiooutput: '' });
  const devices = useMediaDevices(stream !== null || problem !== null);
  const video = useRef<HTMLVideoElement>(null);
  const level = useAudioLevel(muted ? null : stream);
  // The devices stay on once handed to the call, and go off if the page is left before.
  const current = useRef<MediaStream | null>(null);
  const handedOver = useRef(false);
  current.current = stream;
  useEffect(() => () => {
    if (!handedOver.current) current.current?.getTracks().forEach((track) => track.stop());
  }, []);

  // The microphone always (muted or not); the camera only while it is on.
  useEffect(() => {
    let cancelled = false;
    const audio = ids.audioinput ? { deviceId: { exact: ids.audioinput } } : true;
    const videoWanted = camera ? (ids.videoinput ? { deviceId: { exact: ids.videoinput } } : true) : false;
    navigator.mediaDevices
      .getUserMedia({ audio, video: videoWanted })
      .then((next) => {
        if (cancelled) return next.getTracks().forEach((track) => track.stop());
        setStream((previous) => {
          previous?.getTracks().forEach((track) => track.stop());
          return next;
        });
        setProblem(null);
      })
      .catch((error: Error) => !cancelled && setProblem(error.name));
    return () => {
      cancelled = true;
    };
  }, [camera, ids.audioinput, ids.videoinput]);

  useEffect(() => {
    stream?.getAudioTracks().forEach((track) => {
      track.enabled = !muted;
    });
    if (video.current) video.current.srcObject = stream;
  }, [stream, muted]);

  const join = () => {
    handedOver.current = true;
    const chosen = stream ?? new MediaStream();
    onJoin({ stream: chosen, muted, camera: camera && chosen.getVideoTracks().length > 0, speaker: ids.audiooutput });
  };

  return (
    <section className={styles.preJoin} aria-labelledby="pre-join-title">
      <div className={styles.preview}>
        <video ref={video} autoPlay playsInline muted className={`${styles.mirrored} ${camera && stream?.getVideoTracks().length ? '' : styles.hidden}`} aria-label={t('call.preview')} />
        {!(camera && stream?.getVideoTracks().length) && <p className={styles.previewOff}>{t('call.cameraIsOff')}</p>}
        <div className={styles.previewControls}>
          <button type="button" className={`${styles.round} ${muted ? styles.off : ''}`} aria-pressed={muted} onClick={() => setMuted(!muted)}>
            {muted ? <MicrophoneOff /> : <Microphone />}
            <span className="visually-hidden">{t('call.controls.microphoneOff')}</span>
          </button>
          <button type="button" className={`${styles.round} ${camera ? '' : styles.off}`} aria-pressed={!camera} onClick={() => setCamera(!camera)}>
            {camera ? <Camera /> : <CameraOff />}
            <span className="visually-hidden">{t('call.controls.cameraOff')}</span>
          </button>
        </div>
      </div>
      <div className={styles.preJoinSide}>
        <h1 id="pre-join-title">{t('call.readyTitle')}</h1>
        <span className={styles.meterLabel} aria-hidden="true">
          {t('call.microphoneLevel')}
        </span>
        <div className={styles.meter} role="meter" aria-label={t('call.microphoneLevel')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(level * 100)}>
          <span style={{ width: `${Math.round(level * 100)}%` }} />
        </div>
        {problem && <p role="alert" className={styles.problem}>{t('call.noDevices', { name: problem })}</p>}
        {(['videoinput', 'audioinput', 'audiooutput'] as const).map((kind) => (
          <DeviceSelect key={kind} kind={kind} devices={devices} value={ids[kind]} onChange={(id) => setIds((current) => ({ ...current, [kind]: id }))} />
        ))}
        {/* Until the devices answer (or refuse), joining would join without them. */}
        <button type="button" className="btn btn-primary" onClick={join} disabled={stream === null && problem === null}>
          {stream === null && problem === null ? t('call.gettingDevices') : t('call.join')}
        </button>
      </div>
    </section>
  );
}
