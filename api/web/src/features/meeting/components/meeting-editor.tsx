/**
 * The meeting editor, in a dialog: title, time and zone, attendees, reminders and
 * description. Creating sends one POST with an `Idempotency-Key`; editing sends only what
 * changed. A field the server refuses gets its message beside it.
 */

import { useId, useRef, useState, type FormEvent } from 'react';
import toast from 'react-hot-toast';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../../../components/ui/dialog';
import { isApiProblem } from '../../../lib/api-client';
import type { MeetingView } from '../../../lib/api/types';
import { formatTimeRange, zoneLabel } from '../../../lib/format';
import { problemMessage } from '../../../lib/problem-message';
import { addMinutesToWall, browserTimeZone, fromInputValue, instantOf, minutesBetweenWalls, timeZones, toInputValue } from '../../../lib/time';
import { useLanguage } from '../../../lib/use-language';
import { useSaveMeetingChanges } from '../api/save-meeting-changes';
import { useScheduleMeeting } from '../api/schedule-meeting';
import { AttendeePicker } from './attendee-picker';
import {
  changesOf,
  fieldErrorsOf,
  formForMeeting,
  formForNewMeeting,
  hasChanges,
  parseAttendee,
  scheduleRequest,
  splitAddresses,
  validate,
  type Attendee,
  type FieldErrors,
  type FormField,
  type MeetingForm,
} from './meeting-form';
import { ReminderPicker } from './reminder-picker';
import styles from './meeting-editor.module.css';

export type EditorTarget = { kind: 'new'; start: Date; end: Date } | { kind: 'edit'; meeting: MeetingView };

interface MeetingEditorProps {
  target: EditorTarget;
  /** The signed-in person's address: they organise, so they cannot be invited. */
  organizer: string;
  onClose: () => void;
  onSaved?: (meeting: MeetingView) => void;
}

const ZONES = timeZones();

export function MeetingEditor({ target, organizer, onClose, onSaved }: MeetingEditorProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const ids = { title: useId(), start: useId(), end: useId(), zone: useId(), attendees: useId(), reminders: useId(), description: useId() };
  const [form, setForm] = useState<MeetingForm>(() =>
    target.kind === 'new' ? formForNewMeeting(target.start, target.end, browserTimeZone()) : formForMeeting(target.meeting),
  );
  const [draft, setDraft] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  /** The key of the last body sent: the same body again is a retry and reuses it. */
  const idempotency = useRef<{ body: string; key: string } | null>(null);
  const schedule = useScheduleMeeting();
  const save = useSaveMeetingChanges(target.kind === 'edit' ? target.meeting.id : '');
  const busy = schedule.isPending || save.isPending;

  const set = <K extends keyof MeetingForm>(key: K, value: MeetingForm[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    setErrors((current) => ({ ...current, [key === 'timeZone' ? 'time_zone' : key]: undefined }));
  };

  const onStartChange = (value: string) => {
    // The end follows the start, keeping the meeting's length, as calendars do.
    const length = minutesBetweenWalls(fromInputValue(form.start), fromInputValue(form.end));
    setForm((current) => ({
      ...current,
      start: value,
      end: value && length > 0 ? toInputValue(addMinutesToWall(fromInputValue(value), length)) : current.end,
    }));
    setErrors((current) => ({ ...current, start: undefined, end: undefined }));
  };

  const showFailure = (error: unknown) => {
    const fieldErrors = fieldErrorsOf(error, t);
    if (fieldErrors) {
      setErrors(fieldErrors);
      setFailure(null);
    } else if (isApiProblem(error) && error.isVersionMismatch) {
      setFailure(t('editor.changedMeanwhile'));
    } else {
      setFailure(problemMessage(error, t));
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    let attendees: Attendee[] = form.attendees;
    if (draft.trim()) {
      const parsed = splitAddresses(draft).map(parseAttendee);
      if (parsed.some((attendee) => !attendee)) {
        setErrors({ attendees: t('editor.errors.notAnAddress', { text: draft.trim() }) });
        return;
      }
      attendees = [...attendees, ...(parsed as Attendee[]).filter((a) => !attendees.some((b) => b.email.toLowerCase() === a.email.toLowerCase()))];
      setForm((current) => ({ ...current, attendees }));
      setDraft('');
    }
    const complete = { ...form, attendees };
    const found = validate(complete, t);
    if (Object.keys(found).length) {
      setErrors(found);
      return;
    }
    setErrors({});
    if (target.kind === 'new') {
      const body = scheduleRequest(complete);
      const text = JSON.stringify(body);
      if (idempotency.current?.body !== text) idempotency.current = { body: text, key: crypto.randomUUID() };
      schedule.mutate(
        { body, idempotencyKey: idempotency.current.key },
        {
          onSuccess: (result) => {
            const invited = result.meeting.attendees.length;
            toast.success(invited ? t('editor.scheduledInvited', { count: invited }) : t('editor.scheduled'));
            onSaved?.(result.meeting);
            onClose();
          },
          onError: showFailure,
        },
      );
    } else {
      const changes = changesOf(target.meeting, complete);
      if (!hasChanges(changes)) {
        onClose();
        return;
      }
      save.mutate(
        { meeting: target.meeting, changes },
        {
          onSuccess: (meeting) => {
            toast.success(t('editor.saved'));
            onSaved?.(meeting);
            onClose();
          },
          onError: showFailure,
        },
      );
    }
  };

  const errorId = (field: FormField) => `${ids.title}-${field}-error`;
  const fieldError = (field: FormField) =>
    errors[field] ? (
      <p id={errorId(field)} className="field-error">
        {errors[field]}
      </p>
    ) : null;
  const invalid = (field: FormField) => (errors[field] ? { 'aria-invalid': true, 'aria-describedby': errorId(field) } : {});

  const zoneDiffers = form.timeZone !== browserTimeZone();
  const startInstant = instantOf(fromInputValue(form.start), form.timeZone);
  const endInstant = instantOf(fromInputValue(form.end), form.timeZone);
  const localTimes =
    zoneDiffers && !Number.isNaN(startInstant.getTime()) && !Number.isNaN(endInstant.getTime()) && endInstant > startInstant
      ? formatTimeRange(startInstant, endInstant, language)
      : null;

  const formId = `${ids.title}-form`;
  return (
    <Dialog
      title={target.kind === 'new' ? t('editor.newTitle') : t('editor.editTitle')}
      onClose={onClose}
      size="large"
      busy={busy}
      footer={
        <>
          <button type="button" className="btn btn-quiet" onClick={onClose} disabled={busy}>
            {t('common.cancel')}
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy}>
            {busy ? t('editor.saving') : t('editor.save')}
          </button>
        </>
      }
    >
      <form id={formId} className={styles.form} onSubmit={onSubmit} noValidate>
        {failure && (
          <p className="alert" role="alert">
            {failure}
          </p>
        )}
        <div className="field">
          <label htmlFor={ids.title}>{t('editor.title')}</label>
          <input
            id={ids.title}
            className={`input ${styles.titleInput}`}
            value={form.title}
            maxLength={200}
            required
            data-autofocus
            placeholder={t('editor.titlePlaceholder')}
            onChange={(event) => set('title', event.target.value)}
            {...invalid('title')}
          />
          {fieldError('title')}
        </div>
        <div className={styles.when}>
          <div className="field">
            <label htmlFor={ids.start}>{t('editor.starts')}</label>
            <input
              id={ids.start}
              className="input"
              type="datetime-local"
              value={form.start}
              required
              onChange={(event) => onStartChange(event.target.value)}
              {...invalid('start')}
            />
            {fieldError('start')}
          </div>
          <div className="field">
            <label htmlFor={ids.end}>{t('editor.ends')}</label>
            <input
              id={ids.end}
              className="input"
              type="datetime-local"
              value={form.end}
              min={form.start}
              required
              onChange={(event) => set('end', event.target.value)}
              {...invalid('end')}
            />
            {fieldError('end')}
          </div>
          <div className="field">
            <label htmlFor={ids.zone}>{t('editor.timeZone')}</label>
            <select
              id={ids.zone}
              className="input"
              value={form.timeZone}
              onChange={(event) => set('timeZone', event.target.value)}
              {...invalid('time_zone')}
            >
              {ZONES.map((zone) => (
                <option key={zone} value={zone}>
                  {zone.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
            {fieldError('time_zone')}
          </div>
        </div>
        {localTimes && (
          <p className="field-hint">{t('editor.yourTime', { times: localTimes, zone: zoneLabel(browserTimeZone()) })}</p>
        )}
        <div className="field">
          <label htmlFor={ids.attendees}>{t('editor.attendees')}</label>
          <AttendeePicker
            id={ids.attendees}
            value={form.attendees}
            onChange={(attendees) => set('attendees', attendees)}
            draft={draft}
            onDraftChange={(text) => {
              setDraft(text);
              if (errors.attendees) setErrors((current) => ({ ...current, attendees: undefined }));
            }}
            organizer={organizer}
            describedBy={errors.attendees ? errorId('attendees') : undefined}
            invalid={Boolean(errors.attendees)}
          />
          {fieldError('attendees')}
        </div>
        <div className="field">
          <label htmlFor={ids.reminders}>{t('editor.reminders')}</label>
          <ReminderPicker
            id={ids.reminders}
            value={form.reminders}
            onChange={(reminders) => set('reminders', reminders)}
            describedBy={errors.reminders ? errorId('reminders') : undefined}
          />
          {fieldError('reminders')}
        </div>
        <div className="field">
          <label htmlFor={ids.description}>{t('editor.description')}</label>
          <textarea
            id={ids.description}
            className="input"
            rows={4}
            maxLength={8000}
            value={form.description}
            onChange={(event) => set('description', event.target.value)}
            {...invalid('description')}
          />
          {fieldError('description')}
        </div>
      </form>
    </Dialog>
  );
}
