/**
 * A meeting, opened over the calendar (a side panel on wide screens, the whole screen on
 * a phone): when, who, the person's answer, the call, and for the organizer editing and
 * cancelling. The History tab tells what happened to it.
 */

import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ResponseStatusLabel } from '../../../components/response-status';
import { Ban, Close, Pencil, Users, Video, Clock, Bell } from '../../../components/ui/icons';
import { ErrorState, Skeleton } from '../../../components/ui/states';
import { isApiProblem } from '../../../lib/api-client';
import type { MeetingView, ResponseStatus } from '../../../lib/api/types';
import { formatList, formatRange, formatReminders, zoneLabel } from '../../../lib/format';
import { problemMessage } from '../../../lib/problem-message';
import { browserTimeZone } from '../../../lib/time';
import { useLanguage } from '../../../lib/use-language';
import { useMeeting } from '../api/get-meeting';
import { CancelMeetingDialog } from './cancel-meeting-dialog';
import { HistoryTimeline } from './history-timeline';
import { MeetingEditor } from './meeting-editor';
import { ResponseButtons } from './response-buttons';
import styles from './meeting-panel.module.css';

interface MeetingPanelProps {
  id: string;
  /** The signed-in person's address. */
  me: string;
  onClose: () => void;
}

type Tab = 'details' | 'history';

export function MeetingPanel({ id, me, onClose }: MeetingPanelProps) {
  const { t } = useTranslation();
  const meeting = useMeeting(id);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const titleId = useId();

  // Focus comes into the panel when it opens, and goes back to where it was when it closes.
  useEffect(() => {
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    return () => {
      if (returnTo?.isConnected) returnTo.focus();
    };
  }, []);
  useEffect(() => {
    titleRef.current?.focus();
  }, [id, meeting.isSuccess]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      onClose();
    }
  };

  return (
    <section className={styles.panel} aria-labelledby={titleId} onKeyDown={onKeyDown}>
      <div className={styles.bar}>
        <button type="button" className="btn btn-icon" onClick={onClose} aria-label={t('meeting.close')}>
          <Close />
        </button>
      </div>
      {meeting.isPending ? (
        <div className={styles.body}>
          <h2 id={titleId} ref={titleRef} tabIndex={-1} className="visually-hidden">
            {t('meeting.loading')}
          </h2>
          <Skeleton label={t('meeting.loading')} lines={5} />
        </div>
      ) : meeting.isError ? (
        <div className={styles.body}>
          <h2 id={titleId} ref={titleRef} tabIndex={-1} className={styles.title}>
            {isApiProblem(meeting.error) && meeting.error.status === 404 ? t('meeting.notFound') : t('meeting.loadFailed')}
          </h2>
          <ErrorState message={problemMessage(meeting.error, t)} onRetry={() => void meeting.refetch()} />
        </div>
      ) : (
        <MeetingContent meeting={meeting.data} me={me} titleId={titleId} titleRef={titleRef} />
      )}
    </section>
  );
}

function MeetingContent({
  meeting,
  me,
  titleId,
  titleRef,
}: {
  meeting: MeetingView;
  me: string;
  titleId: string;
  titleRef: React.RefObject<HTMLHeadingElement | null>;
}) {
  const { t } = useTranslation();
  const [tab, setTab] = useState<Tab>('details');
  const [editing, setEditing] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const tabsId = useId();
  const cancelled = meeting.status === 'cancelled';
  const organizer = meeting.my_role === 'organizer';

  const onTabKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft' || event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      const next: Tab = tab === 'details' ? 'history' : 'details';
      setTab(next);
      document.getElementById(`${tabsId}-${next}`)?.focus();
    }
  };

  return (
    <>
      <div className={styles.body}>
        <div className={styles.heading}>
          <h2 id={titleId} ref={titleRef} tabIndex={-1} className={`${styles.title} ${cancelled ? styles.struck : ''}`}>
            {meeting.title}
          </h2>
          {organizer && !cancelled && (
            <div className={styles.actions}>
              <button type="button" className="btn" onClick={() => setEditing(true)}>
                <Pencil />
                {t('meeting.edit')}
              </button>
              <button type="button" className="btn btn-quiet" onClick={() => setCancelling(true)}>
                <Ban />
                {t('meeting.cancelMeeting')}
              </button>
            </div>
          )}
        </div>
        {cancelled && (
          <p className={styles.cancelled} role="status">
            {t('meeting.cancelled')}
            {meeting.cancellation_reason && <span className={styles.reason}>{t('meeting.reason', { reason: meeting.cancellation_reason })}</span>}
          </p>
        )}
        <div role="tablist" aria-label={t('meeting.sections')} className={styles.tabs} onKeyDown={onTabKey}>
          {(['details', 'history'] as const).map((name) => (
            <button
              key={name}
              id={`${tabsId}-${name}`}
              type="button"
              role="tab"
              aria-selected={tab === name}
              aria-controls={`${tabsId}-${name}-panel`}
              tabIndex={tab === name ? 0 : -1}
              className={styles.tab}
              onClick={() => setTab(name)}
            >
              {t(`meeting.tabs.${name}`)}
            </button>
          ))}
        </div>
        <div id={`${tabsId}-${tab}-panel`} role="tabpanel" aria-labelledby={`${tabsId}-${tab}`} className={styles.tabPanel}>
          {tab === 'details' ? <MeetingDetails meeting={meeting} /> : <HistoryTimeline meetingId={meeting.id} />}
        </div>
      </div>
      {editing && <MeetingEditor target={{ kind: 'edit', meeting }} organizer={me} onClose={() => setEditing(false)} />}
      {cancelling && <CancelMeetingDialog meeting={meeting} onClose={() => setCancelling(false)} />}
    </>
  );
}

function AnswerSummary({ meeting }: { meeting: MeetingView }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const counts = new Map<ResponseStatus, number>();
  for (const attendee of meeting.attendees) counts.set(attendee.response, (counts.get(attendee.response) ?? 0) + 1);
  const parts = (['accepted', 'tentative', 'declined', 'needs_action'] as const)
    .filter((status) => counts.get(status))
    .map((status) => t(`meeting.summary.${status}`, { count: counts.get(status) }));
  return <p className={styles.muted}>{formatList(parts, language)}</p>;
}

function MeetingDetails({ meeting }: { meeting: MeetingView }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const start = new Date(meeting.starts_at);
  const end = new Date(meeting.ends_at);
  const zoneDiffers = meeting.time_zone !== browserTimeZone();
  const cancelled = meeting.status === 'cancelled';
  const call = meeting.call;
  return (
    <div className={styles.details}>
      <div className={styles.row}>
        <Clock className={styles.rowIcon} />
        <div>
          <p className={styles.when}>{formatRange(start, end, language)}</p>
          {zoneDiffers && (
            <p className={styles.muted}>
              {t('meeting.inZone', { times: formatRange(start, end, language, meeting.time_zone), zone: zoneLabel(meeting.time_zone) })}
            </p>
          )}
        </div>
      </div>

      {!cancelled && (
        <div className={styles.row}>
          <Video className={styles.rowIcon} />
          <div className={styles.call}>
            <a className="btn btn-primary" href={`/rooms/${meeting.room_id}`}>
              {t('meeting.join')}
            </a>
            {call?.status === 'in_progress' && (
              <span className={styles.live}>{t('meeting.callInProgress', { count: call.participants })}</span>
            )}
          </div>
        </div>
      )}

      {meeting.my_role === 'attendee' && !cancelled && <ResponseButtons meeting={meeting} />}

      <div className={styles.row}>
        <Users className={styles.rowIcon} />
        <div className={styles.people}>
          <h3 className={styles.sectionTitle}>{t('meeting.people', { count: meeting.attendees.length + 1 })}</h3>
          {meeting.attendees.length > 0 && <AnswerSummary meeting={meeting} />}
          <ul className={styles.personList}>
            <li className={styles.person}>
              <span className={styles.personName}>
                {meeting.organizer.name || meeting.organizer.email}
                <span className={styles.muted}> · {t('meeting.organizer')}</span>
              </span>
              <span className={styles.personEmail}>{meeting.organizer.email}</span>
            </li>
            {meeting.attendees.map((attendee) => (
              <li key={attendee.email} className={styles.person}>
                <span className={styles.personName}>{attendee.name || attendee.email}</span>
                {attendee.name && <span className={styles.personEmail}>{attendee.email}</span>}
                <ResponseStatusLabel response={attendee.response} />
              </li>
            ))}
          </ul>
        </div>
      </div>

      {meeting.reminders.length > 0 && (
        <div className={styles.row}>
          <Bell className={styles.rowIcon} />
          <p>
            <span className="visually-hidden">{t('meeting.reminders')}: </span>
            {formatReminders(meeting.reminders, t, language)}
          </p>
        </div>
      )}

      {meeting.description && (
        <div className={styles.description}>
          <h3 className="visually-hidden">{t('meeting.description')}</h3>
          <p>{meeting.description}</p>
        </div>
      )}
    </div>
  );
}
