/** Another camera, microphone or speaker, mid-call. */

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMediaDevices } from '../hooks/use-media-devices';
import { DeviceSelect } from './device-select';
import styles from './call.module.css';

interface DevicesPanelProps {
  speaker: string;
  onDevice(kind: 'videoinput' | 'audioinput', deviceId: string): void;
  onSpeaker(deviceId: string): void;
}

export function DevicesPanel({ speaker, onDevice, onSpeaker }: DevicesPanelProps) {
  const { t } = useTranslation();
  const devices = useMediaDevices(true);
  const [chosen, setChosen] = useState({ videoinput: '', audioinput: '' });
  const choose = (kind: 'videoinput' | 'audioinput') => (deviceId: string) => {
    setChosen((current) => ({ ...current, [kind]: deviceId }));
    onDevice(kind, deviceId);
  };
  return (
    <section className={styles.panel} aria-labelledby="devices-title">
      <h2 id="devices-title">{t('call.controls.devices')}</h2>
      <DeviceSelect kind="videoinput" devices={devices} value={chosen.videoinput} onChange={choose('videoinput')} />
      <DeviceSelect kind="audioinput" devices={devices} value={chosen.audioinput} onChange={choose('audioinput')} />
      <DeviceSelect kind="audiooutput" devices={devices} value={speaker} onChange={onSpeaker} />
    </section>
  );
}
