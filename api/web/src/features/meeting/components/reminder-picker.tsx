/** Reminders as chips, added from presets (at the start, 5, 10, 15, 30 minutes, an hour, a day), at most five. */

import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Close } from '../../../components/ui/icons';
import { formatReminder } from '../../../lib/format';
import { MAX_REMINDERS, REMINDER_PRESETS } from './meeting-form';
import styles from './meeting-editor.module.css';

interface ReminderPickerProps {
  id: string;
  value: number[];
  onChange: (reminders: number[]) => void;
  describedBy?: string;
}

export function ReminderPicker({ id, value, onChange, describedBy }: ReminderPickerProps) {
  const { t } = useTranslation();
  const hintId = useId();
  const available = REMINDER_PRESETS.filter((minutes) => !value.includes(minutes));
  const full = value.length >= MAX_REMINDERS;
  return (
    <div className={styles.picker}>
      {value.length > 0 ? (
        <ul className={styles.chips} aria-label={t('editor.reminderList')}>
          {value.map((minutes) => (
            <li key={minutes} className={styles.chip}>
              <span className={styles.chipName}>{formatReminder(minutes, t)}</span>
              <button
                type="button"
                className={styles.chipRemove}
                onClick={() => onChange(value.filter((other) => other !== minutes))}
                aria-label={t('editor.removeReminder', { reminder: formatReminder(minutes, t) })}
              >
                <Close size={14} />
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="field-hint">{t('editor.noReminders')}</p>
      )}
      <select
        id={id}
        className={`input ${styles.reminderSelect}`}
        value=""
        disabled={full || available.length === 0}
        aria-describedby={[hintId, describedBy].filter(Boolean).join(' ')}
        onChange={(event) => {
          const minutes = Number(event.target.value);
          if (event.target.value !== '' && !value.includes(minutes)) {
            onChange([...value, minutes].sort((a, b) => a - b));
          }
        }}
      >
        <option value="">{t('editor.addReminder')}</option>
        {available.map((minutes) => (
          <option key={minutes} value={minutes}>
            {formatReminder(minutes, t)}
          </option>
        ))}
      </select>
      <p id={hintId} className="field-hint">
        {full ? t('editor.remindersFull', { count: MAX_REMINDERS }) : t('editor.remindersHint', { count: MAX_REMINDERS })}
      </p>
    </div>
  );
}
