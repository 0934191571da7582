/** The cameras, microphones and speakers the browser offers, kept current. */

import { useEffect, useState } from 'react';

export function useMediaDevices(ready: boolean): MediaDeviceInfo[] {
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  useEffect(() => {
    const media = navigator.mediaDevices;
    if (!ready || !media?.enumerateDevices) return;
    const update = () => void media.enumerateDevices().then(setDevices).catch(() => {});
    update();
    media.addEventListener?.('devicechange', update);
    return () => media.removeEventListener?.('devicechange', update);
  }, [ready]);
  return devices;
}
