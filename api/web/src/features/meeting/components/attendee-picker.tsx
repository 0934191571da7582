/**
 * Attendees as chips (name and address), with an input that suggests people met in
 * earlier meetings as one types (`/api/people`) and takes any typed address as it is.
 * Enter, comma or semicolon adds; Backspace in the empty input removes the last chip.
 */

import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Close } from '../../../components/ui/icons';
import type { Person } from '../../../lib/api/types';
import { usePeopleSuggestions } from '../api/search-people';
import { parseAttendee, splitAddresses, type Attendee } from './meeting-form';
import styles from './meeting-editor.module.css';

interface AttendeePickerProps {
  id: string;
  value: Attendee[];
  onChange: (attendees: Attendee[]) => void;
  /** What is typed and not yet added (the editor adds it on save). */
  draft: string;
  onDraftChange: (draft: string) => void;
  /** The organizer's address, which cannot be invited. */
  organizer: string;
  describedBy?: string;
  invalid?: boolean;
}

function useDebounced<T>(value: T, delay: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return debounced;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function AttendeePicker({ id, value, onChange, draft, onDraftChange, organizer, describedBy, invalid }: AttendeePickerProps) {
  const { t } = useTranslation();
  const listId = useId();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [notice, setNotice] = useState('');
  const query = useDebounced(draft.trim(), 200);
  const people = usePeopleSuggestions(query);

  const suggestions: Person[] = (people.data ?? [])
    .filter((person) => !same(person.email, organizer) && !value.some((attendee) => same(attendee.email, person.email)))
    .slice(0, 8);
  const expanded = open && draft.trim().length > 0 && suggestions.length > 0;

  const add = (attendees: Attendee[]) => {
    const fresh = attendees.filter(
      (attendee, index) =>
        !same(attendee.email, organizer) &&
        !value.some((existing) => same(existing.email, attendee.email)) &&
        attendees.findIndex((other) => same(other.email, attendee.email)) === index,
    );
    if (fresh.length) {
      onChange([...value, ...fresh]);
      setNotice(t('editor.attendeeAdded', { name: fresh.map((a) => a.name || a.email).join(', ') }));
    }
    onDraftChange('');
    setActive(-1);
    setOpen(false);
  };

  /** Adds what is typed when it is an address; leaves it in the input otherwise. */
  const commitDraft = (): boolean => {
    const parts = splitAddresses(draft);
    const parsed = parts.map(parseAttendee);
    if (!parts.length || parsed.some((attendee) => !attendee)) return false;
    add(parsed as Attendee[]);
    return true;
  };

  const remove = (attendee: Attendee) => {
    onChange(value.filter((existing) => existing !== attendee));
    setNotice(t('editor.attendeeRemoved', { name: attendee.name || attendee.email }));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' && suggestions.length) {
      event.preventDefault();
      setOpen(true);
      setActive((index) => (index + 1) % suggestions.length);
    } else if (event.key === 'ArrowUp' && suggestions.length) {
      event.preventDefault();
      setOpen(true);
      setActive((index) => (index <= 0 ? suggestions.length - 1 : index - 1));
    } else if (event.key === 'Enter') {
      if (expanded && active >= 0 && suggestions[active]) {
        event.preventDefault();
        const person = suggestions[active];
        add([{ email: person.email, name: person.name || null }]);
      } else if (draft.trim()) {
        event.preventDefault();
        commitDraft();
      }
    } else if ((event.key === ',' || event.key === ';') && draft.trim()) {
      event.preventDefault();
      commitDraft();
    } else if (event.key === 'Escape' && expanded) {
      event.stopPropagation();
      setOpen(false);
    } else if (event.key === 'Backspace' && !draft && value.length) {
      remove(value[value.length - 1]!);
    }
  };

  return (
    <div className={styles.picker}>
      {value.length > 0 && (
        <ul className={styles.chips} aria-label={t('editor.attendeeList')}>
          {value.map((attendee) => (
            <li key={attendee.email} className={styles.chip}>
              <span className={styles.chipText}>
                {attendee.name && <span className={styles.chipName}>{attendee.name}</span>}
                <span className={attendee.name ? styles.chipEmail : styles.chipName}>{attendee.email}</span>
              </span>
              <button
                type="button"
                className={styles.chipRemove}
                onClick={() => remove(attendee)}
                aria-label={t('editor.removeAttendee', { name: attendee.name || attendee.email })}
              >
                <Close size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className={styles.comboboxWrap}>
        <input
          id={id}
          className="input"
          type="text"
          role="combobox"
          autoComplete="off"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          placeholder={t('editor.attendeesPlaceholder')}
          value={draft}
          onChange={(event) => {
            onDraftChange(event.target.value);
            setOpen(true);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
          onPaste={(event) => {
            const text = event.clipboardData.getData('text');
            const parts = splitAddresses(text);
            const parsed = parts.map(parseAttendee);
            if (parts.length > 1 && parsed.every(Boolean)) {
              event.preventDefault();
              add(parsed as Attendee[]);
            }
          }}
          onBlur={() => {
            if (draft.trim()) commitDraft();
            setOpen(false);
          }}
        />
        <ul id={listId} role="listbox" className={styles.suggestions} hidden={!expanded} aria-label={t('editor.suggestions')}>
          {expanded &&
            suggestions.map((person, index) => (
              <li
                key={person.email}
                id={`${listId}-${index}`}
                role="option"
                aria-selected={index === active}
                className={styles.suggestion}
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => add([{ email: person.email, name: person.name || null }])}
              >
                <span className={styles.chipName}>{person.name || person.email}</span>
                {person.name && <span className={styles.chipEmail}>{person.email}</span>}
              </li>
            ))}
        </ul>
      </div>
      <p className="visually-hidden" role="status">
        {notice}
      </p>
    </div>
  );
}
