import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useIsPhone } from '../../../lib/use-media-query';
import { dateParam, isView, parseDateParam, type CalendarViewName } from './calendar-range';

/**
 * The view and date shown, kept in the address (`?view=week&date=2026-12-01`) so that a
 * reload or a shared link shows the same. Without one, phones get the day and wider
 * screens the week.
 */
export function useCalendarView() {
  const [params, setParams] = useSearchParams();
  const isPhone = useIsPhone();
  const viewParam = params.get('view');
  const view: CalendarViewName = isView(viewParam) ? viewParam : isPhone ? 'day' : 'week';
  const dateText = params.get('date');
  const date = useMemo(() => parseDateParam(dateText) ?? new Date(), [dateText]);

  const update = useCallback(
    (next: { view?: CalendarViewName; date?: Date }) => {
      setParams(
        (current) => {
          const params = new URLSearchParams(current);
          if (next.view) params.set('view', next.view);
          if (next.date) params.set('date', dateParam(next.date));
          return params;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  return {
    view,
    date,
    setView: useCallback((view: CalendarViewName) => update({ view }), [update]),
    setDate: useCallback((date: Date) => update({ date }), [update]),
  };
}
