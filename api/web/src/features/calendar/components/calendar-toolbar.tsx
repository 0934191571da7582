/**
 * Above the calendar: today, back and forward, what is shown, the view, whether
 * cancelled meetings show, and "New meeting". On a phone the view is a select and the
 * arrows stand alone.
 */

import { addDays } from 'date-fns';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { ChevronLeft, ChevronRight, Plus } from '../../../components/ui/icons';
import { Spinner } from '../../../components/ui/spinner';
import { intlLocale, type Language } from '../../../lib/locale';
import { useLanguage } from '../../../lib/use-language';
import { AGENDA_DAYS, VIEWS, isView, type CalendarViewName } from './calendar-range';
import styles from './meeting-calendar.module.css';

interface ToolbarProps {
  view: CalendarViewName;
  date: Date;
  weekRange: { from: Date; to: Date };
  compact: boolean;
  loading: boolean;
  showCancelled: boolean;
  onShowCancelled: (show: boolean) => void;
  onToday: () => void;
  onStep: (direction: 1 | -1) => void;
  onView: (view: CalendarViewName) => void;
  onNewMeeting: () => void;
}

function capitalize(text: string): string {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

/** "December 2026", "30 Nov – 6 Dec 2026", "Tuesday, 1 December 2026". */
export function rangeLabel(view: CalendarViewName, date: Date, weekRange: { from: Date; to: Date }, language: Language): string {
  const locale = intlLocale(language);
  switch (view) {
    case 'month':
      return capitalize(new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric' }).format(date));
    case 'day':
      return capitalize(
        new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(date),
      );
    case 'week':
    case 'agenda': {
      const from = view === 'week' ? weekRange.from : date;
      const last = view === 'week' ? addDays(weekRange.to, -1) : addDays(date, AGENDA_DAYS - 1);
      const format = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric' });
      return format.formatRange ? format.formatRange(from, last) : `${format.format(from)} – ${format.format(last)}`;
    }
  }
}

export function CalendarToolbar(props: ToolbarProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const selectId = useId();
  const { view, compact } = props;
  return (
    <div className={styles.toolbar}>
      <div className={styles.toolbarGroup}>
        <button type="button" className="btn" onClick={props.onToday}>
          {t('calendar.today')}
        </button>
        <button type="button" className="btn btn-icon" onClick={() => props.onStep(-1)} aria-label={t(`calendar.previous.${view}`)}>
          <ChevronLeft />
        </button>
        <button type="button" className="btn btn-icon" onClick={() => props.onStep(1)} aria-label={t(`calendar.next.${view}`)}>
          <ChevronRight />
        </button>
        <h1 className={styles.rangeLabel} aria-live="polite">
          {rangeLabel(view, props.date, props.weekRange, language)}
        </h1>
        {props.loading && <Spinner label={t('common.loading')} />}
      </div>
      <div className={styles.toolbarGroup}>
        <label className={styles.toggle}>
          <input type="checkbox" checked={props.showCancelled} onChange={(event) => props.onShowCancelled(event.target.checked)} />
          <span>{t('calendar.showCancelled')}</span>
        </label>
        {compact ? (
          <>
            <label htmlFor={selectId} className="visually-hidden">
              {t('calendar.view')}
            </label>
            <select
              id={selectId}
              className={`input ${styles.viewSelect}`}
              value={view}
              onChange={(event) => isView(event.target.value) && props.onView(event.target.value)}
            >
              {VIEWS.map((name) => (
                <option key={name} value={name}>
                  {t(`calendar.views.${name}`)}
                </option>
              ))}
            </select>
          </>
        ) : (
          <div className={styles.segmented} role="group" aria-label={t('calendar.view')}>
            {VIEWS.map((name) => (
              <button
                key={name}
                type="button"
                className={styles.segment}
                aria-pressed={view === name}
                onClick={() => props.onView(name)}
              >
                {t(`calendar.views.${name}`)}
              </button>
            ))}
          </div>
        )}
        <button
          type="button"
          className={`btn btn-primary ${compact ? styles.fab : ''}`}
          onClick={props.onNewMeeting}
          aria-label={compact ? t('calendar.newMeeting') : undefined}
        >
          <Plus />
          {!compact && t('calendar.newMeeting')}
        </button>
      </div>
    </div>
  );
}
