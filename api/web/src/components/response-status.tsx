/**
 * An answer to an invitation, shown as an icon with words (never as colour alone).
 */

import { useTranslation } from 'react-i18next';
import type { ResponseStatus } from '../lib/api/types';
import { Check, Cross, Hourglass, Question } from './ui/icons';

const ICONS = { accepted: Check, tentative: Question, declined: Cross, needs_action: Hourglass } as const;

export function ResponseIcon({ response, size = 16 }: { response: ResponseStatus; size?: number }) {
  const Icon = ICONS[response];
  return <Icon size={size} className={`response-icon response-${response}`} />;
}

/** The icon and the word: "✓ Accepted". */
export function ResponseStatusLabel({ response }: { response: ResponseStatus }) {
  const { t } = useTranslation();
  return (
    <span className={`response-label response-${response}`}>
      <ResponseIcon response={response} />
      <span>{t(`responses.${response}`)}</span>
    </span>
  );
}
