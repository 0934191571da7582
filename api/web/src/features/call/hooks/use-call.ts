/** The call's state, re-rendered as it changes. */

import { useSyncExternalStore } from 'react';
import type { Call, CallSnapshot } from '../lib/call';

export function useCall(call: Call): CallSnapshot {
  return useSyncExternalStore(call.subscribe, call.getSnapshot);
}
