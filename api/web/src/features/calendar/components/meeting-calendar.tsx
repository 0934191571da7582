/**
 * The calendar: month, week, day and agenda views of the person's meetings in the
 * browser's time zone, fetched for the visible range. Selecting a time proposes a new
 * meeting; the organizer drags a meeting to move it or its edge to resize it.
 */

import { useQueryClient } from '@tanstack/react-query';
import { addHours, addMinutes, differenceInMinutes, format, getDay, isSameDay, setHours, startOfHour, startOfWeek } from 'date-fns';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Calendar, dateFnsLocalizer, type Formats, type HeaderProps, type Messages, type SlotInfo } from 'react-big-calendar';
import * as dragAndDrop from 'react-big-calendar/lib/addons/dragAndDrop';
import type { EventInteractionArgs } from 'react-big-calendar/lib/addons/dragAndDrop';
import { useTranslation } from 'react-i18next';
import { EmptyState, ErrorState } from '../../../components/ui/states';
import { calendarCulture, dateFnsLocales, weekStartsOn, type Language } from '../../../lib/locale';
import { problemMessage } from '../../../lib/problem-message';
import { useLanguage } from '../../../lib/use-language';
import { useIsPhone } from '../../../lib/use-media-query';
import { useCalendar } from '../api/get-calendar';
import { moveMeeting } from '../api/move-meeting';
import {
  AgendaEventContent,
  MonthEventContent,
  TimeGridEventContent,
  canMove,
  eventClassName,
  isCancelled,
  toCalendarEvent,
  type CalendarEvent,
} from './calendar-event';
import { step, visibleRange, type CalendarViewName } from './calendar-range';
import { watchGridRoles } from './grid-roles';
import { CalendarToolbar } from './calendar-toolbar';
import { useCalendarView } from './use-calendar-view';
import 'react-big-calendar/lib/css/react-big-calendar.css';
import 'react-big-calendar/lib/addons/dragAndDrop/styles.css';
import './calendar-theme.css';
import styles from './meeting-calendar.module.css';

// The calendar never parses text (the toolbar is ours), so date-fns' large `parse` stays out.
const parse = (value: string) => new Date(value);
const localizer = dateFnsLocalizer({ format, parse, startOfWeek, getDay, locales: dateFnsLocales });

// The addon is CommonJS: bundlers that read this package as Node ESM give its whole
// `exports` as the default, others its `exports.default`.
type WithDragAndDrop = typeof dragAndDrop.default;
const addon = dragAndDrop as unknown as { default: WithDragAndDrop | { default: WithDragAndDrop } };
const withDragAndDrop: WithDragAndDrop = typeof addon.default === 'function' ? addon.default : addon.default.default;

const DnDCalendar = withDragAndDrop<CalendarEvent>(Calendar);

export interface NewMeetingRange {
  start: Date;
  end: Date;
}

interface MeetingCalendarProps {
  onOpenMeeting: (id: string) => void;
  onCreate: (range: NewMeetingRange) => void;
}

/** A new meeting from the toolbar: the next full hour today, or 9:00 on another day. */
export function defaultNewMeetingRange(shownDate: Date, now = new Date()): NewMeetingRange {
  const start = isSameDay(shownDate, now) ? startOfHour(addHours(now, 1)) : setHours(startOfHour(shownDate), 9);
  return { start, end: addHours(start, 1) };
}

/** A selected slot as a meeting's time: a click gives an hour, a whole day gives 9:00–10:00. */
export function rangeOfSlot(slot: Pick<SlotInfo, 'start' | 'end' | 'action'>, view: CalendarViewName): NewMeetingRange {
  const start = new Date(slot.start);
  const end = new Date(slot.end);
  if (view === 'month' || differenceInMinutes(end, start) >= 24 * 60) {
    const morning = setHours(startOfHour(start), 9);
    return { start: morning, end: addHours(morning, 1) };
  }
  if (slot.action === 'click' && differenceInMinutes(end, start) < 60) return { start, end: addMinutes(start, 60) };
  return { start, end };
}

function timeRange({ start, end }: { start: Date; end: Date }, culture?: string) {
  return `${localizer.format(start, 'p', culture)} – ${localizer.format(end, 'p', culture)}`;
}

/**
 * The week's day headings. On a phone seven columns leave about 40 px each: the heading is
 * then the narrow weekday and the day ("S 30", "пн 1"), and the full date stays for screen
 * readers.
 */
function dayFormat(language: Language, dayFirst: boolean, compact: boolean): string {
  // Russian days are "пн", "вт": date-fns' short form; its abbreviated form is "пнд".
  if (language === 'ru') return 'EEEEEE d';
  if (compact) return 'EEEEE d';
  return dayFirst ? 'EEE d' : 'EEE M/d';
}

function CompactDayHeader({ date, label, localizer }: HeaderProps) {
  return (
    <>
      <span aria-hidden="true">{label}</span>
      <span className="visually-hidden">{localizer.format(date, 'dayHeaderFormat')}</span>
    </>
  );
}

function useFormats(language: Language, compact: boolean): Formats {
  return useMemo(() => {
    const range = timeRange;
    const dayFirst = language === 'ru' || calendarCulture(language) === 'en-GB';
    return {
      timeGutterFormat: 'p',
      dateFormat: 'd',
      dayFormat: dayFormat(language, dayFirst, compact),
      weekdayFormat: language === 'ru' ? 'EEEEEE' : 'EEE',
      dayHeaderFormat: dayFirst ? 'EEEE, d MMMM' : 'EEEE, MMMM d',
      agendaDateFormat: language === 'ru' ? 'EEEEEE, d MMM' : dayFirst ? 'EEE, d MMM' : 'EEE, MMM d',
      agendaTimeFormat: 'p',
      agendaTimeRangeFormat: range,
      eventTimeRangeFormat: range,
      selectRangeFormat: range,
    };
  }, [language, compact]);
}

export function MeetingCalendar({ onOpenMeeting, onCreate }: MeetingCalendarProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const culture = calendarCulture(language);
  const weekStart = weekStartsOn(language);
  const isPhone = useIsPhone();
  const queryClient = useQueryClient();
  const { view, date, setView, setDate } = useCalendarView();
  const [showCancelled, setShowCancelled] = useState(true);

  const range = useMemo(() => visibleRange(view, date, weekStart), [view, date, weekStart]);
  const weekRange = useMemo(() => visibleRange('week', date, weekStart), [date, weekStart]);
  const calendar = useCalendar(range.from, range.to);

  const events = useMemo(
    () => (calendar.data?.meetings ?? []).filter((meeting) => showCancelled || !isCancelled(meeting)).map(toCalendarEvent),
    [calendar.data, showCancelled],
  );

  const messages: Messages<CalendarEvent> = useMemo(
    () => ({
      date: t('calendar.agenda.date'),
      time: t('calendar.agenda.time'),
      event: t('calendar.agenda.event'),
      allDay: t('calendar.allDay'),
      week: t('calendar.views.week'),
      work_week: t('calendar.views.week'),
      day: t('calendar.views.day'),
      month: t('calendar.views.month'),
      agenda: t('calendar.views.agenda'),
      previous: t('calendar.previous.week'),
      next: t('calendar.next.week'),
      yesterday: t('calendar.yesterday'),
      tomorrow: t('calendar.tomorrow'),
      today: t('calendar.today'),
      noEventsInRange: t('calendar.empty.agenda'),
      showMore: (count: number) => t('calendar.showMore', { count }),
    }),
    [t],
  );
  const compactWeek = isPhone && view === 'week';
  const formats = useFormats(language, compactWeek);

  const components = useMemo(
    () => ({
      toolbar: () => null,
      month: { event: MonthEventContent },
      week: compactWeek ? { event: TimeGridEventContent, header: CompactDayHeader } : { event: TimeGridEventContent },
      day: { event: TimeGridEventContent },
      agenda: { event: AgendaEventContent },
    }),
    [compactWeek],
  );

  const onMove = useCallback(
    ({ event, start, end }: EventInteractionArgs<CalendarEvent>) => {
      void moveMeeting(queryClient, { meeting: event.meeting, start: new Date(start), end: new Date(end) });
    },
    [queryClient],
  );

  const open = useCallback((event: CalendarEvent) => onOpenMeeting(event.id), [onOpenMeeting]);

  const onKeyPressEvent = useCallback(
    (event: CalendarEvent, keyEvent: React.SyntheticEvent) => {
      const { key, target } = keyEvent as React.KeyboardEvent;
      // A button inside the event opens it by its own click.
      if ((key === 'Enter' || key === ' ') && !(target instanceof HTMLButtonElement)) {
        keyEvent.preventDefault();
        open(event);
      }
    },
    [open],
  );

  const gridRef = useRef<HTMLDivElement>(null);
  const hoursLabel = t('calendar.hours');
  useEffect(() => (gridRef.current ? watchGridRoles(gridRef.current, hoursLabel) : undefined), [hoursLabel]);

  const hasNone = calendar.isSuccess && !calendar.isPlaceholderData && events.length === 0;
  const scrollToTime = useMemo(() => new Date(1970, 0, 1, 8), []);

  return (
    <section className={styles.calendar} aria-label={t('calendar.label')}>
      <CalendarToolbar
        view={view}
        date={date}
        weekRange={weekRange}
        compact={isPhone}
        loading={calendar.isFetching}
        showCancelled={showCancelled}
        onShowCancelled={setShowCancelled}
        onToday={() => setDate(new Date())}
        onStep={(direction) => setDate(step(view, date, direction))}
        onView={setView}
        onNewMeeting={() => onCreate(defaultNewMeetingRange(date))}
      />
      {calendar.isError && (
        <ErrorState message={problemMessage(calendar.error, t)} onRetry={() => void calendar.refetch()} />
      )}
      {hasNone && (
        <EmptyState title={t(`calendar.empty.${view}`)}>
          <button type="button" className="btn" onClick={() => onCreate(defaultNewMeetingRange(date))}>
            {t('calendar.newMeeting')}
          </button>
        </EmptyState>
      )}
      <div className={styles.grid} data-view={view} ref={gridRef}>
        <DnDCalendar
          localizer={localizer}
          culture={culture}
          events={events}
          view={view}
          views={['month', 'week', 'day', 'agenda']}
          onView={(next) => setView(next as CalendarViewName)}
          date={date}
          onNavigate={(next) => setDate(next)}
          messages={messages}
          formats={formats}
          components={components}
          selectable
          popup
          resizable
          step={30}
          timeslots={2}
          scrollToTime={scrollToTime}
          dayLayoutAlgorithm="no-overlap"
          draggableAccessor={(event) => canMove(event.meeting)}
          resizableAccessor={(event) => canMove(event.meeting)}
          eventPropGetter={(event) => ({ className: eventClassName(event.meeting) })}
          onSelectEvent={open}
          onKeyPressEvent={onKeyPressEvent}
          onSelectSlot={(slot) => onCreate(rangeOfSlot(slot, view))}
          onEventDrop={onMove}
          onEventResize={onMove}
          tooltipAccessor={null}
          style={{ height: '100%' }}
        />
      </div>
    </section>
  );
}
