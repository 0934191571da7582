import { useSyncExternalStore } from 'react';

/** Whether a media query matches now, updated as it changes. */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      if (typeof window === 'undefined' || !window.matchMedia) return () => {};
      const list = window.matchMedia(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    () => (typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(query).matches : false),
    () => false,
  );
}

/** Phones: below 640 px the app shows one day or the agenda, and a compact toolbar. */
export const PHONE_QUERY = '(max-width: 639px)';

export function useIsPhone(): boolean {
  return useMediaQuery(PHONE_QUERY);
}
