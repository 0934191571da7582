import { useId, useState } from 'react';
import toast from 'react-hot-toast';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../../../components/ui/dialog';
import { isApiProblem } from '../../../lib/api-client';
import type { MeetingView } from '../../../lib/api/types';
import { problemMessage } from '../../../lib/problem-message';
import { useCancelMeeting } from '../api/cancel-meeting';

/** Asks before calling the meeting off, with an optional reason the attendees are told. */
export function CancelMeetingDialog({ meeting, onClose }: { meeting: MeetingView; onClose: () => void }) {
  const { t } = useTranslation();
  const reasonId = useId();
  const [reason, setReason] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const cancel = useCancelMeeting(meeting.id);
  const submit = () =>
    cancel.mutate(
      { version: meeting.version, reason },
      {
        onSuccess: () => {
          toast.success(meeting.attendees.length ? t('cancel.doneNotified') : t('cancel.done'));
          onClose();
        },
        onError: (error) =>
          setFailure(isApiProblem(error) && error.isVersionMismatch ? t('editor.changedMeanwhile') : problemMessage(error, t)),
      },
    );
  return (
    <Dialog
      title={t('cancel.title')}
      onClose={onClose}
      busy={cancel.isPending}
      footer={
        <>
          <button type="button" className="btn btn-quiet" onClick={onClose} disabled={cancel.isPending}>
            {t('cancel.keep')}
          </button>
          <button type="button" className="btn btn-danger" onClick={submit} disabled={cancel.isPending}>
            {cancel.isPending ? t('cancel.cancelling') : t('cancel.confirm')}
          </button>
        </>
      }
    >
      <p>{meeting.attendees.length ? t('cancel.bodyNotify', { title: meeting.title, count: meeting.attendees.length }) : t('cancel.body', { title: meeting.title })}</p>
      {failure && (
        <p className="alert" role="alert">
          {failure}
        </p>
      )}
      <div className="field">
        <label htmlFor={reasonId}>{t('cancel.reason')}</label>
        <textarea
          id={reasonId}
          className="input"
          rows={3}
          maxLength={8000}
          value={reason}
          data-autofocus
          onChange={(event) => setReason(event.target.value)}
        />
      </div>
    </Dialog>
  );
}
