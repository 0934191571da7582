/** A choice of camera, microphone or speaker among those the browser offers. */

import { useTranslation } from 'react-i18next';
import styles from './call.module.css';

export type DeviceKind = 'videoinput' | 'audioinput' | 'audiooutput';

interface DeviceSelectProps {
  kind: DeviceKind;
  devices: MediaDeviceInfo[];
  value: string;
  onChange(deviceId: string): void;
}

/** Nothing when the browser offers no device of the kind (or none it may name). */
export function DeviceSelect({ kind, devices, value, onChange }: DeviceSelectProps) {
  const { t } = useTranslation();
  const offered = devices.filter((device) => device.kind === kind && device.deviceId);
  if (!offered.length) return null;
  return (
    <label className={styles.device}>
      <span>{t(`call.devices.${kind}`)}</span>
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">{t('call.devices.default')}</option>
        {offered.map((device, i) => (
          <option key={device.deviceId} value={device.deviceId}>
            {device.label || `${t(`call.devices.${kind}`)} ${i + 1}`}
          </option>
        ))}
      </select>
    </label>
  );
}
