/** The bar under the call: microphone (Ctrl+D), camera (Ctrl+E), screen, hand, the panels, leave. */

import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Camera, CameraOff, Chat, Hand, Microphone, MicrophoneOff, People, PhoneOff, Screen, Settings } from '../../../components/ui/icons';
import type { MediaState } from '../lib/protocol';
import styles from './call.module.css';

export type Panel = 'people' | 'chat' | 'devices' | null;

interface CallControlsProps {
  me: MediaState;
  panel: Panel;
  unread: number;
  canShare: boolean;
  onMicrophone(): void;
  onCamera(): void;
  onScreen(): void;
  onHand(): void;
  onPanel(panel: Panel): void;
  onLeave(): void;
}

export function CallControls(props: CallControlsProps) {
  const { t } = useTranslation();
  const { me, panel, unread, onMicrophone, onCamera } = props;

  // Google Meet's keys: Ctrl+D the microphone, Ctrl+E the camera (Cmd on a Mac).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const key = event.key.toLowerCase();
      if (key === 'd') onMicrophone();
      else if (key === 'e') onCamera();
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onMicrophone, onCamera]);

  const toggle = (pressed: boolean, label: string, icon: React.ReactNode, onClick: () => void, off = false, shortcut?: string) => (
    <button
      type="button"
      className={`${styles.round} ${off ? styles.off : ''} ${pressed && !off ? styles.on : ''}`}
      aria-pressed={pressed}
      aria-keyshortcuts={shortcut}
      title={shortcut ? `${label} (${shortcut.replace('Control', 'Ctrl')})` : label}
      onClick={onClick}
    >
      {icon}
      <span className="visually-hidden">{label}</span>
    </button>
  );

  return (
    <div className={styles.controls} role="toolbar" aria-label={t('call.controls.label')}>
      <div className={styles.controlGroup}>
        {toggle(me.muted, t('call.controls.microphoneOff'), me.muted ? <MicrophoneOff /> : <Microphone />, onMicrophone, me.muted, 'Control+D')}
        {toggle(!me.camera, t('call.controls.cameraOff'), me.camera ? <Camera /> : <CameraOff />, onCamera, !me.camera, 'Control+E')}
        {props.canShare && toggle(me.sharing, t('call.controls.share'), <Screen />, props.onScreen)}
        {toggle(me.hand, t('call.controls.hand'), <Hand />, props.onHand)}
        <button type="button" className={`${styles.round} ${styles.leave}`} onClick={props.onLeave} title={t('call.controls.leave')}>
          <PhoneOff />
          <span className="visually-hidden">{t('call.controls.leave')}</span>
        </button>
      </div>
      <div className={styles.controlGroup}>
        {toggle(panel === 'devices', t('call.controls.devices'), <Settings />, () => props.onPanel(panel === 'devices' ? null : 'devices'))}
        {toggle(panel === 'people', t('call.controls.people'), <People />, () => props.onPanel(panel === 'people' ? null : 'people'))}
        <span className={styles.badgeHolder}>
          {toggle(panel === 'chat', t('call.controls.chat'), <Chat />, () => props.onPanel(panel === 'chat' ? null : 'chat'))}
          {unread > 0 && (
            <span className={styles.badge} aria-label={t('call.unread', { count: unread })}>
              {unread}
            </span>
          )}
        </span>
      </div>
    </div>
  );
}
