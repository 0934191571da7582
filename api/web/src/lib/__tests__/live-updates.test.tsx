import { QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { queryKeys } from '../query-keys';
import { useLiveUpdates } from '../live-updates';
import { testQueryClient } from '../../testing/render';

/** A stand-in for the browser's EventSource that the test drives. */
class FakeEventSource {
  static CLOSED = 2;
  static last: FakeEventSource | null = null;
  readonly listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  readyState = 1;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, data = '') {
    this.listeners.get(type)?.forEach((listener) => listener(new MessageEvent(type, { data })));
  }
  close() {
    this.closed = true;
  }
}

function Live() {
  useLiveUpdates(true);
  return null;
}

describe('live updates', () => {
  it('refetches the calendar and the changed meeting when the stream says it changed', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    const queryClient = testQueryClient();
    const invalidate = vi.spyOn(queryClient, 'invalidateQueries');
    const { unmount } = render(
      <QueryClientProvider client={queryClient}>
        <Live />
      </QueryClientProvider>,
    );

    const source = FakeEventSource.last!;
    expect(source.url).toBe('/api/calendar/stream');
    source.emit('change', JSON.stringify({ meeting_id: 'm-1' }));
    source.emit('change', JSON.stringify({ meeting_id: 'm-1' }));

    await vi.waitFor(() => expect(invalidate).toHaveBeenCalledWith({ queryKey: queryKeys.meetingAll('m-1') }));
    expect(invalidate).toHaveBeenCalledWith({ queryKey: queryKeys.calendars });
    expect(invalidate).toHaveBeenCalledTimes(2);
    unmount();
    expect(source.closed).toBe(true);
  });
});
